"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { PciDevice } from "@/server/host/types";
import type { VmDevice, VmRow } from "@/server/libvirt/vm-devices";
import { useDevices, useSummary, useVms } from "@/components/data/queries";
import { compareHold, comparisonText, describeHold, guestText, isHeld, managerText } from "@/lib/holds";
import { plural } from "@/components/data/format";
import { formatWizardState } from "@/components/wizard/wizard-state";
import { useTRPC } from "@/lib/trpc/client";
import { Badge } from "@/components/ui/badge";
import { Card, CardBody, CardHeader, CardTitle } from "@/components/ui/card";
import { WarnIcon } from "@/components/ui/icons";
import { ErrorPanel, Loading } from "@/components/ui/states";
import { TableHead } from "@/components/ui/table";
import { DeviceLink } from "./device-link";
import { claimsFor, heldIn, howHeld, onOff, sinceText, sizeText, STATE_TONE } from "./model";
import { PoolsSection } from "./pools-view";

/** libvirt's VMs and the host devices their definitions hold, joined to what the host says about each device. */
export function VmsView() {
  const vms = useVms();
  const devices = useDevices();
  const byAddress = new Map((devices.data?.devices ?? []).map((d) => [d.address, d]));
  if (vms.isPending) return <Loading what="libvirt's VMs" />;
  if (vms.isError) return <ErrorPanel error={vms.error} what="libvirt's VMs" />;
  const v = vms.data;
  return (
    <section className="mx-auto max-w-6xl" aria-labelledby="vms-title">
      <h1 id="vms-title" className="text-xl font-semibold text-slate-900">
        Virtual machines
      </h1>
      <p className="mt-1 text-sm text-slate-600">
        The VMs libvirt knows
        {v.uri ? (
          <>
            {" "}
            on{" "}
            <code className="font-mono" data-testid="libvirt-uri">
              {v.uri}
            </code>
          </>
        ) : null}
        , with the host PCI devices their definitions hold: the running VM&apos;s (what the guest has now) and the persistent config (what the next start gets).
        Give a device to a VM from the IOMMU map&apos;s device detail or the wizard.
      </p>
      {!v.available ? (
        <div role="alert" data-testid="vms-unavailable" className="mt-4 rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-950">
          <p className="font-semibold">libvirt cannot be read: {v.reason}</p>
          {v.fix ? <p className="mt-1">Fix: {v.fix}</p> : null}
          <p className="mt-1">
            Connection: {v.uri ? <code className="font-mono">{v.uri}</code> : "none configured"}. The rest of Passdeck works without it; plans are then not
            checked against VMs.
          </p>
        </div>
      ) : v.rows.length === 0 ? (
        <p data-testid="vms-empty" className="mt-4 text-sm text-slate-500">
          No VM is defined on {v.uri}.
        </p>
      ) : (
        <ul className="mt-4 space-y-4" aria-label="VMs">
          {v.rows.map((vm) => (
            <li key={vm.uuid}>
              <VmCard vm={vm} rows={v.rows} byAddress={devices.data ? byAddress : null} />
            </li>
          ))}
        </ul>
      )}
      {devices.data ? <HeldOutsideLibvirt devices={devices.data.devices} rows={v.available ? v.rows : null} /> : null}
      <PoolsSection libvirtReadable={v.available} uri={v.uri} />
      {v.available ? <NodeDeviceCheck /> : null}
    </section>
  );
}

function VmCard({ vm, rows, byAddress }: { vm: VmRow; rows: VmRow[]; byAddress: Map<string, PciDevice> | null }) {
  return (
    <Card data-testid={`vm-${vm.uuid}`} aria-label={`VM ${vm.name}`}>
      <CardHeader>
        <CardTitle className="font-mono">{vm.name}</CardTitle>
        <Badge tone={STATE_TONE[vm.state] ?? "neutral"} data-testid="vm-state">
          {vm.state}
        </Badge>
        <Badge tone={vm.autostart ? "blue" : "neutral"} data-testid="vm-autostart">
          {vm.autostart ? "autostart" : "no autostart"}
        </Badge>
        {vm.persistent ? null : <Badge tone="amber">transient</Badge>}
        <span className="text-xs text-slate-600" data-testid="vm-size">
          {sizeText(vm)}
        </span>
        <span className="ml-auto font-mono text-xs text-slate-500">{vm.uuid}</span>
      </CardHeader>
      <CardBody className="space-y-2">
        {vm.xmlError ? (
          <p role="alert" data-testid="vm-xml-error" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900">
            Passdeck could not read this VM&apos;s definition, so its devices are not listed: {vm.xmlError}
          </p>
        ) : null}
        {vm.networkInterfaces.length ? (
          <ul data-testid="vm-network-interfaces" className="space-y-0.5 text-slate-700">
            {vm.networkInterfaces.map((i) => (
              <li key={`${i.network}-${i.mac}`}>
                Interface on the network <span className="font-mono">{i.network}</span> (MAC <span className="font-mono">{i.mac ?? "chosen by libvirt"}</span>
                {i.vlan.length ? (
                  <>
                    , VLAN <span className="font-mono">{i.vlan.join(", ")}</span>
                  </>
                ) : null}
                ): on a VF pool, libvirt hands it a free VF when the VM starts.
              </li>
            ))}
          </ul>
        ) : null}
        {vm.devices.length === 0 ? (
          vm.xmlError ? null : (
            <p className="text-slate-500" data-testid="vm-no-devices">
              No host PCI devices.
            </p>
          )
        ) : (
          <>
            <p data-testid="passthrough-caveat" className="flex items-start gap-2 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-amber-950">
              <WarnIcon className="mt-0.5 shrink-0" />
              <span>
                Snapshots and live migration do not work with passthrough devices: QEMU cannot save a host device&apos;s state, so libvirt refuses to migrate
                this VM or snapshot its memory while it holds {vm.devices.length === 1 ? "this device" : "these devices"}. Take them back first, or shut the VM
                down.
              </span>
            </p>
            <table className="w-full text-left" aria-label={`Host devices of ${vm.name}`}>
              <TableHead columns={["Device", "How", "Held in", "The kernel shows", "IOMMU group", "Host driver", "VF", ""]} cell="py-1 pr-3" />
              <tbody>
                {vm.devices.map((d) => (
                  <DeviceRow key={d.address} vm={vm} d={d} rows={rows} host={byAddress ? (byAddress.get(d.address) ?? null) : undefined} />
                ))}
              </tbody>
            </table>
          </>
        )}
      </CardBody>
    </Card>
  );
}

/** `host`: the inventory's device (null: not on this host; undefined: the inventory is not loaded yet). */
function DeviceRow({ vm, d, rows, host }: { vm: VmRow; d: VmDevice; rows: VmRow[]; host: PciDevice | null | undefined }) {
  const vf = d.host?.vf ?? null;
  const takeBack = `/wizard${formatWizardState({ mode: "vm-detach", step: "review", device: d.address, domain: vm.uuid, entry: null })}`;
  return (
    <tr data-testid={`vm-device-${d.address}`} className="border-t border-slate-100 align-top">
      <td className="py-1.5 pr-3">
        <DeviceLink address={d.address} />
        <p className="text-xs text-slate-600">{d.host ? d.host.name : "not a PCI device on this host now"}</p>
      </td>
      <td className="py-1.5 pr-3" data-testid="device-how">
        {howHeld(d)}
      </td>
      <td className="py-1.5 pr-3" data-testid="device-held-in">
        {heldIn(d.in, vm.active)}
      </td>
      <td className="py-1.5 pr-3" data-testid="device-kernel-hold">
        <KernelHold address={d.address} host={host} rows={rows} />
      </td>
      <td className="py-1.5 pr-3 font-mono" data-testid="device-group">
        {d.host?.iommuGroup ?? "none"}
      </td>
      <td className="py-1.5 pr-3 font-mono" data-testid="device-driver">
        {d.host ? (d.host.driver ?? "no driver") : "?"}
      </td>
      <td className="py-1.5 pr-3" data-testid="device-vf">
        {vf ? (
          <>
            <p>
              VF <span className="font-mono">{vf.index}</span> of <DeviceLink address={vf.pf} />
            </p>
            {d.as === "interface" ? (
              <p data-testid="vf-xml">
                MAC <span className="font-mono">{d.mac ?? "chosen by libvirt"}</span> · VLAN{" "}
                <span className="font-mono">{d.vlan.length ? d.vlan.join(", ") : "none"}</span>
              </p>
            ) : null}
            <p className="text-xs text-slate-600" data-testid="vf-pf-settings">
              {vf.settings
                ? `the PF reports: spoof check ${onOff(vf.settings.spoofchk)}, trust ${onOff(vf.settings.trust)}, link ${vf.settings.linkState ?? "?"}`
                : "the PF reports no settings for it"}
            </p>
          </>
        ) : (
          <span className="text-slate-400">not a VF</span>
        )}
      </td>
      <td className="py-1.5 text-right">
        <Link href={takeBack} className="whitespace-nowrap text-blue-800 underline">
          Take back from VM…
        </Link>
      </td>
    </tr>
  );
}

/** The kernel's holder of a device a VM's definition names, and where that disagrees with libvirt's record. */
function KernelHold({ address, host, rows }: { address: string; host: PciDevice | null | undefined; rows: VmRow[] }) {
  if (host === undefined) return <span className="text-slate-400">…</span>;
  if (host === null) return <span className="text-slate-500">not on this host</span>;
  const disagreement = comparisonText(address, compareHold(host.hold, claimsFor(rows, address)));
  return (
    <>
      <p>{isHeld(host.hold) ? describeHold(host.hold) : <span className="text-slate-500">no process holds it</span>}</p>
      {disagreement ? (
        <p data-testid="hold-disagreement" className="mt-0.5 flex items-start gap-1 text-xs text-amber-900">
          <WarnIcon className="mt-0.5 shrink-0" />
          <span>{disagreement}</span>
        </p>
      ) : null}
    </>
  );
}

/**
 * Devices the kernel shows in use that no libvirt VM names: a Proxmox VE VM, a hand-started QEMU, a container. With
 * libvirt unreadable, every held device is listed: the kernel's view alone.
 */
function HeldOutsideLibvirt({ devices, rows }: { devices: PciDevice[]; rows: VmRow[] | null }) {
  const outside = devices.filter((d) => isHeld(d.hold) && (rows === null || claimsFor(rows, d.address).length === 0));
  if (outside.length === 0) return null;
  return (
    <Card className="mt-4" data-testid="held-outside-libvirt" aria-label="Held outside libvirt">
      <CardHeader>
        <CardTitle>Held outside libvirt</CardTitle>
        <span className="text-xs text-slate-500">
          {rows === null
            ? "libvirt cannot be read, so this is the kernel's view alone: every device a process holds now"
            : "devices the kernel shows in use that no libvirt VM names: another manager's VM, a hand-started QEMU, a container"}
        </span>
      </CardHeader>
      <CardBody>
        <table className="w-full text-left" aria-label="Devices held outside libvirt">
          <TableHead columns={["Device", "The kernel shows", "VM", "Started by"]} cell="py-1 pr-3" />
          <tbody>
            {outside.map((d) => {
              const holders = d.hold!.holders;
              return (
                <tr key={d.address} data-testid={`held-outside-${d.address}`} className="border-t border-slate-100 align-top">
                  <td className="py-1.5 pr-3">
                    <DeviceLink address={d.address} />
                    <p className="text-xs text-slate-600">{d.deviceName ?? `${d.vendorId}:${d.deviceId}`}</p>
                  </td>
                  <td className="py-1.5 pr-3" data-testid="held-outside-hold">
                    {describeHold(d.hold!)}
                    {holders.map((h) =>
                      sinceText(h.startedAt) ? (
                        <p key={h.pid} className="text-xs text-slate-600">
                          pid {h.pid} {sinceText(h.startedAt)}
                        </p>
                      ) : null,
                    )}
                  </td>
                  <td className="py-1.5 pr-3">
                    {holders
                      .map((h) => guestText(h))
                      .filter(Boolean)
                      .join(", ") || <span className="text-slate-400">none named</span>}
                  </td>
                  <td className="py-1.5 pr-3">
                    {holders.length ? [...new Set(holders.map((h) => managerText(h.manager)))].join(", ") : <span className="text-slate-400">unknown</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </CardBody>
    </Card>
  );
}

const FIELD: Record<string, string> = { missing: "node device", iommuGroup: "IOMMU group", virtFunctions: "VFs", physFunction: "PF" };

/** libvirt's own node devices against sysfs: where they disagree, passthrough through libvirt will surprise. */
function NodeDeviceCheck() {
  const trpc = useTRPC();
  const q = useQuery(trpc.vms.nodeDeviceCheck.queryOptions());
  const demo = useSummary().data?.source.demo ?? null;
  if (q.isPending)
    return (
      <p role="status" className="mt-4 text-sm text-slate-500">
        Comparing libvirt&apos;s node devices with sysfs…
      </p>
    );
  if (q.isError) return <ErrorPanel error={q.error} what="libvirt's node devices" />;
  const { available, checked } = q.data;
  if (!available) return null;
  const disagreements = [...q.data.disagreements].sort((x, y) => x.address.localeCompare(y.address));
  const devices = new Set(disagreements.map((x) => x.address)).size;
  return (
    <Card className="mt-4" data-testid="node-device-check">
      <CardHeader>
        <CardTitle>libvirt&apos;s node devices</CardTitle>
        <span className="text-xs text-slate-500">the SR-IOV PFs, their VFs and every device a VM holds, as libvirt describes them</span>
      </CardHeader>
      <CardBody>
        {disagreements.length === 0 ? (
          <p data-testid="node-devices-agree">libvirt agrees with sysfs on all {plural(checked, "device")} checked.</p>
        ) : (
          <>
            <p data-testid="node-devices-disagree">
              libvirt disagrees with sysfs about {devices} of the {plural(checked, "device")} checked: a VM given one of them may not get what Passdeck shows.
              {demo ? " This is a demo host: libvirt describes the machine it runs on, where the demo's devices do not exist." : null}
            </p>
            <table className="mt-2 w-full text-left" aria-label="Where libvirt disagrees with sysfs">
              <TableHead columns={["Device", "What", "libvirt", "sysfs"]} cell="py-1 pr-3" />
              <tbody>
                {disagreements.map((x) => (
                  <tr key={`${x.address}-${x.field}`} data-testid={`node-disagreement-${x.address}`} className="border-t border-slate-100">
                    <td className="py-1 pr-3">
                      <DeviceLink address={x.address} />
                    </td>
                    <td className="py-1 pr-3">{FIELD[x.field] ?? x.field}</td>
                    <td className="py-1 pr-3 font-mono">{x.libvirt}</td>
                    <td className="py-1 pr-3 font-mono">{x.inventory}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </CardBody>
    </Card>
  );
}
