"use client";

import Link from "next/link";
import { useMemo } from "react";
import type { PciDevice } from "@/server/host/types";
import { useReadiness } from "@/components/data/queries";
import { ReadinessItem } from "@/components/readiness/checklist";
import { CrossIcon } from "@/components/ui/icons";
import { plural } from "@/components/data/format";
import { DeviceDetail } from "./device-detail";
import { MemberRow } from "./group-card";
import { useSelectedDevice } from "./use-selected-device";

/** No groups means no map: say so and why, and still list the devices the kernel sees, instead of drawing an empty page. */
export function IommuOff({ devices }: { devices: PciDevice[] }) {
  const readiness = useReadiness();
  const { raw, address, select, close } = useSelectedDevice();
  const byAddress = useMemo(() => new Map(devices.map((d) => [d.address, d])), [devices]);
  const selected = address ? (byAddress.get(address) ?? null) : null;
  const deviceCount = devices.length;
  const failing = readiness.data?.checks.filter((c) => c.status === "fail") ?? [];
  return (
    <section data-testid="iommu-off" aria-labelledby="iommu-off-title" className="mx-auto max-w-6xl">
      <div role="alert" className="rounded-lg border border-red-300 bg-red-50 px-5 py-4 text-red-900">
        <h2 id="iommu-off-title" className="flex items-center gap-2 text-lg font-semibold">
          <CrossIcon width={18} height={18} /> The IOMMU is off on this host
        </h2>
        <p className="mt-1 text-sm">
          There are no IOMMU groups, so no device can be passed through to a VM and there is no group map to draw. The kernel still sees{" "}
          {plural(deviceCount, "PCI function")}, listed below; they get groups once the IOMMU is on and the host has been rebooted.
        </p>
      </div>
      <h3 className="mt-5 text-sm font-semibold text-slate-900">What is failing</h3>
      {readiness.isPending ? (
        <p className="mt-2 text-sm text-slate-500">Reading the readiness checks…</p>
      ) : (
        <ol className="mt-2 space-y-2" aria-label="Failing readiness checks">
          {failing.map((c) => (
            <ReadinessItem key={c.id} check={c} />
          ))}
        </ol>
      )}
      <p className="mt-4 text-sm">
        <Link href="/readiness" className="font-medium text-blue-700 underline underline-offset-2">
          Open the full readiness checklist
        </Link>
      </p>
      <h3 className="mt-6 text-sm font-semibold text-slate-900">PCI functions the kernel sees ({deviceCount}), without IOMMU groups</h3>
      <div className="mt-2 grid gap-4 lg:grid-cols-[minmax(0,1fr)_22rem]">
        <ul data-testid="ungrouped-devices" aria-label="PCI functions" className="overflow-hidden rounded-lg border border-slate-200 bg-white">
          {devices.map((d) => (
            <MemberRow key={d.address} device={d} selected={d.address === address} matched={false} dimmed={false} onSelect={select} />
          ))}
        </ul>
        {raw ? (
          <DeviceDetail key={address ?? raw} address={address ?? raw} device={selected} group={null} byAddress={byAddress} onSelect={select} onClose={close} />
        ) : null}
      </div>
    </section>
  );
}
