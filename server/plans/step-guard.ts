/**
 * The safety rules, checked on a plan's steps against a fresh scan of the host: what the executor's applier (the
 * privileged helper above all) re-checks before it runs anything, whoever built the plan. The planner decides the
 * same things from the user's request and explains them; this is the floor under it, for a plan that arrives as
 * steps (over the helper's socket, from a compromised web tier, from a saved file):
 *
 * - nothing is done to a bridge or port, and a PF keeps its driver while it has VFs (unbinding it destroys them);
 * - no driver changes under a device anything holds (a process with its VFIO files open, a QEMU naming it, an
 *   interface in another namespace), nothing overriding it, and a VF count does not change under a held VF or
 *   one the host uses (up with an address);
 * - a host-critical device (the default route's NIC, the browser's own connection, the root disk …) is touched only
 *   with a typed override naming it (PlanOverrides.force), which travels with the plan;
 * - a device with host notices only (an autoconfigured address no socket uses) is touched only with the warnings
 *   confirmed (PlanOverrides.confirm);
 * - `set-vf` and VF pools name the PF's own interface, never another netdev;
 * - every wait is one the plan needs (after the VF count write it waits for, for a VF it created), each bounded,
 *   and all of them together at most MAX_PLAN_WAIT_MS;
 * - a running VM's device is not pulled from under it, and no device goes to two VMs (the libvirt in-use map);
 *   when libvirt does not answer, a stopped VM's saved definition naming a device is a warning to confirm.
 *
 * Pure: the inventory and the VMs' view come in as values.
 */
import type { Plan, PlanStep } from "@/server/executor/plan";
import type { Inventory, PciDevice } from "@/server/host/types";
import { guestConflicts, type InUseMap } from "@/server/libvirt/in-use";
import { offlineConflicts, type OfflineRecords } from "@/server/libvirt/offline";
import { libvirtUnreachable, type LibvirtView } from "@/server/libvirt/service";
import { describeHold } from "@/lib/holds";
import { groupHolds, heldRefusal, noticeRefusal, vfsInUse, type Refusal } from "./planner";

/**
 * What the person who reviewed the plan accepted: the warnings (confirm; a typed override implies it) and, by
 * address, the host-critical devices they typed.
 */
export interface PlanOverrides {
  confirm: boolean;
  /** the host-critical devices whose address was typed to accept the risk */
  force: string[];
}

export const NO_OVERRIDES: PlanOverrides = { confirm: false, force: [] };

/** Which VMs hold which devices, as far as this host knows. */
export type GuestView = { kind: "libvirt"; inUse: InUseMap } | { kind: "unreachable"; reason: string; records: OfflineRecords | null } | { kind: "none" };

/** The guard's view from libvirt's: absent libvirt means no VMs; silent libvirt leaves its saved definitions. */
export function guestViewOf(view: LibvirtView | null): GuestView {
  if (!view) return { kind: "none" };
  if (view.ok) return { kind: "libvirt", inUse: view.inUse };
  return libvirtUnreachable(view) ? { kind: "unreachable", reason: view.reason.cause, records: view.records } : { kind: "none" };
}

/** A plan waits at most this long in all; a VF count wait at most 5 min, a VF address check at most 30 s. */
export const MAX_PLAN_WAIT_MS = 60 * 60_000;
const MAX_VF_COUNT_WAIT_MS = 300_000;
const MAX_VF_ADDRESS_WAIT_MS = 30_000;

interface Walk {
  refusals: Refusal[];
  /** host-critical devices the plan touches, and why each is critical */
  critical: Map<string, string>;
  /** devices with host notices (and not host-critical) the plan touches: the "autoconf-address" warning of each */
  notices: Map<string, Refusal>;
}

function walk(plan: Pick<Plan, "steps">, inv: Inventory): Walk {
  const byAddress = new Map(inv.devices.map((d) => [d.address, d]));
  const refusals: Refusal[] = [];
  const critical = new Map<string, string>();
  const notices = new Map<string, Refusal>();
  const refuse = (code: string, reason: string) => refusals.push({ code, reason, override: null });
  // What earlier steps of this plan made true: VF counts written, VFs it checked into existence, waits it earned.
  const vfCount = new Map(inv.devices.filter((d) => d.sriov).map((d) => [d.address, d.sriov!.numVfs]));
  const countWritten = new Map<string, number>();
  const created = new Set<string>();
  const checkedVfs = new Set<string>();
  let waitedMs = 0;

  const known = (address: string, index: number): PciDevice | "created" | null => {
    const d = byAddress.get(address);
    if (d) return d;
    if (created.has(address)) return "created";
    refuse("no-such-device", `step ${index + 1}: ${address} is not a PCI device on this host, and no earlier step creates it`);
    return null;
  };
  const markCritical = (d: PciDevice) => {
    if (d.hostCritical.length > 0) critical.set(d.address, d.hostCritical.join("; "));
    const notice = noticeRefusal(d);
    if (notice) notices.set(d.address, notice);
  };
  const netdevOf = (pf: PciDevice, netdev: string, index: number, what: string) => {
    const own = pf.netdevs.map((n) => n.name);
    if (!own.includes(netdev))
      refuse(
        "foreign-netdev",
        `step ${index + 1}: ${what} names ${netdev}, which is not ${pf.address}'s interface (${own.length ? own.join(", ") : "it has none"})`,
      );
  };
  // one refusal per held device, at its first driver step
  const refuseHeld = (d: PciDevice, index: number) => {
    const held = heldRefusal(inv, d, `step ${index + 1}: no driver change for`);
    if (held && !refusals.some((r) => r.code === "held" && r.reason.includes(` ${d.address}:`))) refusals.push(held);
  };
  const driverChange = (step: Extract<PlanStep, { device: string }>, d: PciDevice, index: number, toVfio: boolean) => {
    if (d.bridge) refuse("bridge", `step ${index + 1}: ${d.address} is a ${d.bridge}: bridges and ports stay on their host driver`);
    if ((vfCount.get(d.address) ?? 0) > 0 && (step.kind === "unbind-driver" || toVfio))
      refuse(
        "pf-with-vfs",
        `step ${index + 1}: ${d.address} is an SR-IOV PF with ${vfCount.get(d.address)} VFs: taking its driver away destroys every VF; set its VF count to 0 first`,
      );
    refuseHeld(d, index);
    markCritical(d);
    if (toVfio) {
      // a VM given this device can reach every device of its IOMMU group
      const group = inv.groups.find((g) => g.id === d.iommuGroup);
      for (const other of group?.endpoints ?? []) {
        const o = byAddress.get(other);
        if (o && o.address !== d.address && o.hostCritical.length > 0)
          critical.set(o.address, `in the same IOMMU group as ${d.address}: ${o.hostCritical.join("; ")}`);
        const notice = o && o.address !== d.address ? noticeRefusal(o) : null;
        if (notice) notices.set(o!.address, notice);
      }
    }
  };

  for (const [index, { step }] of plan.steps.entries()) {
    switch (step.kind) {
      case "write-attribute": {
        const d = known(step.device, index);
        if (d === null || d === "created") break;
        if (step.attribute === "sriov_numvfs") {
          if (!d.sriov) {
            refuse("not-sriov", `step ${index + 1}: ${d.address} is not an SR-IOV physical function`);
            break;
          }
          const value = Number(step.value);
          // Only the first write meets the VFs as the scan saw them; later ones follow this plan's own steps.
          if (!countWritten.has(d.address) && d.sriov.numVfs > 0 && value !== d.sriov.numVfs) {
            const inUse = vfsInUse(inv, d);
            if (inUse.length > 0)
              refuse("vfs-in-use", `step ${index + 1}: changing ${d.address}'s VF count removes its VFs, and some are in use: ${inUse.join("; ")}`);
          }
          markCritical(d);
          vfCount.set(d.address, value);
          countWritten.set(d.address, value);
        } else if (step.attribute === "driver_override" && step.value !== "") driverChange(step, d, index, step.value === "vfio-pci");
        break;
      }
      case "unbind-driver": {
        const d = known(step.device, index);
        if (d && d !== "created") driverChange(step, d, index, false);
        break;
      }
      case "probe-driver": {
        const d = known(step.device, index);
        if (d && d !== "created") driverChange(step, d, index, step.expectDriver === "vfio-pci");
        break;
      }
      case "set-vf": {
        const pf = known(step.pf, index);
        if (pf === null || pf === "created") break;
        if (!pf.sriov) refuse("not-sriov", `step ${index + 1}: ${pf.address} is not an SR-IOV physical function`);
        netdevOf(pf, step.netdev, index, "the VF setting");
        if (step.vf >= (vfCount.get(pf.address) ?? 0)) refuse("no-such-vf", `step ${index + 1}: ${pf.address} has no VF ${step.vf} at that point of the plan`);
        break;
      }
      case "define-pool":
      case "undefine-pool":
      case "start-pool":
      case "stop-pool": {
        const pf = known(step.pool.pf, index);
        if (pf && pf !== "created") netdevOf(pf, step.pool.netdev, index, `the VF pool ${step.pool.name}`);
        break;
      }
      case "attach-device":
      case "detach-device": {
        if (step.device.type === "pool") break;
        const d = known(step.device.address, index);
        if (d && d !== "created" && step.kind === "attach-device") {
          if (d.bridge) refuse("bridge", `step ${index + 1}: ${d.address} is a ${d.bridge}: bridges stay with the host`);
          const vm = step.domain;
          const others = groupHolds(inv, d).filter((h) => !h.hold.holders.some((x) => x.guest && (x.guest.name === vm.name || x.guest.uuid === vm.uuid)));
          if (others.length > 0)
            refuse("held", `step ${index + 1}: ${others.map((h) => `${h.address} is ${describeHold(h.hold)}`).join("; ")}: it cannot go to ${vm.name} too`);
          markCritical(d);
        }
        break;
      }
      case "wait-for": {
        waitedMs += step.timeoutMs;
        const c = step.condition;
        if (c.kind === "vf-count") {
          if (countWritten.get(c.pf) !== c.count)
            refuse("unneeded-wait", `step ${index + 1}: waits for ${c.count} VFs on ${c.pf}, but no earlier step sets that count`);
          if (step.timeoutMs > MAX_VF_COUNT_WAIT_MS)
            refuse("wait-too-long", `step ${index + 1}: waits ${step.timeoutMs / 1000} s for a VF count; at most ${MAX_VF_COUNT_WAIT_MS / 1000} s`);
        } else {
          const key = `${c.pf}/${c.vf}`;
          if (checkedVfs.has(key)) refuse("unneeded-wait", `step ${index + 1}: checks VF ${c.vf} of ${c.pf} a second time`);
          if (c.vf >= (vfCount.get(c.pf) ?? 0))
            refuse("unneeded-wait", `step ${index + 1}: checks VF ${c.vf} of ${c.pf}, which has no such VF at that point of the plan`);
          if (step.timeoutMs > MAX_VF_ADDRESS_WAIT_MS)
            refuse("wait-too-long", `step ${index + 1}: waits ${step.timeoutMs / 1000} s for a VF's address; at most ${MAX_VF_ADDRESS_WAIT_MS / 1000} s`);
          checkedVfs.add(key);
          created.add(c.address);
        }
        break;
      }
    }
  }
  if (waitedMs > MAX_PLAN_WAIT_MS)
    refuse(
      "wait-too-long",
      `the plan's waits add up to ${Math.round(waitedMs / 60_000)} min; a plan may wait at most ${MAX_PLAN_WAIT_MS / 60_000} min in all (apply it in smaller plans)`,
    );
  return { refusals, critical, notices };
}

/** The host-critical devices this plan touches: what a person must name (type) to accept it. */
export function forceTargets(plan: Pick<Plan, "steps">, inv: Inventory): string[] {
  return [...walk(plan, inv).critical.keys()].sort();
}

/**
 * Everything that stops this plan on this host, with these overrides; empty when it may run. Refusals nothing
 * overrides come first; then host-critical devices not named in `force`; then warnings not confirmed.
 */
export function guardPlan(plan: Pick<Plan, "steps">, inv: Inventory, guests: GuestView, o: PlanOverrides): Refusal[] {
  const { refusals, critical, notices } = walk(plan, inv);
  const out = [...refusals];
  for (const [address, why] of critical)
    if (!o.force.includes(address))
      out.push({ code: "host-critical", reason: `${address} is host-critical (${why}): the plan must carry the typed override naming it`, override: "force" });
  // not host-critical: the warnings' confirmation accepts them (a typed override carries it, as in the planner)
  if (!o.confirm) out.push(...notices.values());
  const guest: Refusal[] =
    guests.kind === "libvirt"
      ? guestConflicts({ id: "", title: "", createdAt: "", steps: [...plan.steps] }, inv, guests.inUse)
      : guests.kind === "unreachable"
        ? offlineConflicts(plan, inv, guests.records, guests.reason)
        : [];
  // A typed override also accepts the warnings, as in the planner (server/plans/planner.ts finish()).
  for (const g of guest) if (g.override === null || !o.confirm) out.push(g);
  return out;
}
