"use client";

import Link from "next/link";
import type { PoolRow } from "@/server/plans/pools";
import { usePools } from "@/components/data/queries";
import { formatWizardState } from "@/components/wizard/wizard-state";
import { Badge } from "@/components/ui/badge";
import { Card, CardBody, CardHeader, CardTitle } from "@/components/ui/card";
import { ErrorPanel } from "@/components/ui/states";
import { DeviceLink } from "./device-link";
import { poolVfsText } from "./model";

const newPool = `/wizard${formatWizardState({ mode: "pool", step: "pool", pool: null, pf: null, entry: null })}`;

/**
 * VF pools: libvirt hostdev networks, each handing out the VFs of one PF to the VMs configured with
 * `<interface type='network'>`. `libvirtReadable` is the VM list's answer: when libvirt cannot be read the page has
 * already said why, once.
 */
export function PoolsSection({ libvirtReadable, uri }: { libvirtReadable: boolean; uri: string | null }) {
  const pools = usePools();
  return (
    <section className="mt-8" aria-labelledby="pools-title" data-testid="vf-pools">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="pools-title" className="text-lg font-semibold text-slate-900">
          VF pools
        </h2>
        {libvirtReadable ? (
          <Link href={newPool} className="text-sm text-blue-800 underline">
            New VF pool…
          </Link>
        ) : null}
      </div>
      <p className="mt-1 text-sm text-slate-600">
        A pool is a libvirt network on one SR-IOV PF (<code className="font-mono text-xs">&lt;forward mode=&apos;hostdev&apos;&gt;</code>): a VM configured with{" "}
        <code className="font-mono text-xs">&lt;interface type=&apos;network&apos;&gt;</code> takes any free VF of it when it starts, and gives it back when it
        stops.
      </p>
      {!libvirtReadable ? (
        <p data-testid="pools-unavailable" className="mt-3 text-sm text-slate-500">
          VF pools are libvirt networks: they are listed here once libvirt can be read (see above).
        </p>
      ) : pools.isPending ? (
        <p role="status" className="mt-3 text-sm text-slate-500">
          Reading libvirt&apos;s networks…
        </p>
      ) : pools.isError ? (
        <ErrorPanel error={pools.error} what="libvirt's networks" />
      ) : !pools.data.available ? (
        <p role="alert" data-testid="pools-unavailable" className="mt-3 rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-950">
          libvirt&apos;s networks cannot be read: {pools.data.reason}
        </p>
      ) : pools.data.pools.length === 0 ? (
        <p data-testid="pools-empty" className="mt-3 text-sm text-slate-500">
          No VF pool is defined{uri ? ` on ${uri}` : ""}.
        </p>
      ) : (
        <ul className="mt-3 space-y-4" aria-label="VF pools">
          {pools.data.pools.map((pool) => (
            <li key={pool.name}>
              <PoolCard pool={pool} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function PoolCard({ pool }: { pool: PoolRow }) {
  const remove = `/wizard${formatWizardState({ mode: "pool-delete", step: "review", pool: pool.name, entry: null })}`;
  const holders = new Map(pool.handedOut.map((h) => [h.address, h.domain]));
  return (
    <Card data-testid={`pool-${pool.name}`} aria-label={`VF pool ${pool.name}`}>
      <CardHeader>
        <CardTitle className="font-mono">{pool.name}</CardTitle>
        <Badge tone={pool.active ? "green" : "neutral"} data-testid="pool-state">
          {pool.active ? "active" : "inactive"}
        </Badge>
        <Badge tone={pool.autostart ? "blue" : "neutral"} data-testid="pool-autostart">
          {pool.autostart ? "autostart" : "no autostart"}
        </Badge>
        <Link href={remove} className="ml-auto text-sm whitespace-nowrap text-blue-800 underline">
          Remove pool…
        </Link>
      </CardHeader>
      <CardBody className="space-y-2">
        {pool.xmlError ? (
          <p role="alert" data-testid="pool-xml-error" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900">
            Passdeck could not read this pool&apos;s definition: {pool.xmlError}
          </p>
        ) : null}
        <dl className="grid grid-cols-[9rem_minmax(0,1fr)] gap-x-3 gap-y-1">
          <dt className="text-slate-500">PF</dt>
          <dd data-testid="pool-pf">
            {pool.pfs.length === 0 ? (
              <span className="text-slate-400">none named</span>
            ) : (
              pool.pfs.map((pf, i) => (
                <span key={pf.netdev}>
                  {i > 0 ? ", " : null}
                  <span className="font-mono">{pf.netdev}</span> ({pf.address ? <DeviceLink address={pf.address} /> : "not an interface of this host"})
                </span>
              ))
            )}
          </dd>
          <dt className="text-slate-500">VFs</dt>
          <dd>
            <p data-testid="pool-vfs">{poolVfsText(pool)}</p>
            {pool.vfs.length ? (
              <ul className="grid grid-cols-2 gap-x-3" aria-label={`VFs of ${pool.name}`}>
                {pool.vfs.map((vf) => (
                  <li key={vf} data-testid={`pool-vf-${vf}`}>
                    <DeviceLink address={vf} />{" "}
                    {holders.has(vf) ? (
                      <span>
                        in <span className="font-mono">{holders.get(vf)}</span> (running)
                      </span>
                    ) : (
                      <span className="text-slate-400">free</span>
                    )}
                  </li>
                ))}
              </ul>
            ) : null}
          </dd>
          <dt className="text-slate-500">VM configs</dt>
          <dd data-testid="pool-configs">
            {pool.usedByConfigs.length ? (
              <>
                <span className="font-mono">{pool.usedByConfigs.join(", ")}</span>{" "}
                {pool.usedByConfigs.length === 1 ? "takes a VF from it when it starts" : "take a VF from it when they start"}
              </>
            ) : (
              <span className="text-slate-400">no VM&apos;s config takes a VF from it</span>
            )}
          </dd>
        </dl>
      </CardBody>
    </Card>
  );
}
