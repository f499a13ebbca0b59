/**
 * Drift: the desired state held against the host as it is now, one row per thing compared, in words a user
 * understands. Pure: the caller reads the inventory and the PFs' vfinfo_list (reconcile.ts readVfInfoByPf).
 *
 * Statuses:
 * - ok: the host has it;
 * - drift: it differs and reconcile can put it back (including a VF that appears once its PF's count is restored);
 * - device-missing: nothing is at the address (or the VF cannot come back): left alone;
 * - id-mismatch: a different card sits at the address: never touched.
 */
import type { VfSettings } from "@/server/executor/plan";
import type { VfInfo } from "@/server/host/ip-link";
import type { Inventory, PciDevice } from "@/server/host/types";
import {
  describeVfSettings,
  entryKey,
  idsOf,
  sameCard,
  sortEntries,
  type DesiredEntry,
  type DesiredKind,
  type DesiredState,
  type DeviceIdentity,
} from "./desired-state";

export const DRIFT_STATUSES = ["ok", "drift", "device-missing", "id-mismatch"] as const;
export type DriftStatus = (typeof DRIFT_STATUSES)[number];

export interface DriftItem {
  /** the desired entry this row belongs to (entryKey) */
  entry: string;
  kind: DesiredKind;
  /** the device the entry is about (the PF for VF counts and VF settings) */
  address: string;
  /** the VF index, for VF settings */
  vf: number | null;
  /** what is compared: "VF count", "VF 1 MAC", "driver", "card" */
  what: string;
  desired: string;
  actual: string;
  status: DriftStatus;
  /** for anything not ok: what it means and what happens next */
  note: string | null;
}

export interface DriftReport {
  items: DriftItem[];
  counts: Record<DriftStatus, number>;
  /** every row ok (also true for an empty desired state) */
  inSync: boolean;
}

/** vfinfo_list per PF address, as readVfInfo returns it; a PF missing here could not be read. */
export type VfInfoByPf = Readonly<Record<string, readonly VfInfo[]>>;

type Row = Omit<DriftItem, "entry" | "kind" | "address" | "vf">;

/** One row per comparison, in reconcile's order (counts, VF settings, bindings). */
export function computeDrift(desired: DesiredState, inventory: Inventory, vfInfoByPf: VfInfoByPf): DriftReport {
  const devices = new Map(inventory.devices.map((d) => [d.address, d] as const));
  const wantedCount = (pf: DeviceIdentity): number | null => {
    const e = desired.entries.find((x) => x.kind === "vf-count" && x.address === pf.address && idsOf(x) === idsOf(pf));
    return e?.kind === "vf-count" ? e.vfCount : null;
  };
  const items: DriftItem[] = [];
  for (const e of sortEntries(desired.entries)) {
    const rows = rowsFor(e, devices, wantedCount, vfInfoByPf);
    for (const r of rows) items.push({ entry: entryKey(e), kind: e.kind, address: e.address, vf: e.kind === "vf-settings" ? e.vf : null, ...r });
  }
  const counts = Object.fromEntries(DRIFT_STATUSES.map((s) => [s, items.filter((i) => i.status === s).length])) as Record<DriftStatus, number>;
  return { items, counts, inSync: items.every((i) => i.status === "ok") };
}

function rowsFor(e: DesiredEntry, devices: ReadonlyMap<string, PciDevice>, wantedCount: (pf: DeviceIdentity) => number | null, vfInfoByPf: VfInfoByPf): Row[] {
  const d = devices.get(e.address);
  switch (e.kind) {
    case "vf-count": {
      const problem = identityProblem(e, d);
      if (problem || !d) return [problem!];
      if (!d.sriov)
        return [
          {
            what: "VF count",
            desired: String(e.vfCount),
            actual: "no SR-IOV (sriov_totalvfs is missing)",
            status: "drift",
            note: `${e.address} does not offer SR-IOV now: is its driver loaded, and SR-IOV enabled in the BIOS/firmware?`,
          },
        ];
      const rows: Row[] = [compare("VF count", String(e.vfCount), String(d.sriov.numVfs))];
      if (e.vfCount > 0 && e.autoprobe !== null && d.sriov.driversAutoprobe !== null)
        rows.push(compare("VFs bind to their host driver (autoprobe)", onOff(e.autoprobe), onOff(d.sriov.driversAutoprobe)));
      return rows;
    }
    case "vf-settings": {
      const problem = identityProblem(e, d);
      if (problem || !d) return [problem!];
      const numVfs = d.sriov?.numVfs ?? 0;
      if (e.vf >= numVfs) return [vfAbsent(e, e.vf, numVfs, wantedCount(e), describeVfSettings(e.settings))];
      const list = vfInfoByPf[e.address];
      if (!list)
        return settingChecks(e.settings).map((c) => ({
          what: `VF ${e.vf} ${c.what}`,
          desired: c.desired,
          actual: "unknown: ip link could not be read for this PF",
          status: "drift",
          note: "re-applied and read back by reconcile",
        }));
      const info = list.find((v) => v.vf === e.vf) ?? null;
      return settingChecks(e.settings).map((c) => {
        const actual = info ? c.actual(info) : "not in vfinfo_list";
        const same = info !== null && c.same(info);
        return {
          what: `VF ${e.vf} ${c.what}`,
          desired: c.desired,
          actual: actual ?? "not reported by the driver",
          status: same ? "ok" : "drift",
          note: same ? null : "reconcile sets it through the PF again",
        };
      });
    }
    case "binding": {
      if (d) {
        const problem = identityProblem(e, d);
        if (problem) return [problem];
        if (e.vfOf && (d.physfn !== e.vfOf.address || d.vfIndex !== e.vfOf.vf))
          return [
            {
              what: "VF",
              desired: `VF ${e.vfOf.vf} of ${e.vfOf.address}`,
              actual: d.physfn ? `VF ${d.vfIndex ?? "?"} of ${d.physfn}` : "not a VF",
              status: "id-mismatch",
              note: `${e.address} is now a different function than the VF that was bound: Passdeck will not touch it`,
            },
          ];
        return [
          { ...compare("driver", "vfio-pci", d.driver ?? "no driver"), ...(d.driver === "vfio-pci" ? {} : { note: "reconcile binds it to vfio-pci again" }) },
        ];
      }
      if (!e.vfOf) return [identityProblem(e, d)!];
      const pf = devices.get(e.vfOf.address);
      const pfProblem = identityProblem(e.vfOf, pf);
      if (pfProblem || !pf) return [{ ...pfProblem!, what: `PF of VF ${e.vfOf.vf}` }];
      return [vfAbsent(e.vfOf, e.vfOf.vf, pf.sriov?.numVfs ?? 0, wantedCount(e.vfOf), "on vfio-pci")];
    }
  }
}

function compare(what: string, desired: string, actual: string): Row {
  return desired === actual ? { what, desired, actual, status: "ok", note: null } : { what, desired, actual, status: "drift", note: "reconcile puts it back" };
}

/** The address holds nothing, or another card: the two cases reconcile refuses. */
function identityProblem(e: DeviceIdentity, d: PciDevice | undefined): Row | null {
  if (!d)
    return {
      what: "device",
      desired: `${idsOf(e)} at ${e.address}`,
      actual: "no device at this address",
      status: "device-missing",
      note: `${e.address} is not on this host now (card removed, or a BIOS/firmware setting changed): Passdeck leaves it alone. If it is gone for good: passdeck desired forget ${e.address}`,
    };
  if (!sameCard(e, d))
    return {
      what: "card",
      desired: idsOf(e),
      actual: `${d.vendorId}:${d.deviceId}${d.deviceName ? ` (${d.deviceName})` : ""}`,
      status: "id-mismatch",
      note: `a different card now sits at ${e.address}: Passdeck will not touch it. If the card was replaced on purpose: passdeck desired forget ${e.address}`,
    };
  return null;
}

/** A VF that does not exist: reconcile creates it when the PF's remembered count covers it, otherwise it is missing. */
function vfAbsent(pf: DeviceIdentity, vf: number, numVfs: number, wanted: number | null, desired: string): Row {
  const has = `${pf.address} has ${numVfs} VF${numVfs === 1 ? "" : "s"}`;
  return wanted !== null && wanted > vf
    ? { what: `VF ${vf}`, desired, actual: `not created yet (${has})`, status: "drift", note: `created when reconcile sets the VF count to ${wanted}` }
    : {
        what: `VF ${vf}`,
        desired,
        actual: `does not exist (${has})`,
        status: "device-missing",
        note: `no remembered VF count creates VF ${vf}: set the count again (passdeck vfs set ${pf.address} …) or forget it (passdeck desired forget ${pf.address})`,
      };
}

interface SettingCheck {
  keys: (keyof VfSettings)[];
  what: string;
  desired: string;
  /** null: the driver does not report it, which counts as ok (the executor cannot read it back either) */
  actual: (v: VfInfo) => string | null;
  same: (v: VfInfo) => boolean;
}

const onOff = (b: boolean) => (b ? "on" : "off");
const vlanWords = (vlan: number, qos: number) => (vlan === 0 ? "none" : `${vlan}${qos ? ` (QoS ${qos})` : ""}`);
const rate = (n: number) => (n === 0 ? "no limit" : `${n} Mb/s`);

/** One comparison per setting the user chose, in iproute2's order; VLAN carries its QoS. */
function settingChecks(s: VfSettings): SettingCheck[] {
  const checks: SettingCheck[] = [];
  if (s.mac !== undefined) checks.push({ keys: ["mac"], what: "MAC", desired: s.mac, actual: (v) => v.mac ?? "none", same: (v) => v.mac === s.mac });
  if (s.vlan !== undefined) {
    const vlan = s.vlan;
    const qos = s.qos ?? 0; // a VLAN set without QoS has QoS 0
    checks.push({
      keys: ["vlan", "qos"],
      what: "VLAN",
      desired: vlanWords(vlan, qos),
      actual: (v) => vlanWords(v.vlan, v.qos),
      same: (v) => v.vlan === vlan && v.qos === qos,
    });
  }
  const optional = <K extends keyof VfSettings, V>(key: K, what: string, read: (v: VfInfo) => V | null, words: (x: V) => string) => {
    const want = s[key] as V | undefined;
    if (want === undefined) return;
    checks.push({
      keys: [key],
      what,
      desired: words(want),
      actual: (v) => {
        const got = read(v);
        return got === null ? null : words(got);
      },
      same: (v) => {
        const got = read(v);
        return got === null || got === want;
      },
    });
  };
  optional("spoofchk", "spoof checking", (v) => v.spoofchk, onOff);
  optional("trust", "trust", (v) => v.trust, onOff);
  optional(
    "state",
    "link state",
    (v) => v.linkState,
    (x: string) => x,
  );
  optional("minTxRateMbps", "min rate", (v) => v.minTxRate, rate);
  optional("maxTxRateMbps", "max rate", (v) => v.maxTxRate, rate);
  return checks;
}

/**
 * The desired settings the VF does not have now (null info: all of them), for reconcile's plan: only what drifted
 * is set again. Empty when the VF matches.
 */
export function differingSettings(desired: VfSettings, info: VfInfo | null): VfSettings {
  const out: Record<string, unknown> = {};
  for (const c of settingChecks(desired)) if (!info || !c.same(info)) for (const k of c.keys) if (desired[k] !== undefined) out[k] = desired[k];
  return out;
}
