/**
 * `passdeck desired` and `passdeck reconcile` through the CLI's test injection, and the write commands remembering
 * what they applied: a session, a "reboot" (a fresh simulated host of the same scenario), reconcile.
 */
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { openHostDatabase } from "@/server/db/database";
import { Journal } from "@/server/db/journal";
import { DesiredStore } from "@/server/desired/store";
import { readVfInfo } from "@/server/host/ip-link";
import { getScenario } from "@/server/simulator/catalog";
import { SimulatedIpLink } from "@/server/simulator/simulated-ip";
import { SimulatedKernel, type SimulatedKernelOptions } from "@/server/simulator/simulated-kernel";
import { runCliOn } from "./testing";

const work = mkdtempSync(join(tmpdir(), "passdeck-clid-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  process.exitCode = undefined;
});
let n = 0;

interface Host {
  kernel: SimulatedKernel;
  ip: SimulatedIpLink;
}
const boot = (options?: SimulatedKernelOptions): Host => {
  const kernel = SimulatedKernel.create(getScenario("server"), join(work, `k${n++}`), options);
  return { kernel, ip: new SimulatedIpLink(kernel.sysRoot) };
};

/** A machine's database: the journal and the desired state survive the reboots the tests make. */
function machine() {
  const db = openHostDatabase(join(work, `data${n++}`));
  return { journal: new Journal(db), store: new DesiredStore(db) };
}

const run = (argv: string[], host: Host, data: ReturnType<typeof machine>) => runCliOn(argv, host, data);

const PF = "0000:3b:00.1";
const VF1 = "0000:3b:0a.1";
const numvfs = (h: Host) => readFileSync(join(h.kernel.sysRoot, "bus/pci/devices", PF, "sriov_numvfs"), "utf8").trim();
const driverOf = (h: Host, d: string) => basename(readlinkSync(join(h.kernel.sysRoot, "bus/pci/devices", d, "driver")));

/** vfs set, vf set, bind: the user's session, each apply remembered. */
async function session(data: ReturnType<typeof machine>): Promise<Host> {
  const h = boot();
  for (const argv of [
    ["vfs", "set", PF, "3"],
    ["vf", "set", PF, "0", "--mac", "02:11:22:33:44:55", "--vlan", "100"],
    ["bind", VF1, "vfio-pci"],
  ]) {
    const r = await run(argv, h, data);
    expect(r.code, `${argv.join(" ")}: ${r.err}`).toBe(0);
  }
  return h;
}

describe("write commands remember what they applied", () => {
  it("vfs set, vf set and bind record the desired state; a dry run and a refusal record nothing; restore forgets the binding", async () => {
    const data = machine();
    const h = boot();
    expect((await run(["vfs", "set", PF, "3", "--dry-run"], h, data)).code).toBe(0);
    expect((await run(["bind", "0000:3b:00.0", "vfio-pci"], h, data)).code).toBe(2);
    expect(data.store.get().entries).toEqual([]);

    const applied = await run(["vfs", "set", PF, "3", "--autoprobe", "on"], h, data);
    expect(applied.out).toContain("Remembered as desired state");
    expect((await run(["vf", "set", PF, "0", "--mac", "02:11:22:33:44:55", "--vlan", "100"], h, data)).code).toBe(0);
    const bound = await run(["bind", VF1, "vfio-pci", "--json"], h, data);
    expect(JSON.parse(bound.out).desiredRecorded).toBe(true);
    expect(data.store.get().entries.map((e) => [e.kind, e.address, e.updatedBy])).toEqual([
      ["vf-count", PF, "tester"],
      ["vf-settings", PF, "tester"],
      ["binding", VF1, "tester"],
    ]);

    expect((await run(["restore", VF1], h, data)).code).toBe(0);
    expect(data.store.get().entries.map((e) => e.kind)).toEqual(["vf-count", "vf-settings"]);
  });
});

describe("passdeck desired", () => {
  it("lists the desired state and the drift, as text and JSON; forget removes an address", async () => {
    const data = machine();
    const empty = await run(["desired"], boot(), data);
    expect(empty.code).toBe(0);
    expect(empty.out).toContain("Nothing is remembered yet");

    const h = await session(data);
    const inSync = await run(["desired", "--json"], h, data);
    const parsed = JSON.parse(inSync.out);
    expect(parsed.entries).toHaveLength(3);
    expect(parsed.drift.inSync).toBe(true);

    const rebooted = await run(["desired"], boot(), data);
    expect(rebooted.code).toBe(0);
    expect(rebooted.out).toContain(`${PF} (8086:1572): 3 VFs, autoprobe on`);
    expect(rebooted.out).toContain(`VF 0 of ${PF} (8086:1572): MAC 02:11:22:33:44:55, VLAN 100`);
    expect(rebooted.out).toContain(`${VF1} (8086:154c, VF 1 of ${PF}): on vfio-pci`);
    expect(rebooted.out).toContain("The host differs from the desired state: 3 to put back");
    expect(rebooted.out).toMatch(/drift +0000:3b:00\.1 VF count: want 3, is 0/);

    const forgot = await run(["desired", "forget", "3b:00.1"], h, data);
    expect(forgot.code).toBe(0);
    expect(forgot.out.split("\n")).toHaveLength(3);
    expect(data.store.get().entries).toEqual([]);
    expect((await run(["desired", "forget", "nonsense"], h, data)).code).toBe(2);
  });
});

describe("passdeck reconcile", () => {
  it("after a reboot: exit 0 with the tree restored; again: nothing to do; --json carries the report", async () => {
    const data = machine();
    await session(data);
    const h = boot();
    const dry = await run(["reconcile", "--dry-run"], h, data);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toContain(`plan: Set ${PF} to 3 VFs (dry run: nothing written)`);
    expect(dry.out).toContain(`echo 3 > bus/pci/devices/${PF}/sriov_numvfs`);
    expect(dry.out).toContain(`later: Bind ${VF1} to vfio-pci again`);
    expect(h.kernel.writes()).toEqual([]);

    const r = await run(["reconcile"], h, data);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`Applying: Set ${PF} to 3 VFs`);
    expect(r.out).toContain("[done] ip link set dev ens1f1 vf 0 mac 02:11:22:33:44:55 vlan 100");
    expect(r.out).toContain("Reconciled: the host matches the desired state.");
    expect(numvfs(h)).toBe("3");
    expect(driverOf(h, VF1)).toBe("vfio-pci");
    expect((await readVfInfo(h.ip, "ens1f1")).find((v) => v.vf === 0)).toMatchObject({ mac: "02:11:22:33:44:55", vlan: 100 });
    expect(data.journal.list({ limit: 3 }).map((e) => [e.source, e.actor])).toEqual(Array(3).fill(["reconcile", "tester"]));

    const writes = h.kernel.writes().length;
    const again = await run(["reconcile", "--json"], h, data);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ outcome: "in-sync", exitCode: 0, actions: [], refused: [] });
    expect(h.kernel.writes().length).toBe(writes);
    // reconcile does not rewrite the desired state
    expect(data.store.get().entries.map((e) => e.updatedBy)).toEqual(["tester", "tester", "tester"]);
  });

  it("exit 2 when something is refused (another card at the address), with nothing written", async () => {
    const data = machine();
    data.store.replace({ entries: [{ kind: "vf-count", address: PF, vendorId: "8086", deviceId: "158b", vfCount: 2, autoprobe: true }] }, "tester");
    const h = boot();
    const r = await run(["reconcile"], h, data);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`passdeck: refused: ${PF}: card: wanted 8086:158b, found 8086:1572`);
    expect(r.err).toContain("some entries were refused or skipped");
    expect(h.kernel.writes()).toEqual([]);
  });

  it("exit 1 when a plan fails, the cause and fix on stderr", async () => {
    const data = machine();
    await session(data);
    const h = boot({ pfQuirks: { [PF]: { maxVfs: 2 } } });
    const r = await run(["reconcile"], h, data);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`passdeck: failed: Set ${PF} to 3 VFs`);
    expect(r.err).toContain("fix:");
    expect(numvfs(h)).toBe("0");
  });

  it("takes no arguments", async () => {
    const r = await run(["reconcile", "now"], boot(), machine());
    expect(r.code).toBe(2);
  });
});
