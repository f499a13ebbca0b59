"use client";

import type { IommuGroup, PciDevice } from "@/server/host/types";
import { deviceName } from "@/components/data/format";
import { HeldBadge, HostCriticalBadge, HostNoticeBadge, VerdictBadge } from "@/components/iommu/badges";
import { describeHold, isHeld } from "@/lib/holds";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, CardTitle } from "@/components/ui/card";
import { TableHead } from "@/components/ui/table";

/** (a) SR-IOV capable PFs only, with what decides the choice: totalvfs, current VFs, driver, link. */
export function PfPicker({ devices, groups, onPick }: { devices: PciDevice[]; groups: IommuGroup[]; onPick: (pf: string) => void }) {
  const pfs = devices.filter((d) => d.sriov);
  if (pfs.length === 0)
    return (
      <p data-testid="no-pfs" className="rounded-lg border border-slate-200 bg-white p-4 text-sm text-slate-700">
        No device on this host has the SR-IOV capability. A whole device can still be passed through: use “A whole device” above.
      </p>
    );
  return (
    <Card>
      <CardHeader>
        <CardTitle>Pick a physical function</CardTitle>
        <span className="text-xs text-slate-500">only devices with the SR-IOV capability are listed</span>
      </CardHeader>
      <table className="w-full text-left text-sm" aria-label="SR-IOV physical functions">
        <TableHead columns={["Address", "Device", "Driver", "Interface", "VFs", "Link", ""]} cell="px-2 py-2 first:px-4 last:px-4" />
        <tbody>
          {pfs.map((d) => {
            const s = d.sriov!;
            const group = groups.find((g) => g.id === d.iommuGroup);
            const unusable = s.totalVfs === 0 || !d.driver || d.driver === "vfio-pci";
            // the VF count cannot change under a held VF: said here, before the review refuses it
            const heldVfs = s.vfs.flatMap((a) => {
              const vf = devices.find((x) => x.address === a);
              return vf && isHeld(vf.hold) ? [{ address: a, text: describeHold(vf.hold) }] : [];
            });
            return (
              <tr key={d.address} data-testid={`pf-${d.address}`} className="border-t border-slate-100 align-top">
                <td className="px-4 py-2 font-mono">{d.address}</td>
                <td className="px-2 py-2">
                  {deviceName(d)}
                  <div className="mt-1 flex flex-wrap gap-1">
                    {d.hostCritical.length ? (
                      <HostCriticalBadge reasons={d.hostCritical} />
                    ) : d.hostNotices.length ? (
                      <HostNoticeBadge notices={d.hostNotices} />
                    ) : null}
                    {group ? <VerdictBadge verdict={group.verdict} /> : null}
                  </div>
                </td>
                <td className="px-2 py-2 font-mono">{d.driver ?? "none"}</td>
                <td className="px-2 py-2 font-mono">{d.netdevs.map((n) => `${n.name} (${n.operstate ?? "?"})`).join(", ") || "none"}</td>
                <td className="px-2 py-2" data-testid="pf-vfs">
                  {s.numVfs} of {s.totalVfs}
                  {s.totalVfs === 0 ? <p className="text-xs text-amber-800">SR-IOV is off in the BIOS/firmware</p> : null}
                  {heldVfs.length > 0 ? (
                    <ul className="mt-1 text-xs text-sky-900" data-testid="pf-held-vfs">
                      {heldVfs.map((v) => (
                        <li key={v.address}>
                          <span className="font-mono">{v.address}</span> {v.text}: the VF count cannot change until it is released
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </td>
                <td className="px-2 py-2 text-xs">{d.link ? `${d.link.currentSpeed ?? "?"} x${d.link.currentWidth ?? "?"}` : "unknown"}</td>
                <td className="px-4 py-2 text-right">
                  <Button size="sm" variant="default" disabled={unusable} onClick={() => onPick(d.address)} aria-label={`Choose ${d.address}`}>
                    Choose
                  </Button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Card>
  );
}

/** (b) Any endpoint; the review then takes its whole IOMMU group along. */
export function DevicePicker({ devices, groups, onPick }: { devices: PciDevice[]; groups: IommuGroup[]; onPick: (address: string) => void }) {
  const byAddress = new Map(devices.map((d) => [d.address, d]));
  const candidates = groups.filter((g) => g.endpoints.length > 0);
  return (
    <Card>
      <CardHeader>
        <CardTitle>Pick a device</CardTitle>
        <span className="text-xs text-slate-500">every endpoint of its IOMMU group goes to vfio-pci with it; bridges stay on their port driver</span>
      </CardHeader>
      <CardBody className="space-y-3">
        {candidates.map((g) => (
          <div key={g.id} data-testid={`pick-group-${g.id}`} className="rounded-md border border-slate-200 p-2">
            <div className="flex flex-wrap items-center gap-2 text-xs text-slate-600">
              <span className="font-semibold text-slate-800">Group {g.id}</span>
              <VerdictBadge verdict={g.verdict} />
              <span>{g.summary}</span>
            </div>
            <ul className="mt-1">
              {g.endpoints.map((a) => {
                const d = byAddress.get(a);
                if (!d) return null;
                // a held member blocks the whole group's move (the kernel would wait on its holder): no plan to review
                const heldMember = g.devices.map((m) => byAddress.get(m)).find((m) => m && isHeld(m.hold));
                return (
                  <li key={a} className="flex flex-wrap items-center gap-2 py-0.5">
                    <span className="font-mono text-sm">{a}</span>
                    <span className="text-sm text-slate-800">{deviceName(d)}</span>
                    <Badge>{d.driver ?? "no driver"}</Badge>
                    {d.hostCritical.length ? (
                      <HostCriticalBadge reasons={d.hostCritical} />
                    ) : d.hostNotices.length ? (
                      <HostNoticeBadge notices={d.hostNotices} />
                    ) : null}
                    {isHeld(d.hold) ? <HeldBadge hold={d.hold} /> : null}
                    <Button size="sm" className="ml-auto" disabled={!!heldMember} onClick={() => onPick(a)} aria-label={`Pass through ${a}`}>
                      Pass through…
                    </Button>
                    {heldMember?.hold ? (
                      <p className="w-full text-xs text-sky-900" data-testid="pick-held">
                        Not now: <span className="font-mono">{heldMember.address}</span> is {describeHold(heldMember.hold)}; its group moves only once it is
                        released.
                      </p>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          </div>
        ))}
      </CardBody>
    </Card>
  );
}
