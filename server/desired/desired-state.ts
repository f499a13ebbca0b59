/**
 * The user's desired state: what they set through Passdeck (CLI or web) and want back after a reboot or a PF driver
 * reload, since the kernel forgets sriov_numvfs, driver_override and VF MAC/VLAN then.
 *
 * Every entry names its device by PCI address plus vendor/device ID: a different card in the same slot is detected
 * and never touched. IOMMU group numbers are not used, they change across boots.
 *
 * rememberPlan() is the one way an applied plan becomes desired state, for the CLI and the web wizard alike.
 */
import { describeVfSettings } from "@/lib/vf-settings";
import { z } from "zod";
import { canonicalPciAddressSchema } from "@/lib/schemas";
import { vfSettingsSchema } from "@/server/executor/allow-list";
import { isLibvirtStep, stepDevice, type Plan, type VfSettings } from "@/server/executor/plan";
import type { Inventory, PciDevice } from "@/server/host/types";

export interface DeviceIdentity {
  address: string;
  /** 4 lowercase hex digits, as PciDevice.vendorId */
  vendorId: string;
  deviceId: string;
}

/** A PF's VF count and sriov_drivers_autoprobe (null: the PF has no such file). */
export interface DesiredVfCount extends DeviceIdentity {
  kind: "vf-count";
  vfCount: number;
  autoprobe: boolean | null;
}

/** Per-VF settings set through the PF; the identity is the PF's, the VF is its index. */
export interface DesiredVfSettings extends DeviceIdentity {
  kind: "vf-settings";
  vf: number;
  settings: VfSettings;
}

/** A function kept on vfio-pci. */
export interface DesiredBinding extends DeviceIdentity {
  kind: "binding";
  driver: "vfio-pci";
  /** for a VF: its PF and index, since the VF exists only once the PF has its VFs again */
  vfOf: (DeviceIdentity & { vf: number }) | null;
}

export type DesiredEntry = DesiredVfCount | DesiredVfSettings | DesiredBinding;
export type DesiredKind = DesiredEntry["kind"];

export interface DesiredState {
  entries: DesiredEntry[];
}

export const EMPTY_DESIRED: DesiredState = { entries: [] };

const identity = {
  address: canonicalPciAddressSchema,
  vendorId: z.string().regex(/^[0-9a-f]{4}$/),
  deviceId: z.string().regex(/^[0-9a-f]{4}$/),
};

/** Validates desired state from the database or a caller (the web tier's replace). */
export const desiredEntrySchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("vf-count"), ...identity, vfCount: z.number().int().min(0).max(65535), autoprobe: z.boolean().nullable() }).strict(),
  z.object({ kind: z.literal("vf-settings"), ...identity, vf: z.number().int().min(0).max(65535), settings: vfSettingsSchema }).strict(),
  z
    .object({
      kind: z.literal("binding"),
      ...identity,
      driver: z.literal("vfio-pci"),
      vfOf: z
        .object({ ...identity, vf: z.number().int().min(0).max(65535) })
        .strict()
        .nullable(),
    })
    .strict(),
]);

export const desiredStateSchema = z.object({ entries: z.array(desiredEntrySchema).max(10_000) });

/** One entry per key: a PF's count, one VF's settings, one function's binding. */
export function entryKey(e: Pick<DesiredEntry, "kind" | "address"> & { vf?: number }): string {
  return e.kind === "vf-settings" ? `vf-settings ${e.address} vf ${e.vf}` : `${e.kind} ${e.address}`;
}

/** The PF an entry depends on (its own address for a PF's count and VF settings), or null for a plain device. */
export function pfOf(e: DesiredEntry): string | null {
  return e.kind === "binding" ? (e.vfOf?.address ?? null) : e.address;
}

export function idsOf(e: { vendorId: string; deviceId: string }): string {
  return `${e.vendorId}:${e.deviceId}`;
}

export function sameCard(e: { vendorId: string; deviceId: string }, d: PciDevice): boolean {
  return e.vendorId === d.vendorId && e.deviceId === d.deviceId;
}

const KIND_ORDER: Record<DesiredKind, number> = { "vf-count": 0, "vf-settings": 1, binding: 2 };

/** The order reconcile works in (counts, then VF settings, then bindings), by address within each. */
export function sortEntries<T extends DesiredEntry>(entries: T[]): T[] {
  return [...entries].sort(
    (a, b) =>
      KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
      (a.address < b.address ? -1 : a.address > b.address ? 1 : 0) ||
      (a.kind === "vf-settings" && b.kind === "vf-settings" ? a.vf - b.vf : 0),
  );
}

/**
 * The desired state after an APPLIED plan (call it only when the result is ok): the plan's steps, in order, say
 * what the user wanted; the inventory read after the apply says which card each address holds.
 *
 * - the last sriov_numvfs write is the PF's VF count; a write of 0 removes every VF, and with them their settings
 *   and vfio bindings (the kernel loses those too; a count change always writes 0 first);
 * - sriov_drivers_autoprobe writes set autoprobe; a new count entry takes the PF's autoprobe as it reads now;
 * - set-vf steps merge into the VF's settings, the latest value of each setting winning;
 * - a probe expecting vfio-pci is a binding; a probe expecting any other driver (a restore) removes it.
 *
 * Entries at an address the plan touched that name another card are dropped: the user now acts on the card there.
 * Steps whose device is missing from the inventory after are skipped (there is no identity to key them by).
 * Pure: returns a new state, sorted.
 */
export function rememberPlan(previous: DesiredState, plan: Plan, inventoryAfter: Inventory): DesiredState {
  const entries = new Map(previous.entries.map((e) => [entryKey(e), e] as const));
  const devices = new Map(inventoryAfter.devices.map((d) => [d.address, d] as const));
  const id = (d: PciDevice): DeviceIdentity => ({ address: d.address, vendorId: d.vendorId, deviceId: d.deviceId });

  const dropOtherCards = (d: PciDevice) => {
    for (const [key, e] of entries) {
      const stale = (e.address === d.address && !sameCard(e, d)) || (e.kind === "binding" && e.vfOf?.address === d.address && !sameCard(e.vfOf, d));
      if (stale) entries.delete(key);
    }
  };
  const dropVfsOf = (pf: string) => {
    for (const [key, e] of entries) if ((e.kind === "vf-settings" && e.address === pf) || (e.kind === "binding" && e.vfOf?.address === pf)) entries.delete(key);
  };
  const countEntry = (pf: PciDevice): DesiredVfCount => {
    const existing = entries.get(entryKey({ kind: "vf-count", address: pf.address }));
    return existing?.kind === "vf-count"
      ? existing
      : { kind: "vf-count", ...id(pf), vfCount: pf.sriov?.numVfs ?? 0, autoprobe: pf.sriov?.driversAutoprobe ?? null };
  };
  const put = (e: DesiredEntry) => entries.set(entryKey(e), e);

  for (const { step } of plan.steps) {
    // A VM's config and a pool are libvirt's to keep: those steps leave no boot-time state here.
    const address = step.kind === "wait-for" || isLibvirtStep(step) ? null : stepDevice(step);
    const d = address === null ? undefined : devices.get(address);
    if (!d) continue;
    dropOtherCards(d);
    switch (step.kind) {
      case "write-attribute":
        if (step.attribute === "sriov_numvfs") {
          const count = Number(step.value);
          // Any count write creates the VFs afresh (the kernel only goes through 0): what was remembered about the
          // old ones no longer holds, even when they were removed outside Passdeck before this plan.
          dropVfsOf(d.address);
          put({ ...countEntry(d), vfCount: count });
        } else if (step.attribute === "sriov_drivers_autoprobe") {
          put({ ...countEntry(d), autoprobe: step.value === "1" });
        }
        // driver_override: the probe that follows says what it was for
        break;
      case "set-vf": {
        const key = entryKey({ kind: "vf-settings", address: d.address, vf: step.vf });
        const old = entries.get(key);
        const merged: VfSettings = { ...(old?.kind === "vf-settings" ? old.settings : {}), ...step.settings };
        // `ip link set … vf N vlan V` without qos sets qos 0: an older qos no longer holds
        if (step.settings.vlan !== undefined && step.settings.qos === undefined) delete merged.qos;
        put({ kind: "vf-settings", ...id(d), vf: step.vf, settings: merged });
        break;
      }
      case "probe-driver":
        if (step.expectDriver === "vfio-pci") {
          const pf = d.physfn ? devices.get(d.physfn) : undefined;
          put({ kind: "binding", ...id(d), driver: "vfio-pci", vfOf: pf && d.vfIndex !== null ? { ...id(pf), vf: d.vfIndex } : null });
        } else {
          entries.delete(entryKey({ kind: "binding", address: d.address }));
        }
        break;
      case "unbind-driver":
        // an unbind alone decides nothing: the probe after it does
        break;
    }
  }
  return { entries: sortEntries([...entries.values()]) };
}

export { describeVfSettings };

/** An entry in words, for lists: "0000:3b:00.1 (8086:1572): 3 VFs, autoprobe off". */
export function describeEntry(e: DesiredEntry): string {
  switch (e.kind) {
    case "vf-count":
      return `${e.address} (${idsOf(e)}): ${e.vfCount} VF${e.vfCount === 1 ? "" : "s"}${e.autoprobe === null || e.vfCount === 0 ? "" : `, autoprobe ${e.autoprobe ? "on" : "off"}`}`;
    case "vf-settings":
      return `VF ${e.vf} of ${e.address} (${idsOf(e)}): ${describeVfSettings(e.settings)}`;
    case "binding":
      return `${e.address} (${idsOf(e)}${e.vfOf ? `, VF ${e.vfOf.vf} of ${e.vfOf.address}` : ""}): on ${e.driver}`;
  }
}
