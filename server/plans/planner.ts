import { randomUUID } from "node:crypto";
import type { Plan, PlannedStep, VfSettings } from "@/server/executor/plan";
import type { VfInfo } from "@/server/host/ip-link";
import type { Inventory, PciDevice } from "@/server/host/types";
import { describeHold, isHeld, type DeviceHold } from "@/server/host/holders";
import { vfDriverFor } from "./vf-driver";

/** Above this many VFs a warning says what each VF costs; nothing is capped silently. */
export const SENSIBLE_VF_COUNT = 32;
/** The kernel can hold the PF's device lock for a long time while VFs come up; the operator anchor waits 2 minutes. */
export const VF_WAIT_MS = 120_000;

export interface Refusal {
  /** stable id: tests and the UI key on it */
  code: string;
  reason: string;
  /** what overrides it: "confirm" for warnings a user may accept, "force" for host-critical, null when nothing can */
  override: "confirm" | "force" | null;
}

export type PlanOutcome =
  { kind: "plan"; plan: Plan; warnings: Refusal[] } | { kind: "nothing-to-do"; reason: string } | { kind: "refused"; refusals: Refusal[] };

export interface Overrides {
  /** the user confirmed the warnings (shared group, many VFs) */
  confirm?: boolean;
  /** the user typed the confirmation for a host-critical device */
  force?: boolean;
}

/** A plan from its steps, unless a problem the overrides do not cover blocks it. */
export function finish(title: string, steps: PlannedStep[], problems: Refusal[], o: Overrides): PlanOutcome {
  const blocking = problems.filter((p) => p.override === null || (p.override === "force" && !o.force) || (p.override === "confirm" && !o.confirm && !o.force));
  if (blocking.length > 0) return { kind: "refused", refusals: blocking };
  return { kind: "plan", plan: { id: randomUUID(), title, createdAt: new Date().toISOString(), steps }, warnings: problems };
}

function device(inv: Inventory, address: string): PciDevice | null {
  return inv.devices.find((d) => d.address === address) ?? null;
}

const missing = (address: string): PlanOutcome => ({
  kind: "refused",
  refusals: [{ code: "no-such-device", reason: `${address} is not a PCI device on this host`, override: null }],
});

/**
 * What the host has on a device but does not depend on (hostNotices: an autoconfigured or temporary address no
 * socket uses, a router-advertised default route nobody uses): a warning to acknowledge, never a typed override.
 * Null for a host-critical device, which the "host-critical" refusal covers.
 */
export function noticeRefusal(d: PciDevice): Refusal | null {
  if (d.hostCritical.length > 0 || d.hostNotices.length === 0) return null;
  return {
    code: "autoconf-address",
    reason: `${d.address}: ${d.hostNotices.join("; ")}: the address will be re-made when the link comes back; acknowledge to go on`,
    override: "confirm",
  };
}

/**
 * Which of a PF's VFs are in use: held by a process or another network namespace (the kernel's view: removing the
 * VFs would make the kernel wait for the holder, or pull a running guest's NIC), or something the host uses on it
 * (host-critical: a configured address, one with sockets, a mounted disk). A VF that only sits on vfio-pci,
 * opened by nobody, is free: the kernel removes it at once.
 */
export function vfsInUse(inv: Inventory, pf: PciDevice): string[] {
  const reasons: string[] = [];
  for (const vf of pf.sriov?.vfs ?? []) {
    const d = device(inv, vf);
    if (!d) continue;
    for (const h of groupHolds(inv, d)) reasons.push(`${h.address === vf ? vf : `${vf} (through ${h.address} in its IOMMU group)`} is ${describeHold(h.hold)}`);
    // what the host uses on it (a configured address, one with sockets, a mounted disk); an unused autoconfigured
    // address goes with the VF and is no reason to stop
    if (d.hostCritical.length > 0) reasons.push(`${vf} is used by the host: ${d.hostCritical.join("; ")}`);
  }
  return reasons;
}

/**
 * The holds that stop a driver change of `d`: its own, and those on the other members of its IOMMU group (the
 * legacy VFIO group file holds the whole group, and the kernel will not give a member of a group in use to a host
 * driver, which would leave it with none).
 */
export function groupHolds(inv: Inventory, d: PciDevice): { address: string; hold: DeviceHold }[] {
  const members = inv.groups.find((g) => g.id === d.iommuGroup)?.devices ?? [d.address];
  const out: { address: string; hold: DeviceHold }[] = [];
  for (const address of members.includes(d.address) ? members : [d.address, ...members]) {
    const hold = address === d.address ? d.hold : device(inv, address)?.hold;
    if (isHeld(hold)) out.push({ address, hold });
  }
  return out;
}

/** The refusal for a driver change under a hold: no override, the holder named. */
export function heldRefusal(inv: Inventory, d: PciDevice, what: string): Refusal | null {
  const holds = groupHolds(inv, d);
  if (holds.length === 0) return null;
  const who = holds.map((h) => (h.address === d.address ? `it is ${describeHold(h.hold)}` : `${h.address} in its IOMMU group is ${describeHold(h.hold)}`));
  return {
    code: "held",
    reason: `${what} ${d.address}: ${who.join("; ")}. The kernel would wait for the holder to let go (and could leave the device with no driver): stop that VM or process first`,
    override: null,
  };
}

/**
 * Set a PF's VF count: 0 first when changing a non-zero count (the kernel refuses non-zero to non-zero with
 * EBUSY), then N, waiting until the kernel has made N VFs. Optionally with drivers_autoprobe off, so the VFs come
 * up driverless and can go straight to vfio-pci.
 */
export function planVfCount(inv: Inventory, pfAddress: string, count: number, opts: Overrides & { autoprobe?: boolean } = {}): PlanOutcome {
  const pf = device(inv, pfAddress);
  if (!pf) return missing(pfAddress);
  if (!pf.sriov)
    return {
      kind: "refused",
      refusals: [{ code: "not-sriov", reason: `${pfAddress} is not an SR-IOV physical function (no sriov_totalvfs)`, override: null }],
    };
  const { numVfs: current, totalVfs, driversAutoprobe } = pf.sriov;
  if (!Number.isInteger(count) || count < 0)
    return { kind: "refused", refusals: [{ code: "bad-count", reason: `the VF count must be a whole number from 0 to ${totalVfs}`, override: null }] };
  const problems: Refusal[] = [];
  if (count > totalVfs)
    problems.push({ code: "above-total", reason: `${pfAddress} supports at most ${totalVfs} VFs (sriov_totalvfs); ${count} were asked`, override: null });
  if (totalVfs === 0)
    problems.push({ code: "sriov-off", reason: `${pfAddress} reports sriov_totalvfs 0: SR-IOV is disabled in the BIOS/firmware`, override: null });
  if (pf.driver === null || pf.driver === "vfio-pci")
    problems.push({
      code: "pf-driver",
      reason: `${pfAddress} must be bound to its own driver to create VFs (it is ${pf.driver ? "on vfio-pci" : "unbound"})`,
      override: null,
    });
  if (current > 0 && count !== current) {
    const inUse = vfsInUse(inv, pf);
    if (inUse.length > 0)
      problems.push({ code: "vfs-in-use", reason: `changing the count removes the existing VFs, and some are in use: ${inUse.join("; ")}`, override: null });
  }
  if (pf.hostCritical.length > 0)
    problems.push({ code: "host-critical", reason: `${pfAddress} is host-critical: ${pf.hostCritical.join("; ")}`, override: "force" });
  const notice = noticeRefusal(pf);
  if (notice) problems.push(notice);
  if (count > SENSIBLE_VF_COUNT)
    problems.push({
      code: "many-vfs",
      reason: `${count} VFs is a lot: each VF takes queues, interrupt vectors and MMIO space from the PF; create the ones you will use`,
      override: "confirm",
    });

  const wantAutoprobe = opts.autoprobe ?? driversAutoprobe ?? true;
  if (count === current && (count === 0 || wantAutoprobe === driversAutoprobe))
    return problems.some((p) => p.override === null)
      ? { kind: "refused", refusals: problems }
      : { kind: "nothing-to-do", reason: `${pfAddress} already has ${current} VFs` };

  const steps: PlannedStep[] = [];
  const numvfs = (value: number, from: number): PlannedStep => ({
    step: { kind: "write-attribute", device: pfAddress, attribute: "sriov_numvfs", value: String(value) },
    summary: value === 0 ? `Remove the ${from} VFs of ${pfAddress}` : `Create ${value} VFs on ${pfAddress}`,
    inverse: { kind: "write-attribute", device: pfAddress, attribute: "sriov_numvfs", value: String(from) },
  });
  const wait = (n: number): PlannedStep => ({
    step: { kind: "wait-for", condition: { kind: "vf-count", pf: pfAddress, count: n }, timeoutMs: VF_WAIT_MS },
    summary: `Wait until the kernel shows ${n} VFs`,
    inverse: null,
  });
  if (driversAutoprobe !== null && wantAutoprobe !== driversAutoprobe)
    steps.push({
      step: { kind: "write-attribute", device: pfAddress, attribute: "sriov_drivers_autoprobe", value: wantAutoprobe ? "1" : "0" },
      summary: wantAutoprobe ? "New VFs bind to their host driver" : "New VFs come up without a driver (no host netdev), ready for vfio-pci",
      inverse: { kind: "write-attribute", device: pfAddress, attribute: "sriov_drivers_autoprobe", value: driversAutoprobe ? "1" : "0" },
    });
  if (current > 0 && count !== current) steps.push(numvfs(0, current), wait(0));
  if (count > 0 && count !== current) steps.push(numvfs(count, 0), wait(count));
  return finish(`Set ${pfAddress} to ${count} VFs`, steps, problems, opts);
}

/**
 * Bind one function to vfio-pci: unbind from its driver, set driver_override, probe, verify the driver link.
 * The order keeps every step undoable: on failure the override is cleared before the old driver is re-bound.
 */
export function planBindVfio(inv: Inventory, address: string, opts: Overrides = {}): PlanOutcome {
  const d = device(inv, address);
  if (!d) return missing(address);
  if (d.driver === "vfio-pci") return { kind: "nothing-to-do", reason: `${address} is already bound to vfio-pci` };
  const problems: Refusal[] = [];
  const held = heldRefusal(inv, d, "Passdeck will not take the driver from");
  if (held) problems.push(held);
  if (d.bridge)
    problems.push({
      code: "bridge",
      reason: `${address} is a ${d.bridge}: bridges and ports stay on their host driver; pass the devices below it instead`,
      override: null,
    });
  if (d.sriov && d.sriov.numVfs > 0)
    problems.push({
      code: "pf-with-vfs",
      reason: `${address} is an SR-IOV PF with ${d.sriov.numVfs} VFs enabled: vfio-pci refuses it, and unbinding its driver would destroy every VF. Set its VF count to 0 first, or pass a VF instead.`,
      override: null,
    });
  if (!inv.facts.vfio.pciDriverLoaded)
    problems.push({
      code: "vfio-not-loaded",
      reason: "the vfio-pci driver is not loaded: run `modprobe vfio-pci` (and list it in /etc/modules-load.d/vfio.conf)",
      override: null,
    });
  if (d.iommuGroup === null)
    problems.push({ code: "no-group", reason: `${address} has no IOMMU group: the IOMMU is off, so vfio-pci cannot use it`, override: null });
  if (d.hostCritical.length > 0)
    problems.push({ code: "host-critical", reason: `${address} is host-critical: ${d.hostCritical.join("; ")}`, override: "force" });
  const notice = noticeRefusal(d);
  if (notice) problems.push(notice);
  const group = inv.groups.find((g) => g.id === d.iommuGroup);
  const others = (group?.endpoints ?? []).filter((a) => a !== address);
  const criticalOthers = others.filter((a) => (device(inv, a)?.hostCritical.length ?? 0) > 0);
  if (criticalOthers.length > 0)
    problems.push({
      code: "group-host-critical",
      reason: `IOMMU group ${d.iommuGroup} also holds host-critical ${criticalOthers.join(", ")}: a VM given this device can reach them`,
      override: "force",
    });
  const notVfio = others.filter((a) => device(inv, a)?.driver !== "vfio-pci");
  if (notVfio.length > 0 && criticalOthers.length === 0)
    problems.push({
      code: "shared-group",
      reason: `IOMMU group ${d.iommuGroup} also holds ${notVfio.join(", ")}: QEMU needs every endpoint of the group on vfio-pci before the VM starts`,
      override: "confirm",
    });

  const steps: PlannedStep[] = [];
  if (d.driver)
    steps.push({
      step: { kind: "unbind-driver", device: address, driver: d.driver },
      summary: `Release ${address} from ${d.driver}${d.netdevs.length ? ` (the host loses ${d.netdevs.map((n) => n.name).join(", ")})` : ""}`,
      inverse: { kind: "probe-driver", device: address, expectDriver: d.driver, explicit: true },
    });
  steps.push(
    {
      step: { kind: "write-attribute", device: address, attribute: "driver_override", value: "vfio-pci" },
      summary: `Reserve ${address} for vfio-pci (driver_override; never new_id, which would catch every device with this ID)`,
      inverse: { kind: "write-attribute", device: address, attribute: "driver_override", value: d.driverOverride ?? "" },
    },
    {
      step: { kind: "probe-driver", device: address, expectDriver: "vfio-pci" },
      summary: `Probe ${address} and check that vfio-pci took it`,
      inverse: { kind: "unbind-driver", device: address, driver: "vfio-pci" },
    },
  );
  return finish(`Bind ${address} to vfio-pci`, steps, problems, opts);
}

/** Give a function back to its host driver: unbind vfio-pci, clear the override, probe, verify. */
export function planRestore(inv: Inventory, address: string, opts: Overrides & { hostDriver?: string } = {}): PlanOutcome {
  const d = device(inv, address);
  if (!d) return missing(address);
  const pf = d.physfn ? device(inv, d.physfn) : null;
  const hostDriver = opts.hostDriver ?? (pf ? vfDriverFor(pf.driver) : null);
  const held = heldRefusal(inv, d, "Passdeck will not take the driver from");
  if (!hostDriver)
    return {
      kind: "refused",
      // a holder comes first: whatever the host driver, nothing changes while a VM has the device
      refusals: [
        ...(held ? [held] : []),
        { code: "unknown-host-driver", reason: `Passdeck does not know ${address}'s host driver: name it (for example --driver igb)`, override: null },
      ],
    };
  if (d.driver === hostDriver && d.driverOverride === null) return { kind: "nothing-to-do", reason: `${address} is already on ${hostDriver}` };
  const steps: PlannedStep[] = [];
  if (d.driver)
    steps.push({
      step: { kind: "unbind-driver", device: address, driver: d.driver },
      summary: `Release ${address} from ${d.driver}`,
      inverse: { kind: "probe-driver", device: address, expectDriver: d.driver, explicit: true },
    });
  if (d.driverOverride !== null)
    steps.push({
      step: { kind: "write-attribute", device: address, attribute: "driver_override", value: "" },
      summary: `Clear driver_override (${d.driverOverride})`,
      inverse: { kind: "write-attribute", device: address, attribute: "driver_override", value: d.driverOverride },
    });
  steps.push({
    step: { kind: "probe-driver", device: address, expectDriver: hostDriver },
    summary: `Probe ${address} and check that ${hostDriver} took it`,
    inverse: { kind: "unbind-driver", device: address, driver: hostDriver },
  });
  return finish(`Restore ${address} to ${hostDriver}`, steps, held ? [held] : [], opts);
}

/**
 * Per-VF network settings through the PF (`ip link set <pf> vf N …`). The inverse puts back what vfinfo_list
 * showed before; a zero MAC cannot be put back (igb and bnx2x refuse it), so it is left out of the undo.
 */
export function planVfSettings(inv: Inventory, pfAddress: string, vf: number, settings: VfSettings, current: VfInfo | null): PlanOutcome {
  const pf = device(inv, pfAddress);
  if (!pf) return missing(pfAddress);
  if (!pf.sriov) return { kind: "refused", refusals: [{ code: "not-sriov", reason: `${pfAddress} is not an SR-IOV physical function`, override: null }] };
  if (vf >= pf.sriov.numVfs)
    return {
      kind: "refused",
      refusals: [{ code: "no-such-vf", reason: `${pfAddress} has ${pf.sriov.numVfs} VFs (0–${pf.sriov.numVfs - 1}); there is no VF ${vf}`, override: null }],
    };
  const netdev = pf.netdevs[0]?.name;
  if (!netdev)
    return {
      kind: "refused",
      refusals: [
        {
          code: "no-pf-netdev",
          reason: `${pfAddress} has no network interface: VF settings go through the PF's interface (is it a NIC bound to its driver?)`,
          override: null,
        },
      ],
    };
  const undo: VfSettings = {};
  if (current) {
    if (settings.mac !== undefined && current.mac && current.mac !== "00:00:00:00:00:00") undo.mac = current.mac;
    if (settings.vlan !== undefined || settings.qos !== undefined) Object.assign(undo, { vlan: current.vlan, qos: current.qos });
    if (settings.spoofchk !== undefined && current.spoofchk !== null) undo.spoofchk = current.spoofchk;
    if (settings.trust !== undefined && current.trust !== null) undo.trust = current.trust;
    if (settings.state !== undefined && current.linkState !== null) undo.state = current.linkState;
    if (settings.minTxRateMbps !== undefined && current.minTxRate !== null) undo.minTxRateMbps = current.minTxRate;
    if (settings.maxTxRateMbps !== undefined && current.maxTxRate !== null) undo.maxTxRateMbps = current.maxTxRate;
  }
  const words = Object.entries(settings)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(", ");
  return finish(
    `Set VF ${vf} of ${pfAddress}: ${words}`,
    [
      {
        step: { kind: "set-vf", pf: pfAddress, netdev, vf, settings },
        summary: `Set ${words} on VF ${vf} through ${netdev}`,
        inverse: Object.keys(undo).length > 0 ? { kind: "set-vf", pf: pfAddress, netdev, vf, settings: undo } : null,
      },
    ],
    [],
    {},
  );
}
