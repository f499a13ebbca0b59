/**
 * A scan takes a device's IDs and class from its uevent (one read) where it can, and a capture reads the five
 * attribute files instead (server/host/pci.ts): both must give the same inventory, on every demo scenario and on
 * the machine running the tests (a real kernel's uevent). A lean scan (`passdeck inventory --json`) must print
 * the same JSON as a full one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { FsRecorder } from "@/server/host/fs";
import { ueventIds } from "@/server/host/pci";
import { listScenarios, writeScenarioByName } from "@/server/simulator/catalog";
import type { Inventory } from "@/server/host/types";
import { readEnv } from "@/server/env";
import { inventoryJson } from "@/server/cli/format";
import { scanInventory, type HostRoots } from "./scan";

const work = mkdtempSync(join(tmpdir(), "passdeck-parity-"));
// bench-1000 is a tree of thousands of files: its writing, two scans and its removal take seconds on a busy machine
afterAll(() => rmSync(work, { recursive: true, force: true }), 60_000);

/** records nothing: only makes the scan read as a capture does */
const discard: FsRecorder = { file() {}, link() {}, dir() {}, exists() {} };
const withoutTime = (inv: Inventory): Inventory => ({ ...inv, scannedAt: "" });

function expectSameBothWays(roots: HostRoots): Inventory {
  const fast = scanInventory(roots);
  const fromAttributes = scanInventory({ ...roots, recorder: discard });
  expect(withoutTime(fast)).toEqual(withoutTime(fromAttributes));
  const lean = scanInventory({ ...roots, lean: true });
  expect(JSON.stringify(inventoryJson(withoutTime(lean)), null, 2)).toBe(JSON.stringify(inventoryJson(withoutTime(fast)), null, 2));
  return fast;
}

describe("the uevent and the attribute files give the same inventory, and a lean scan the same JSON", () => {
  for (const { name } of listScenarios())
    it(`on the ${name} scenario`, { timeout: 60_000 }, () => {
      const inv = expectSameBothWays({ ...writeScenarioByName(name, join(work, name)), demo: name });
      expect(inv.devices.length).toBeGreaterThan(0);
    });

  it("on this machine's kernel", () => {
    const env = readEnv({});
    expectSameBothWays({ sysRoot: env.PASSDECK_SYS_ROOT, procRoot: env.PASSDECK_PROC_ROOT });
  });
});

describe("ueventIds", () => {
  it("reads the IDs and the class as pci_uevent() prints them", () => {
    const text = "DRIVER=i40e\nPCI_CLASS=20000\nPCI_ID=8086:1572\nPCI_SUBSYS_ID=8086:0000\nPCI_SLOT_NAME=0000:86:00.0\nMODALIAS=pci:v…";
    expect(ueventIds(text)).toEqual({ driver: "i40e", vendor: "8086", device: "1572", cls: "20000", subVendor: "8086", subDevice: "0000" });
    expect(ueventIds("PCI_CLASS=20000\nPCI_ID=8086:1572\n")?.driver).toBeNull();
  });

  it("gives null (read the attribute files) when the IDs or the class are missing or malformed", () => {
    expect(ueventIds(null)).toBeNull();
    expect(ueventIds("DRIVER=x\nPCI_CLASS=20000\n")).toBeNull();
    expect(ueventIds("PCI_ID=8086:1572\n")).toBeNull();
    expect(ueventIds("PCI_ID=8086-1572\nPCI_CLASS=20000\n")).toBeNull();
    expect(ueventIds("PCI_ID=8086:1572\nPCI_CLASS=zz\n")).toBeNull();
  });

  it("leaves the subsystem to its files when the uevent lacks it", () => {
    expect(ueventIds("PCI_ID=8086:1572\nPCI_CLASS=20000\n")?.subVendor ?? null).toBeNull();
  });
});

describe("a lean scan", () => {
  it("leaves out what the JSON does not print, and keeps whether a device has a link", () => {
    const roots = writeScenarioByName("server", join(work, "lean-server"));
    const full = scanInventory(roots);
    const lean = scanInventory({ ...roots, lean: true });
    const withLink = full.devices.find((d) => d.link?.currentSpeed && d.revision !== null)!;
    const leanOne = lean.devices.find((d) => d.address === withLink.address)!;
    expect(leanOne.link).toEqual({ currentSpeed: null, currentWidth: null, maxSpeed: null, maxWidth: null, downgraded: false });
    expect(leanOne.revision).toBeNull();
    expect(leanOne.reset.methods).toBeNull();
    expect(lean.devices.map((d) => d.link === null)).toEqual(full.devices.map((d) => d.link === null));
    expect(lean.devices.map((d) => d.bridge)).toEqual(full.devices.map((d) => d.bridge));
  });

  it("is a full scan while a capture records", () => {
    const roots = writeScenarioByName("rig", join(work, "lean-rig"));
    expect(withoutTime(scanInventory({ ...roots, lean: true, recorder: discard }))).toEqual(withoutTime(scanInventory(roots)));
  });
});
