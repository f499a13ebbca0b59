/** Drift statuses and words, over the server demo host as it boots, with hand-written vfinfo_list. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { VfInfo } from "@/server/host/ip-link";
import { planBindVfio } from "@/server/plans/planner";
import { planOf } from "@/server/plans/testing";
import type { DesiredEntry } from "./desired-state";
import { computeDrift, differingSettings } from "./drift";
import { bootHost } from "./testing";

const work = mkdtempSync(join(tmpdir(), "passdeck-drift-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const X710 = { vendorId: "8086", deviceId: "1572" };
const X710_VF = { vendorId: "8086", deviceId: "154c" };
const PF0 = "0000:3b:00.0"; // boots with 4 VFs on iavf: 0000:3b:02.0–02.3
const PF1 = "0000:3b:00.1"; // boots with none

const vfInfo = (vf: number, extra: Partial<VfInfo> = {}): VfInfo => ({
  vf,
  mac: "00:00:00:00:00:00",
  vlan: 0,
  qos: 0,
  spoofchk: true,
  trust: false,
  linkState: "auto",
  minTxRate: 0,
  maxTxRate: 0,
  ...extra,
});

const host = bootHost(work);
const inv = host.inventory();
const drift = (entries: DesiredEntry[], vf: Record<string, VfInfo[]> = {}) => computeDrift({ entries }, inv, vf);

describe("computeDrift", () => {
  it("an empty desired state is in sync", () => {
    expect(drift([])).toEqual({ items: [], counts: { ok: 0, drift: 0, "device-missing": 0, "id-mismatch": 0 }, inSync: true });
  });

  it("ok: the VF count, autoprobe and per-VF settings the host has", () => {
    const r = drift(
      [
        { kind: "vf-count", address: PF0, ...X710, vfCount: 4, autoprobe: true },
        { kind: "vf-settings", address: PF0, ...X710, vf: 2, settings: { mac: "02:00:00:00:00:02", vlan: 10, qos: 2, trust: true, maxTxRateMbps: 500 } },
      ],
      { [PF0]: [vfInfo(0), vfInfo(1), vfInfo(2, { mac: "02:00:00:00:00:02", vlan: 10, qos: 2, trust: true, maxTxRate: 500 }), vfInfo(3)] },
    );
    expect(r.inSync).toBe(true);
    expect(r.items.map((i) => [i.what, i.desired, i.actual, i.status])).toEqual([
      ["VF count", "4", "4", "ok"],
      ["VFs bind to their host driver (autoprobe)", "on", "on", "ok"],
      ["VF 2 MAC", "02:00:00:00:00:02", "02:00:00:00:00:02", "ok"],
      ["VF 2 VLAN", "10 (QoS 2)", "10 (QoS 2)", "ok"],
      ["VF 2 trust", "on", "on", "ok"],
      ["VF 2 max rate", "500 Mb/s", "500 Mb/s", "ok"],
    ]);
    expect(r.items[2]).toMatchObject({ entry: `vf-settings ${PF0} vf 2`, kind: "vf-settings", address: PF0, vf: 2, note: null });
  });

  it("drift after a reboot: count, autoprobe, VF settings and a binding whose VF is not created yet", () => {
    const r = drift([
      { kind: "vf-count", address: PF1, ...X710, vfCount: 3, autoprobe: false },
      { kind: "vf-settings", address: PF1, ...X710, vf: 0, settings: { mac: "02:11:22:33:44:55", vlan: 100 } },
      { kind: "binding", address: "0000:3b:0a.1", ...X710_VF, driver: "vfio-pci", vfOf: { address: PF1, ...X710, vf: 1 } },
    ]);
    expect(r.items.map((i) => [i.what, i.desired, i.actual, i.status])).toEqual([
      ["VF count", "3", "0", "drift"],
      ["VFs bind to their host driver (autoprobe)", "off", "on", "drift"],
      ["VF 0", "MAC 02:11:22:33:44:55, VLAN 100", "not created yet (0000:3b:00.1 has 0 VFs)", "drift"],
      ["VF 1", "on vfio-pci", "not created yet (0000:3b:00.1 has 0 VFs)", "drift"],
    ]);
    expect(r.items[2]!.note).toBe("created when reconcile sets the VF count to 3");
    expect(r.counts).toEqual({ ok: 0, drift: 4, "device-missing": 0, "id-mismatch": 0 });
    expect(r.inSync).toBe(false);
  });

  it("drift on an existing VF: its settings differ, its driver is not vfio-pci", () => {
    const r = drift(
      [
        { kind: "vf-settings", address: PF0, ...X710, vf: 1, settings: { vlan: 100, spoofchk: false, state: "enable", minTxRateMbps: 10 } },
        { kind: "binding", address: "0000:3b:02.1", ...X710_VF, driver: "vfio-pci", vfOf: { address: PF0, ...X710, vf: 1 } },
      ],
      { [PF0]: [vfInfo(0), vfInfo(1, { vlan: 100, qos: 5 })] },
    );
    expect(r.items.map((i) => [i.what, i.desired, i.actual, i.status])).toEqual([
      ["VF 1 VLAN", "100", "100 (QoS 5)", "drift"], // setting the VLAN alone puts QoS back to 0
      ["VF 1 spoof checking", "off", "on", "drift"],
      ["VF 1 link state", "enable", "auto", "drift"],
      ["VF 1 min rate", "10 Mb/s", "no limit", "drift"],
      ["driver", "vfio-pci", "iavf", "drift"],
    ]);
  });

  it("a setting the driver does not report counts as ok; a PF whose vfinfo could not be read is drift (unknown)", () => {
    const entries: DesiredEntry[] = [{ kind: "vf-settings", address: PF0, ...X710, vf: 0, settings: { trust: true } }];
    const unreported = drift(entries, { [PF0]: [vfInfo(0, { trust: null })] });
    expect(unreported.items.map((i) => [i.actual, i.status])).toEqual([["not reported by the driver", "ok"]]);
    const unread = drift(entries, {});
    expect(unread.items.map((i) => [i.actual, i.status])).toEqual([["unknown: ip link could not be read for this PF", "drift"]]);
  });

  it("id-mismatch: another card at the address, and a VF address that is now another PF's VF", () => {
    const r = drift([
      { kind: "vf-count", address: PF1, vendorId: "15b3", deviceId: "1017", vfCount: 8, autoprobe: true },
      { kind: "vf-settings", address: PF1, vendorId: "15b3", deviceId: "1017", vf: 0, settings: { trust: true } },
      { kind: "binding", address: "0000:3b:02.1", ...X710_VF, driver: "vfio-pci", vfOf: { address: PF1, ...X710, vf: 1 } },
      { kind: "binding", address: "0000:3b:0a.0", ...X710_VF, driver: "vfio-pci", vfOf: { address: PF1, vendorId: "15b3", deviceId: "1017", vf: 0 } },
    ]);
    expect(r.items.map((i) => [i.entry, i.what, i.desired, i.actual, i.status])).toEqual([
      [`vf-count ${PF1}`, "card", "15b3:1017", expect.stringMatching(/^8086:1572/), "id-mismatch"],
      [`vf-settings ${PF1} vf 0`, "card", "15b3:1017", expect.stringMatching(/^8086:1572/), "id-mismatch"],
      ["binding 0000:3b:02.1", "VF", `VF 1 of ${PF1}`, `VF 1 of ${PF0}`, "id-mismatch"],
      ["binding 0000:3b:0a.0", "PF of VF 0", "15b3:1017", expect.stringMatching(/^8086:1572/), "id-mismatch"],
    ]);
    expect(r.items[0]!.note).toBe(
      `a different card now sits at ${PF1}: Passdeck will not touch it. If the card was replaced on purpose: passdeck desired forget ${PF1}`,
    );
    expect(r.counts["id-mismatch"]).toBe(4);
  });

  it("device-missing: an empty address, a VF that no remembered count creates, a VF of a missing PF", () => {
    const r = drift([
      { kind: "binding", address: "0000:af:00.0", vendorId: "10de", deviceId: "2204", driver: "vfio-pci", vfOf: null },
      { kind: "vf-settings", address: PF1, ...X710, vf: 0, settings: { trust: true } },
      { kind: "binding", address: "0000:3b:0a.2", ...X710_VF, driver: "vfio-pci", vfOf: { address: PF1, ...X710, vf: 2 } },
      { kind: "binding", address: "0000:d8:02.0", ...X710_VF, driver: "vfio-pci", vfOf: { address: "0000:d8:00.0", ...X710, vf: 0 } },
    ]);
    // in reconcile's order: VF settings, then bindings by address
    expect(r.items.map((i) => [i.address, i.what, i.actual, i.status])).toEqual([
      [PF1, "VF 0", "does not exist (0000:3b:00.1 has 0 VFs)", "device-missing"],
      ["0000:3b:0a.2", "VF 2", "does not exist (0000:3b:00.1 has 0 VFs)", "device-missing"],
      ["0000:af:00.0", "device", "no device at this address", "device-missing"],
      ["0000:d8:02.0", "PF of VF 0", "no device at this address", "device-missing"],
    ]);
    expect(r.items[2]!.note).toContain("passdeck desired forget 0000:af:00.0");
  });

  it("ok for a binding once the function is on vfio-pci; drift for a PF that lost SR-IOV", async () => {
    const h = bootHost(work);
    expect((await h.executor.apply(planOf(planBindVfio(h.inventory(), "0000:3b:02.3")))).ok).toBe(true);
    const r = computeDrift(
      {
        entries: [
          { kind: "binding", address: "0000:3b:02.3", ...X710_VF, driver: "vfio-pci", vfOf: { address: PF0, ...X710, vf: 3 } },
          // the BMC VGA: same IDs as remembered, but no SR-IOV
          { kind: "vf-count", address: "0000:03:00.0", vendorId: "1a03", deviceId: "2000", vfCount: 2, autoprobe: true },
        ],
      },
      h.inventory(),
      {},
    );
    expect(r.items.map((i) => [i.what, i.actual, i.status])).toEqual([
      ["VF count", "no SR-IOV (sriov_totalvfs is missing)", "drift"],
      ["driver", "vfio-pci", "ok"],
    ]);
  });
});

describe("differingSettings", () => {
  it("keeps only what differs; VLAN carries its QoS; no vfinfo: everything", () => {
    const want = { mac: "02:00:00:00:00:09", vlan: 30, qos: 1, trust: true };
    expect(differingSettings(want, vfInfo(0, { mac: "02:00:00:00:00:09", vlan: 30 }))).toEqual({ vlan: 30, qos: 1, trust: true });
    expect(differingSettings(want, vfInfo(0, { mac: "02:00:00:00:00:09", vlan: 30, qos: 1, trust: true }))).toEqual({});
    expect(differingSettings(want, null)).toEqual(want);
  });
});
