"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type ReactNode } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { useVms } from "@/components/data/queries";
import { claimsFor, heldIn, sinceText } from "@/components/vms/model";
import { compareHold, comparisonText, describeHold, describeHolderEvidence, isHeld } from "@/lib/holds";
import type { IommuGroup, PciDevice } from "@/server/host/types";
import { BRIDGE_LABEL, deviceName, plural } from "@/components/data/format";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { CrossIcon, WarnIcon } from "@/components/ui/icons";
import { SriovBadge, VerdictBadge, VfBadge } from "./badges";
import type { SelectFn } from "./tree-types";
import { TableHead } from "@/components/ui/table";

interface Props {
  address: string;
  device: PciDevice | null;
  group: IommuGroup | null;
  byAddress: Map<string, PciDevice>;
  onSelect: SelectFn;
  onClose: () => void;
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section aria-label={title} className="border-t border-slate-100 px-4 py-3">
      <h3 className="mb-1.5 text-xs font-semibold tracking-wide text-slate-500 uppercase">{title}</h3>
      {children}
    </section>
  );
}

function Rows({ children }: { children: ReactNode }) {
  return <dl className="grid grid-cols-[8.5rem_minmax(0,1fr)] gap-x-3 gap-y-1 text-[13px]">{children}</dl>;
}

function Row({ label, children, mono = false }: { label: string; children: ReactNode; mono?: boolean }) {
  return (
    <>
      <dt className="text-slate-500">{label}</dt>
      <dd className={cn("min-w-0 break-words text-slate-900", mono && "font-mono")}>{children}</dd>
    </>
  );
}

const None = ({ text = "none" }: { text?: string }) => <span className="font-sans text-slate-400">{text}</span>;

function AddressLink({ address, byAddress, onSelect }: { address: string; byAddress: Map<string, PciDevice>; onSelect: SelectFn }) {
  const d = byAddress.get(address);
  return (
    <button
      type="button"
      onClick={() => onSelect(address)}
      className="cursor-pointer text-left font-mono text-blue-800 hover:underline"
      title={d ? deviceName(d) : undefined}
    >
      {address}
      {d?.bridge ? <span className="ml-1.5 font-sans text-xs text-slate-500">{BRIDGE_LABEL[d.bridge]}</span> : null}
    </button>
  );
}

function linkText(speed: string | null, width: number | null): string {
  if (!speed && width === null) return "unknown";
  return `${speed ?? "?"}${width !== null ? ` x${width}` : ""}`;
}

/** Everything Passdeck read about one PCI function. */
export function DeviceDetail({ address, device: d, group, byAddress, onSelect, onClose }: Props) {
  const [allVfs, setAllVfs] = useState(false);
  if (!d) {
    return (
      <aside data-testid="device-detail" aria-label="Device details" className="rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-xs">
        <div className="flex items-start justify-between gap-2">
          <p>
            <span className="font-mono">{address}</span> is not a PCI device on this host.
          </p>
          <Button size="sm" variant="ghost" onClick={onClose} aria-label="Close device details">
            <CrossIcon />
          </Button>
        </div>
      </aside>
    );
  }
  const vfs = d.sriov?.vfs ?? [];
  const vfShown = allVfs ? vfs : vfs.slice(0, 16);
  return (
    <aside
      data-testid="device-detail"
      aria-label={`Device details for ${d.address}`}
      className="overflow-hidden rounded-lg border border-slate-200 bg-white shadow-xs"
    >
      <header className="flex items-start gap-2 bg-slate-50 px-4 py-3">
        <div className="min-w-0 flex-1">
          <h2 className="font-mono text-base font-semibold text-slate-900">{d.address}</h2>
          <p className="text-sm text-slate-800">{deviceName(d)}</p>
          <div className="mt-1 flex flex-wrap gap-1">
            {group ? (
              <span className="inline-flex items-center gap-1 text-xs text-slate-600">
                group <span className="font-mono">{group.id}</span> <VerdictBadge verdict={group.verdict} />
              </span>
            ) : null}
            {d.sriov ? <SriovBadge sriov={d.sriov} /> : null}
            {d.physfn ? <VfBadge device={d} /> : null}
          </div>
        </div>
        <Button size="sm" variant="ghost" onClick={onClose} aria-label="Close device details">
          <CrossIcon />
        </Button>
      </header>

      {d.hostCritical.length > 0 ? (
        <section aria-label="Host-critical" className="border-t border-red-200 bg-red-50 px-4 py-3 text-[13px] text-red-900">
          <h3 className="mb-1 flex items-center gap-1.5 font-semibold">
            <WarnIcon /> Host-critical: the host depends on this device
          </h3>
          <ul className="ml-4 list-disc" data-testid="host-critical-reasons">
            {d.hostCritical.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </section>
      ) : null}

      {d.hostNotices.length > 0 ? (
        <section aria-label="Host notice" className="border-t border-amber-200 bg-amber-50 px-4 py-3 text-[13px] text-amber-900">
          <h3 className="mb-1 flex items-center gap-1.5 font-semibold">
            <WarnIcon /> Host notice: not host-critical, but changing this device drops it (acknowledge to go on)
          </h3>
          <ul className="ml-4 list-disc" data-testid="host-notices">
            {d.hostNotices.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </section>
      ) : null}

      <HoldSection d={d} />

      <Section title="Identity">
        <Rows>
          <Row label="Vendor">
            {d.vendorName ?? <None text="unknown" />} <span className="font-mono text-slate-600">[{d.vendorId}]</span>
          </Row>
          <Row label="Device">
            {d.deviceName ?? <None text="unknown" />} <span className="font-mono text-slate-600">[{d.deviceId}]</span>
          </Row>
          <Row label="Subsystem">
            {d.subsystemVendorId || d.subsystemDeviceId ? (
              <>
                {d.subsystemName ? `${d.subsystemName} ` : ""}
                <span className="font-mono text-slate-600">
                  [{d.subsystemVendorId ?? "?"}:{d.subsystemDeviceId ?? "?"}]
                </span>
              </>
            ) : (
              <None />
            )}
          </Row>
          <Row label="Class">
            {d.className ?? <None text="unknown" />} <span className="font-mono text-slate-600">[{d.classId}]</span>
          </Row>
          <Row label="Revision" mono>
            {d.revision ?? <None text="unknown" />}
          </Row>
        </Rows>
      </Section>

      <Section title="Driver and placement">
        <Rows>
          <Row label="Driver" mono>
            <span data-testid="detail-driver">{d.driver ?? <None text="no driver bound" />}</span>
          </Row>
          <Row label="driver_override" mono>
            {d.driverOverride ?? <None text="not set" />}
          </Row>
          <Row label="IOMMU group">
            {d.iommuGroup === null ? (
              <None text="none (not behind the IOMMU)" />
            ) : (
              <>
                <span className="font-mono">{d.iommuGroup}</span>
                {group ? ` · ${plural(group.devices.length, "member")}` : ""}
              </>
            )}
          </Row>
          <Row label="NUMA node" mono>
            {d.numaNode ?? <None text="not reported" />}
          </Row>
          <HeldByVms address={d.address} />
          <Row label="Reset">
            {d.reset.available ? "available" : <span className="text-amber-800">no reset method (the device may not survive a VM restart)</span>}
            {d.reset.methods && d.reset.methods.length > 0 ? <span className="font-mono text-slate-600"> · {d.reset.methods.join(", ")}</span> : null}
          </Row>
        </Rows>
        {d.bridge === null ? (
          <p className="mt-2 flex flex-wrap gap-x-4 text-sm">
            {d.driver === "vfio-pci" || d.driverOverride !== null ? (
              <Link href={`/wizard?mode=restore&device=${d.address}`} className="text-blue-800 underline">
                Give back to the host driver…
              </Link>
            ) : (
              <Link href={`/wizard?mode=device&step=review&device=${d.address}`} className="text-blue-800 underline">
                Pass through (with its IOMMU group)…
              </Link>
            )}
            <Link href={`/wizard?mode=vm&device=${d.address}`} className="text-blue-800 underline">
              Give to a VM…
            </Link>
          </p>
        ) : null}
      </Section>

      <Section title="PCIe link">
        {d.link ? (
          <Rows>
            <Row label="Current" mono>
              <span data-testid="detail-link-current">{linkText(d.link.currentSpeed, d.link.currentWidth)}</span>
            </Row>
            <Row label="Maximum" mono>
              <span data-testid="detail-link-max">{linkText(d.link.maxSpeed, d.link.maxWidth)}</span>
            </Row>
            <Row label="State">
              {d.link.downgraded ? (
                <span data-testid="link-below-max">
                  <Badge tone="amber">below max</Badge> <span className="text-slate-600">GPUs and NICs also slow the link at idle: a hint, not a fault.</span>
                </span>
              ) : (
                "at maximum"
              )}
            </Row>
          </Rows>
        ) : (
          <p className="text-[13px] text-slate-500">No link attributes (not a PCIe link, or the kernel does not report it).</p>
        )}
      </Section>

      <Section title="Topology">
        <Rows>
          <Row label="Root bus" mono>
            {d.rootBus}
          </Row>
          <Row label="Parent chain">
            {d.parentChain.length === 0 ? (
              <None text="directly on the root bus" />
            ) : (
              <ol className="space-y-0.5" data-testid="detail-parent-chain">
                {d.parentChain.map((p) => (
                  <li key={p}>
                    <AddressLink address={p} byAddress={byAddress} onSelect={onSelect} />
                  </li>
                ))}
              </ol>
            )}
          </Row>
          {d.bridge ? <Row label="Bridge">{BRIDGE_LABEL[d.bridge]}</Row> : null}
          <Row label="sysfs" mono>
            <span className="text-xs">{d.sysfsPath}</span>
          </Row>
        </Rows>
      </Section>

      {d.sriov ? (
        <Section title="SR-IOV physical function">
          <Rows>
            <Row label="VFs enabled" mono>
              {d.sriov.numVfs} of {d.sriov.totalVfs} (sriov_numvfs / sriov_totalvfs)
            </Row>
            <Row label="Offset / stride" mono>
              {d.sriov.offset ?? "?"} / {d.sriov.stride ?? "?"}
            </Row>
            <Row label="VF device ID" mono>
              {d.sriov.vfDeviceId ?? <None text="unknown" />}
            </Row>
            <Row label="drivers_autoprobe" mono>
              {d.sriov.driversAutoprobe === null ? <None text="unknown" /> : d.sriov.driversAutoprobe ? "1 (VFs get a host driver)" : "0"}
            </Row>
            <Row label="VFs">
              {vfs.length === 0 ? (
                <None text={d.sriov.totalVfs === 0 ? "none possible (sriov_totalvfs is 0)" : "none enabled"} />
              ) : (
                <>
                  <ul className="grid grid-cols-2 gap-x-3" data-testid="detail-vf-list">
                    {vfShown.map((vf) => (
                      <li key={vf}>
                        <AddressLink address={vf} byAddress={byAddress} onSelect={onSelect} />
                      </li>
                    ))}
                  </ul>
                  {vfs.length > vfShown.length ? (
                    <Button size="sm" variant="ghost" className="mt-1" onClick={() => setAllVfs(true)}>
                      Show all {vfs.length} VFs
                    </Button>
                  ) : null}
                </>
              )}
            </Row>
          </Rows>
          {d.sriov.numVfs > 0 && d.netdevs.length > 0 ? <VfSettingsTable pf={d.address} /> : null}
          <div className="mt-2 flex flex-wrap gap-x-4">
            <Link href={`/wizard?step=count&pf=${d.address}`} className="text-sm text-blue-800 underline">
              Set up VFs in the wizard…
            </Link>
            {d.netdevs.length > 0 ? (
              <Link href={`/wizard?mode=pool&pf=${d.address}`} className="text-sm text-blue-800 underline">
                Make a VF pool of this PF…
              </Link>
            ) : null}
          </div>
        </Section>
      ) : null}

      {d.physfn ? (
        <Section title="SR-IOV virtual function">
          <Rows>
            <Row label="PF">
              <AddressLink address={d.physfn} byAddress={byAddress} onSelect={onSelect} />
            </Row>
            <Row label="VF index" mono>
              {d.vfIndex ?? "?"}
            </Row>
          </Rows>
        </Section>
      ) : null}

      {d.netdevs.length > 0 ? (
        <Section title="Network interfaces">
          <div className="space-y-2">
            {d.netdevs.map((n) => (
              <Rows key={n.name}>
                <Row label="Interface" mono>
                  <span className="font-semibold">{n.name}</span>
                </Row>
                <Row label="MAC" mono>
                  {n.mac ?? <None text="unknown" />}
                </Row>
                <Row label="State" mono>
                  {n.operstate ?? <None text="unknown" />}
                </Row>
                <Row label="Addresses" mono>
                  {n.addresses.length === 0 ? (
                    <None />
                  ) : (
                    <ul>
                      {n.addresses.map((a) => (
                        <li key={`${a.address}/${a.prefixLength}`}>
                          {a.address}
                          {a.prefixLength !== null ? `/${a.prefixLength}` : ""} <span className="font-sans text-xs text-slate-500">{a.scope}</span>
                        </li>
                      ))}
                    </ul>
                  )}
                </Row>
                <Row label="Bridge / bond" mono>
                  {n.uppers.length ? n.uppers.join(" → ") : <None />}
                </Row>
              </Rows>
            ))}
          </div>
        </Section>
      ) : null}

      {d.blockDevices.length > 0 ? (
        <Section title="Block devices">
          <div className="space-y-2">
            {d.blockDevices.map((b) => (
              <Rows key={b.name}>
                <Row label="Disk" mono>
                  <span className="font-semibold">{b.name}</span>
                </Row>
                <Row label="Mounts">
                  {b.mounts.length === 0 ? (
                    <None text="not mounted" />
                  ) : (
                    <ul className="font-mono">
                      {b.mounts.map((m) => (
                        <li key={`${m.device}-${m.mountpoint}`}>
                          {m.mountpoint}{" "}
                          <span className="text-slate-500">
                            ({m.device}, {m.fstype})
                          </span>
                        </li>
                      ))}
                    </ul>
                  )}
                </Row>
              </Rows>
            ))}
          </div>
        </Section>
      ) : null}
    </aside>
  );
}

/** What the PF's driver reports for each VF (vfinfo_list): the MAC and VLAN a guest will see. */
function VfSettingsTable({ pf }: { pf: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.devices.vfSettings.queryOptions({ pf }));
  if (q.isPending) return <p className="mt-2 text-xs text-slate-500">Reading VF settings…</p>;
  if (q.isError || q.data.reason) return <p className="mt-2 text-xs text-amber-800">{q.isError ? q.error.message : q.data.reason}</p>;
  return (
    <table className="mt-2 w-full text-left text-xs" aria-label="VF settings" data-testid="vf-settings">
      <TableHead columns={["VF", "MAC", "VLAN", "spoof", "trust", "link"]} cell="pr-2" />
      <tbody className="font-mono">
        {q.data.vfs.map((v) => (
          <tr key={v.vf} data-testid={`vf-settings-${v.vf}`}>
            <td className="pr-2">{v.vf}</td>
            <td className="pr-2">{v.mac}</td>
            <td className="pr-2">
              {v.vlan}
              {v.qos ? ` qos ${v.qos}` : ""}
            </td>
            <td className="pr-2">{v.spoofchk === null ? "?" : v.spoofchk ? "on" : "off"}</td>
            <td className="pr-2">{v.trust === null ? "?" : v.trust ? "on" : "off"}</td>
            <td className="pr-2">{v.linkState ?? "?"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The VMs whose definitions hold this device (when libvirt can be read; nothing is shown otherwise). */
function HeldByVms({ address }: { address: string }) {
  const vms = useVms();
  if (!vms.data?.available) return null;
  const holders = vms.data.rows.flatMap((vm) => vm.devices.filter((x) => x.address === address).map((x) => ({ vm, x })));
  return (
    <Row label="VM">
      {holders.length === 0 ? (
        <None text="no VM has it" />
      ) : (
        <ul data-testid="detail-vms">
          {holders.map(({ vm, x }) => (
            <li key={vm.uuid}>
              <Link href="/vms" className="font-mono text-blue-800 hover:underline">
                {vm.name}
              </Link>{" "}
              <span className="text-xs text-slate-600">{heldIn(x.in, vm.active)}</span>
            </li>
          ))}
        </ul>
      )}
    </Row>
  );
}

/** Who holds the device now, from the kernel, beside libvirt's record; a disagreement is said as such. */
function HoldSection({ d }: { d: PciDevice }) {
  const vms = useVms();
  const claims = vms.data?.available ? claimsFor(vms.data.rows, d.address) : null;
  const disagreement = claims ? comparisonText(d.address, compareHold(d.hold, claims)) : null;
  if (!isHeld(d.hold) && !disagreement) return null;
  return (
    <section aria-label="In use now" data-testid="detail-hold" className="border-t border-sky-200 bg-sky-50 px-4 py-3 text-[13px] text-sky-950">
      <h3 className="mb-1 font-semibold">In use now (what the kernel shows)</h3>
      {isHeld(d.hold) ? (
        <>
          <p data-testid="detail-hold-text">It is {describeHold(d.hold)}.</p>
          {d.hold.holders.length > 0 ? (
            <ul className="mt-1 ml-4 list-disc text-xs text-sky-900" data-testid="detail-holders">
              {d.hold.holders.map((h) => (
                <li key={h.pid}>
                  {describeHolderEvidence(h)}
                  {sinceText(h.startedAt) ? `, ${sinceText(h.startedAt)}` : ""}
                  {h.evidence === "declared" ? " (its open files could not be read; its command line gives it this device)" : ""}
                </li>
              ))}
            </ul>
          ) : null}
          <p className="mt-1 text-xs text-sky-900">
            Passdeck changes neither its driver nor its PF&apos;s VF count while it is held: stop that VM or process first.
          </p>
        </>
      ) : (
        <p>The kernel shows no process holding it.</p>
      )}
      {disagreement ? (
        <p data-testid="hold-disagreement" className="mt-1 flex items-start gap-1.5 text-amber-900">
          <WarnIcon className="mt-0.5 shrink-0" />
          <span>{disagreement}</span>
        </p>
      ) : null}
    </section>
  );
}
