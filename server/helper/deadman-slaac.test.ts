/** The dead-man switch is not weakened by host notices: a NIC with only a SLAAC address still carries traffic. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeScenarioByName } from "@/server/host/scenarios/catalog";
import { scanInventory } from "@/server/inventory/scan";
import { networkingReasons } from "./deadman";

const work = mkdtempSync(join(tmpdir(), "passdeck-deadman-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the dead-man switch and host notices", () => {
  it("a VF count change on amd's X520 (a SLAAC address only, a host notice) still needs the confirmation window", () => {
    const inv = scanInventory(writeScenarioByName("amd", join(work, "amd")));
    const x520 = inv.devices.find((d) => d.address === "0000:07:00.0")!;
    expect(x520.hostCritical).toEqual([]);
    const plan = { steps: [{ step: { kind: "write-attribute" as const, device: x520.address, attribute: "sriov_numvfs" as const, value: "2" }, summary: "", inverse: null }] };
    expect(networkingReasons(plan, inv)).toEqual(["changes the VF count of 0000:07:00.0, which carries enp7s0 (2001:db8:60:0:92e2:baff:fe4a:5b6c)"]);
  });
});
