/**
 * The dead-man switch guards a NIC with traffic: configured addresses, addresses with sockets (the browser's own
 * among them), bridge and bond members. A SLAAC address nobody configured and no socket uses carries no connection
 * a browser could lose, so it alone opens no confirmation window (it is a host notice to acknowledge instead).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeScenarioByName } from "@/server/simulator/catalog";
import { scanInventory } from "@/server/inventory/scan";
import { networkingReasons } from "./deadman";

const work = mkdtempSync(join(tmpdir(), "passdeck-deadman-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the dead-man switch and host notices", () => {
  it("a VF count change on amd's X520 (a SLAAC address only) needs no window; once a socket uses the address, it does", () => {
    const inv = scanInventory(writeScenarioByName("amd", join(work, "amd")));
    const x520 = inv.devices.find((d) => d.address === "0000:07:00.0")!;
    expect(x520.hostCritical).toEqual([]);
    expect(x520.hostNotices[0]).toContain("2001:db8:60:0:92e2:baff:fe4a:5b6c");
    const plan = {
      steps: [{ step: { kind: "write-attribute" as const, device: x520.address, attribute: "sriov_numvfs" as const, value: "2" }, summary: "", inverse: null }],
    };
    expect(networkingReasons(plan, inv)).toEqual([]);
    // what the scan says when an ssh session comes in on that address (assemble.ts: "with live sockets")
    x520.hostCritical = ["enp7s0 has autoconfigured (SLAAC) address 2001:db8:60:0:92e2:baff:fe4a:5b6c/64 with live sockets (1 TCP connection)"];
    expect(networkingReasons(plan, inv)).toEqual(["changes the VF count of 0000:07:00.0, which carries enp7s0 (2001:db8:60:0:92e2:baff:fe4a:5b6c)"]);
  });
});
