/**
 * libvirtd not answering: the saved definitions on disk (libvirt's own XML format, as it writes them under
 * /etc/libvirt/qemu) decide whether a plan asks, and the kernel's view decides whether anything holds a device now.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planRestore, planVfCount } from "@/server/plans/planner";
import { planOf, simulatedHost } from "@/server/plans/testing";
import { offlineConflicts, readOfflineRecords } from "./offline";
import { domainXml, hostdevXml, vfInterfaceXml } from "./testing";

const work = mkdtempSync(join(tmpdir(), "passdeck-offline-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PF = "0000:18:00.1";
const WHY = "libvirt does not answer (libvirtd is not running)";

describe("libvirt's saved definitions when it does not answer", () => {
  it("reads the devices each saved VM names; a missing directory is no VM; a broken file is named, not guessed", () => {
    const dir = join(work, "qemu");
    mkdirSync(join(dir, "autostart"), { recursive: true });
    writeFileSync(
      join(dir, "router.xml"),
      domainXml("router", "00000000-0000-4000-8000-0000000000a1", [vfInterfaceXml("0000:19:10.1", "52:54:00:00:00:01", 300), hostdevXml("0000:05:00.0")]),
    );
    writeFileSync(join(dir, "broken.xml"), "<domain><name>broken");
    writeFileSync(join(dir, "notes.txt"), "not a definition");
    expect(readOfflineRecords(dir)).toEqual({
      dir,
      domains: [{ name: "router", file: join(dir, "router.xml"), addresses: ["0000:05:00.0", "0000:19:10.1"] }],
      unreadable: ["broken.xml"],
    });
    expect(readOfflineRecords(join(work, "absent"))).toEqual({ dir: join(work, "absent"), domains: [], unreadable: [] });
  });

  it("asks only for a plan that changes a device a saved VM names", async () => {
    const host = simulatedHost(work, "server");
    expect((await host.executor.apply(planOf(planVfCount(host.inventory(), PF, 2)))).ok).toBe(true);
    const inv = host.inventory();
    const vf0 = inv.devices.find((d) => d.address === PF)!.sriov!.vfs[0]!;
    const remove = planOf(planVfCount(inv, PF, 0));
    const dir = join(work, "qemu2");
    mkdirSync(dir);
    expect(offlineConflicts(remove, inv, readOfflineRecords(dir), WHY)).toEqual([]);
    writeFileSync(join(dir, "nas.xml"), domainXml("nas", "00000000-0000-4000-8000-0000000000a2", [hostdevXml("0000:05:00.0")]));
    expect(offlineConflicts(remove, inv, readOfflineRecords(dir), WHY)).toEqual([]);
    writeFileSync(join(dir, "router.xml"), domainXml("router", "00000000-0000-4000-8000-0000000000a3", [vfInterfaceXml(vf0, "52:54:00:00:00:01")]));
    expect(offlineConflicts(remove, inv, readOfflineRecords(dir), WHY)).toEqual([
      {
        code: "vm-config-names-device",
        reason: `${WHY}, and its saved definition of the VM router (${join(dir, "router.xml")}) names ${vf0}, which this plan changes: no process holds it now, but router may not start as saved afterwards`,
        override: "confirm",
      },
    ]);
    // restoring a VF no saved VM names: nothing to ask
    const other = inv.devices.find((d) => d.address === PF)!.sriov!.vfs[1]!;
    const restore = planRestore(inv, other, { hostDriver: "vfio-pci" });
    expect(restore.kind === "plan" && offlineConflicts(restore.plan, inv, readOfflineRecords(dir), WHY)).toEqual([]);
  });
});
