/** The write commands end to end on a simulated kernel: dry run, apply, refusal and failure exit codes. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { getScenario } from "@/server/simulator/catalog";
import { openHostDatabase } from "@/server/db/database";
import { Journal } from "@/server/db/journal";
import { readVfInfo } from "@/server/host/ip-link";
import { SimulatedIpLink } from "@/server/simulator/simulated-ip";
import { SimulatedKernel, type SimulatedKernelOptions } from "@/server/simulator/simulated-kernel";
import { scanInventory } from "@/server/inventory/scan";
import { runCliOn } from "./testing";

const work = mkdtempSync(join(tmpdir(), "passdeck-cliw-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  process.exitCode = undefined;
});
let n = 0;

const journal = new Journal(openHostDatabase(join(work, "data")));

async function run(argv: string[], options?: SimulatedKernelOptions, existing?: { kernel: SimulatedKernel; ip: SimulatedIpLink }) {
  const kernel = existing?.kernel ?? SimulatedKernel.create(getScenario("server"), join(work, `k${n++}`), options);
  const ip = existing?.ip ?? new SimulatedIpLink(kernel.sysRoot);
  const r = await runCliOn(argv, { kernel, ip }, { journal });
  const inv = scanInventory({ sysRoot: kernel.sysRoot, procRoot: kernel.procRoot });
  return { ...r, kernel, ip, inv };
}

describe("passdeck vfs / bind / restore", () => {
  it("--dry-run prints the exact writes and touches nothing", async () => {
    const r = await run(["vfs", "set", "0000:3b:00.0", "2", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("echo 0 > bus/pci/devices/0000:3b:00.0/sriov_numvfs");
    expect(r.out).toContain("echo 2 > bus/pci/devices/0000:3b:00.0/sriov_numvfs");
    expect(r.kernel.writes()).toEqual([]);
  });

  it("applies a VF count and exits 0; the kernel shows the VFs", async () => {
    const r = await run(["vfs", "set", "3b:00.1", "3", "--autoprobe", "off", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).result.ok).toBe(true);
    const pf = r.inv.devices.find((d) => d.address === "0000:3b:00.1")!;
    expect(pf.sriov).toMatchObject({ numVfs: 3, driversAutoprobe: false });
    for (const vf of pf.sriov!.vfs) expect(r.inv.devices.find((d) => d.address === vf)!.driver).toBeNull();
  });

  it("binds a VF to vfio-pci", async () => {
    const r = await run(["bind", "0000:3b:02.3", "vfio-pci"]);
    expect(r.code).toBe(0);
    expect(r.inv.devices.find((d) => d.address === "0000:3b:02.3")!.driver).toBe("vfio-pci");
  });

  it("refuses with exit 2 and writes nothing: a PF with VFs to vfio-pci, a host-critical NIC, bad input", async () => {
    const pf = await run(["bind", "0000:3b:00.0", "vfio-pci"]);
    expect(pf.code).toBe(2);
    expect(pf.err).toContain("SR-IOV PF with 4 VFs enabled");
    expect(pf.kernel.writes()).toEqual([]);
    const critical = await run(["vfs", "set", "0000:18:00.0", "2"]);
    expect(critical.code).toBe(2);
    expect(critical.err).toContain("host-critical");
    expect(critical.err).toContain("--force");
    for (const argv of [
      ["vfs", "set", "../../etc", "2"],
      ["vfs", "set", "0000:3b:00.1", "-3"],
      ["vfs", "set", "0000:3b:00.1", "2; reboot"],
      ["vfs", "set", "0000:3b:00.1", "99999"],
      ["bind", "0000:3b:02.0", "igb"],
      ["restore", "0000:3b:02.0", "--driver", "../x"],
      ["vfs", "set", "0000:3b:00.1", "2", "--autoprobe", "maybe"],
    ]) {
      const r = await run(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.kernel.writes(), argv.join(" ")).toEqual([]);
    }
  });

  it("a PF with only an autoconfigured address (amd's X520): refused until --confirm, never asks for --force", async () => {
    const kernel = SimulatedKernel.create(getScenario("amd"), join(work, `k${n++}`));
    const ip = new SimulatedIpLink(kernel.sysRoot);
    const plain = await run(["vfs", "set", "0000:07:00.0", "2"], undefined, { kernel, ip });
    expect(plain.code).toBe(2);
    expect(plain.err).toContain("enp7s0 has autoconfigured (SLAAC) address 2001:db8:60:0:92e2:baff:fe4a:5b6c/64 — no sockets use it");
    expect(plain.err).toContain("(add --confirm to accept)");
    expect(plain.err).not.toContain("--force");
    expect(kernel.writes()).toEqual([]);
    const confirmed = await run(["vfs", "set", "0000:07:00.0", "2", "--confirm"], undefined, { kernel, ip });
    expect(confirmed.code, confirmed.err).toBe(0);
    expect(kernel.writes().map((w) => `${w.path}=${w.value}`)).toEqual(["bus/pci/devices/0000:07:00.0/sriov_numvfs=2"]);
  });

  it("fails with exit 1, the decoded cause on stderr and the rollback done", async () => {
    const r = await run(["vfs", "set", "0000:3b:00.1", "3"], { pfQuirks: { "0000:3b:00.1": { maxVfs: 2 } } });
    expect(r.code).toBe(1);
    expect(r.err).toContain("fix:");
    expect(r.err).toContain("rolled back: the host is as it was before.");
    expect(r.inv.devices.find((d) => d.address === "0000:3b:00.1")!.sriov!.numVfs).toBe(0);
  });

  it("vf set applies MAC, VLAN and trust through the PF and reads them back", async () => {
    const r = await run(["vf", "set", "0000:3b:00.0", "1", "--mac", "02:11:22:33:44:55", "--vlan", "100", "--trust", "on"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("ip link set dev ens1f0 vf 1 mac 02:11:22:33:44:55 vlan 100 trust on");
    const vf1 = (await readVfInfo(r.ip, "ens1f0")).find((v) => v.vf === 1)!;
    expect(vf1).toMatchObject({ mac: "02:11:22:33:44:55", vlan: 100, trust: true });
  });

  it("reports a setting the driver refuses per setting (igb: link state), exit 1, the rest undone", async () => {
    const made = await run(["vfs", "set", "0000:18:00.1", "2"]);
    expect(made.code, made.err).toBe(0);
    const r = await run(["vf", "set", "0000:18:00.1", "0", "--trust", "on", "--state", "disable"], undefined, made);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/igb/);
    expect(r.err).toMatch(/state/);
    expect(r.err).toContain("rolled back");
    expect((await readVfInfo(made.ip, "eno2")).find((v) => v.vf === 0)!.trust).toBe(false);
  });

  it("refuses bad VF settings with exit 2, naming the flag", async () => {
    for (const [argv, words] of [
      [["vf", "set", "0000:3b:00.0", "0", "--vlan", "4095"], "--vlan"],
      [["vf", "set", "0000:3b:00.0", "0", "--mac", "01:00:5e:00:00:01"], "unicast"],
      [["vf", "set", "0000:3b:00.0", "0", "--mac", "02:11:22:33:44:55;reboot"], "MAC address"],
      [["vf", "set", "0000:3b:00.0", "0", "--spoofchk", "maybe"], "--spoofchk takes on or off"],
      [["vf", "set", "0000:3b:00.0", "0", "--qos", "3"], "qos needs a vlan"],
      [["vf", "set", "0000:3b:00.0", "9", "--trust", "on"], "there is no VF 9"],
      [["vf", "set", "0000:3b:00.0", "0"], "at least one setting"],
    ] as const) {
      const r = await run([...argv]);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.err, argv.join(" ")).toContain(words);
    }
  });

  it("journals every apply: who, the steps and their outcome, also for a failure", async () => {
    const before = journal.list({ limit: 500 }).length;
    await run(["vfs", "set", "0000:3b:00.1", "2"]);
    await run(["vfs", "set", "0000:3b:00.1", "3"], { pfQuirks: { "0000:3b:00.1": { maxVfs: 2 } } });
    await run(["vfs", "set", "0000:3b:00.1", "2", "--dry-run"]);
    const [failed, applied] = journal.list({ limit: 2 });
    expect(journal.list({ limit: 500 }).length).toBe(before + 2); // the dry run is not journaled
    expect(applied).toMatchObject({ title: "Set 0000:3b:00.1 to 2 VFs", actor: "tester", source: "cli", status: "applied", counts: { done: 2 } });
    expect(failed).toMatchObject({ status: "failed-rolled-back", counts: { failed: 1, "rolled-back": 1 } });
    const entry = journal.get(failed!.id)!;
    expect(entry.steps.map((s) => s.status)).toEqual(["failed", "rolled-back"]);
    expect(entry.steps[0]!.error).toMatchObject({ code: "vf-shortfall" });
  });
});

describe("passdeck apply <plan.json>", () => {
  it("applies a saved plan as it is: the kernel's EBUSY after the host moved on comes back decoded, nothing changed", async () => {
    const saved = await run(["vfs", "set", "0000:3b:00.1", "3", "--dry-run", "--json"]);
    const file = join(work, "plan.json");
    writeFileSync(file, saved.out);
    // Meanwhile someone else enabled 2 VFs: the saved "echo 3" now meets the kernel's non-zero → non-zero rule.
    const kernel = SimulatedKernel.create(getScenario("server"), join(work, `k${n++}`));
    kernel.write("bus/pci/devices/0000:3b:00.1/sriov_numvfs", "2");
    const r = await run(["apply", file], undefined, { kernel, ip: new SimulatedIpLink(kernel.sysRoot) });
    expect(r.code).toBe(1);
    expect(r.err).toContain("0000:3b:00.1 already has 2 VFs; the kernel changes the VF count only from 0 (all or nothing), so writing 3 was refused. [EBUSY]");
    expect(r.err).toContain("kernel: i40e 0000:3b:00.1: 2 VFs already enabled. Disable before enabling 3 VFs");
    expect(r.err).toContain("rolled back");
    expect(r.inv.devices.find((d) => d.address === "0000:3b:00.1")!.sriov!.numVfs).toBe(2);
  });

  it("refuses a hand-made plan outside the allow-list, journals the refusal and writes nothing", async () => {
    const file = join(work, "evil.json");
    writeFileSync(
      file,
      JSON.stringify({
        id: "evil",
        title: "x",
        createdAt: "2026-11-24T00:00:00Z",
        steps: [{ step: { kind: "write-attribute", device: "../../../../etc", attribute: "remove", value: "1" }, summary: "", inverse: null }],
      }),
    );
    const r = await run(["apply", file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/refused: steps\.0\.step\.device: must be a canonical PCI address/);
    expect(r.kernel.writes()).toEqual([]);
    expect(journal.list({ limit: 1 })[0]).toMatchObject({ status: "refused", planId: "evil" });
  });
});
