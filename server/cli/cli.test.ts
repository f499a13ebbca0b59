/** The CLI in-process: the inventory --json contract, exit codes, bad input, and a capture that reproduces the host. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { writeScenarioByName } from "@/server/simulator/catalog";
import { scanInventory } from "@/server/inventory/scan";
import { runCli } from "./main";

const work = mkdtempSync(join(tmpdir(), "passdeck-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function run(scenario: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const roots = writeScenarioByName(scenario, join(work, scenario));
  vi.stubEnv("PASSDECK_SYS_ROOT", roots.sysRoot);
  vi.stubEnv("PASSDECK_PROC_ROOT", roots.procRoot);
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  await runCli(argv);
  const code = Number(process.exitCode ?? 0);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("passdeck CLI", () => {
  it("inventory --json keeps the documented names and formats", async () => {
    const { code, out } = await run("server", "inventory", "--json");
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(j.iommu.enabled).toBe(true);
    const pf = j.devices.find((d: { address: string }) => d.address === "0000:3b:00.0");
    expect(pf).toMatchObject({
      vendorId: "8086",
      deviceId: "1572",
      classId: "020000",
      driver: "i40e",
      physfn: null,
      sriov: { totalVfs: 64, numVfs: 4, vfs: ["0000:3b:02.0", "0000:3b:02.1", "0000:3b:02.2", "0000:3b:02.3"] },
      netdevs: ["ens1f0"],
      hostCritical: [],
      hostNotices: [],
    });
    expect(typeof pf.iommuGroup).toBe("number");
    const vf = j.devices.find((d: { address: string }) => d.address === "0000:3b:02.1");
    expect(vf).toMatchObject({ physfn: "0000:3b:00.0", sriov: null });
    const g = j.groups.find((x: { id: number }) => x.id === pf.iommuGroup);
    expect(g.devices).toContain("0000:3b:00.0");
  });

  it("says who holds a device in inventory, groups and device output; --json carries the hold", async () => {
    const held = "held by kvm pid 2817 (VM 101 router, Proxmox VE)";
    const inv = await run("server", "inventory");
    expect(inv.out).toMatch(new RegExp(`^0000:86:00\\.0 .*\\n.*driver vfio-pci.*\\n    In use: ${held.replace(/[()]/g, "\\$&")}$`, "m"));
    expect(inv.out.match(/In use:/g)).toHaveLength(1);
    const dev = await run("server", "device", "0000:86:00.0");
    expect(dev.out).toContain(`  In use: ${held}`);
    const groups = await run("server", "groups");
    expect(groups.out).toMatch(new RegExp(`0000:86:00\\.0 .*\\(driver vfio-pci, ${held.replace(/[()]/g, "\\$&")}\\)`));
    const json = JSON.parse((await run("server", "inventory", "--json")).out);
    expect(json.devices.find((d: { address: string }) => d.address === "0000:86:00.0").hold).toMatchObject({
      kernel: "vfio-open",
      holders: [{ pid: 2817, evidence: "open" }],
    });
  });

  it("shows host notices apart from host-critical reasons", async () => {
    const { code, out } = await run("amd", "device", "0000:07:00.0");
    expect(code).toBe(0);
    expect(out).toContain("  Host notice: enp7s0 has autoconfigured (SLAAC) address 2001:db8:60:0:92e2:baff:fe4a:5b6c/64 — no sockets use it");
    expect(out).toContain("2001:db8:60:0:92e2:baff:fe4a:5b6c/64 (autoconf)");
    expect(out).not.toContain("HOST-CRITICAL");
    const j = JSON.parse((await run("amd", "inventory", "--json")).out);
    expect(j.devices.find((d: { address: string }) => d.address === "0000:07:00.0")).toMatchObject({
      hostCritical: [],
      hostNotices: [expect.stringContaining("SLAAC"), expect.stringContaining("router advertisement")],
    });
  });

  it("check exits 0 on a ready host and 1 on a host with the IOMMU off", async () => {
    expect((await run("desktop", "check")).code).toBe(0);
    const off = await run("iommu-off", "check");
    expect(off.code).toBe(1);
    expect(off.out).toContain("[FAIL] IOMMU enabled in the kernel");
    expect(off.out).toContain("intel_iommu=on");
  });

  it("groups prints each group with its verdict and reasons", async () => {
    const { out } = await run("desktop", "groups");
    expect(out).toMatch(/IOMMU group \d+ {2}SHARED: Shared: 2 endpoints \(0000:01:00.0, 0000:01:00.1\)/);
    expect(out).toContain("why: 0000:01:00.0, 0000:01:00.1 are functions of one multifunction device");
  });

  it("refuses malformed and unknown addresses with exit 2 and a message naming the problem", async () => {
    const bad = await run("desktop", "device", "0000:01:00.0;reboot");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("is not a PCI address: expected domain:bus:device.function");
    const unknown = await run("desktop", "device", "0000:77:00.0");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("0000:77:00.0 is not a PCI device on this host");
    expect((await run("desktop", "frobnicate")).code).toBe(2);
    expect((await run("desktop", "inventory", "--bogus")).code).toBe(2);
  });

  it("a root that is not sysfs fails with the path and the fix, not a stack trace", async () => {
    vi.stubEnv("PASSDECK_SYS_ROOT", join(work, "empty"));
    mkdirSync(join(work, "empty"), { recursive: true });
    const err: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
    await runCli(["inventory"]);
    expect(process.exitCode).toBe(1);
    expect(err.join("\n")).toContain(`${join(work, "empty")}/bus/pci/devices is missing`);
    expect(err.join("\n")).toContain("fix: Point PASSDECK_SYS_ROOT");
  });

  it("capture writes a tarball that reproduces the same inventory when unpacked", async () => {
    const file = join(work, "server-capture.tar.gz");
    const { code, out } = await run("server", "capture", file);
    expect(code).toBe(0);
    expect(out).toContain("Captured");
    const unpacked = join(work, "unpacked");
    mkdirSync(unpacked, { recursive: true });
    execFileSync("tar", ["-xzf", file, "-C", unpacked]);
    const roots = writeScenarioByName("server", join(work, "server"));
    const original = scanInventory(roots);
    const replay = scanInventory({ sysRoot: join(unpacked, "sys"), procRoot: join(unpacked, "proc") });
    // The holds too: the I210's enable count, and VM 101's /proc/<pid> (its command line cut to what Passdeck reads).
    expect(replay.devices).toEqual(original.devices);
    expect(replay.devices.find((d) => d.address === "0000:86:00.0")?.hold).toMatchObject({
      kernel: "vfio-open",
      holders: [{ pid: 2817, command: "kvm", guest: { vmid: 101, name: "router" } }],
    });
    expect(
      readFileSync(join(unpacked, "proc", "2817", "cmdline"), "utf8")
        .split("\0")
        .filter((a) => a.trim() !== ""),
    ).toEqual(["/usr/bin/kvm", "-id", "101", "-name", "router,debug-threads=on", "-device", expect.stringMatching(/^vfio-pci,host=0000:86:00\.0,/)]);
    expect(replay.groups).toEqual(original.groups);
    expect(replay.facts).toEqual(original.facts);
    expect(replay.readiness).toEqual(original.readiness);
    // Config space is never copied: an entry that was only listed becomes an empty placeholder.
    const pfDir = join(unpacked, "sys", original.devices.find((d) => d.address === "0000:3b:00.0")!.sysfsPath);
    expect(statSync(join(pfDir, "vendor")).size).toBeGreaterThan(0);
    expect(statSync(join(pfDir, "config")).size).toBe(0);

    // A capture with a missing part says which file is missing.
    rmSync(join(pfDir, "vendor"));
    vi.stubEnv("PASSDECK_SYS_ROOT", join(unpacked, "sys"));
    vi.stubEnv("PASSDECK_PROC_ROOT", join(unpacked, "proc"));
    const err: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
    await runCli(["inventory"]);
    expect(process.exitCode).toBe(1);
    expect(err.join("\n")).toContain(`${join(pfDir, "vendor")} does not exist`);
  });
});
