/** The API through a caller with a real InventoryService over a scenario tree: shapes, input validation, error mapping. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeScenarioByName } from "@/server/simulator/catalog";
import { InventoryService } from "@/server/inventory/service";
import { createCaller } from "./root";
import { errorOf, readOnlyContext } from "./testing";

const work = mkdtempSync(join(tmpdir(), "passdeck-api-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const roots = writeScenarioByName("desktop", join(work, "desktop"));
const api = createCaller(readOnlyContext(new InventoryService({ ...roots, demo: "desktop" })));

describe("API over the desktop scenario", () => {
  it("summarises the host", async () => {
    const s = await api.host.summary();
    expect(s.source.demo).toBe("desktop");
    expect(s.ready).toBe(true);
    expect(s.deviceCount).toBe((await api.devices.list()).devices.length);
    expect(s.groupCount).toBe((await api.groups.list()).groups.length);
    expect(s.hostCriticalCount).toBe(2); // the NIC with the default route, the NVMe with /
  });

  it("normalises the short address form and returns the device with its group", async () => {
    const r = await api.devices.byAddress({ address: "01:00.1" });
    expect(r.device.address).toBe("0000:01:00.1");
    expect(r.group?.devices).toEqual(["0000:01:00.0", "0000:01:00.1"]);
  });

  it.each(["../../etc", "0000:01:00.0/../../../x", "0000:01:00.9", "'; reboot", "x".repeat(5000)])(
    "refuses the malformed address %j as BAD_REQUEST",
    async (address) => {
      const err = await errorOf(api.devices.byAddress({ address }));
      expect(err.code).toBe("BAD_REQUEST");
    },
  );

  it("answers NOT_FOUND for a well-formed address the host does not have", async () => {
    const err = await errorOf(api.devices.byAddress({ address: "0000:99:00.0" }));
    expect(err.code).toBe("NOT_FOUND");
    expect(err.message).toBe("0000:99:00.0 is not a PCI device on this host");
  });

  it("maps a root that is not sysfs to PRECONDITION_FAILED naming the path", async () => {
    const broken = createCaller(readOnlyContext(new InventoryService({ sysRoot: join(work, "nowhere"), procRoot: roots.procRoot })));
    const err = await errorOf(broken.groups.list());
    expect(err.code).toBe("PRECONDITION_FAILED");
    expect(err.message).toContain(`${join(work, "nowhere")}/bus/pci/devices is missing`);
  });

  it("says why the journal is unavailable instead of failing the page", async () => {
    expect(await api.journal.list()).toEqual({ available: false, reason: "no journal in this test", entries: [] });
    expect((await errorOf(api.journal.byId({ id: 1 }))).code).toBe("PRECONDITION_FAILED");
    expect((await errorOf(api.journal.byId({ id: -1 }))).code).toBe("BAD_REQUEST");
  });
});
