/** The virsh process gate: at most `max` at once, a bounded wait for reads, changes never refused and served first. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_VIRSH_PROCESSES, ProcessGate, Virsh, VirshBusy } from "./virsh";

const work = mkdtempSync(join(tmpdir(), "passdeck-virsh-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Work that finishes when the test says so, recording its start. */
function controlled(log: string[]) {
  const finish = new Map<string, () => void>();
  const job = (name: string) => () =>
    new Promise<string>((resolve) => {
      log.push(name);
      finish.set(name, () => resolve(name));
    });
  const settle = () => new Promise((r) => setImmediate(r));
  return { job, finish: async (name: string) => (finish.get(name)!(), await settle(), await settle()), settle };
}

describe("ProcessGate", () => {
  it("runs at most `max` at once, queues `maxWaiting` reads and refuses the rest with VirshBusy", async () => {
    const gate = new ProcessGate(2, 3);
    const started: string[] = [];
    const { job, finish, settle } = controlled(started);
    const results = Array.from({ length: 8 }, (_, i) => gate.run(job(`r${i}`)).catch((e: unknown) => e));
    await settle();
    expect(started).toEqual(["r0", "r1"]);
    expect([gate.active, gate.queued]).toEqual([2, 3]);
    const refused = await Promise.all(results.slice(5));
    for (const e of refused) {
      expect(e).toBeInstanceOf(VirshBusy);
      expect((e as Error).message).toBe(`libvirt is busy: 2 virsh calls run and 3 wait (at most ${MAX_VIRSH_PROCESSES} run at once): try again in a moment`);
    }
    // each finished call hands its slot to the next in line: never more than two run
    await finish("r0");
    expect(started).toEqual(["r0", "r1", "r2"]);
    expect(gate.active).toBe(2);
    for (const name of ["r1", "r2", "r3", "r4"]) await finish(name);
    expect(await Promise.all(results.slice(0, 5))).toEqual(["r0", "r1", "r2", "r3", "r4"]);
    expect([gate.active, gate.queued]).toEqual([0, 0]);
  });

  it("lets a change in past the wait bound, ahead of the queued reads", async () => {
    const gate = new ProcessGate(1, 1);
    const started: string[] = [];
    const { job, finish, settle } = controlled(started);
    const read0 = gate.run(job("read0"));
    const read1 = gate.run(job("read1"));
    await expect(gate.run(job("read2"))).rejects.toBeInstanceOf(VirshBusy);
    const change = gate.run(job("attach"), true);
    await settle();
    await finish("read0");
    expect(started).toEqual(["read0", "attach"]);
    await finish("attach");
    await finish("read1");
    expect(await Promise.all([read0, change, read1])).toEqual(["read0", "attach", "read1"]);
  });

  it("frees the slot when the work fails", async () => {
    const gate = new ProcessGate(1, 0);
    await expect(gate.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await gate.run(() => Promise.resolve("next"))).toBe("next");
  });
});

describe("Virsh", () => {
  it("runs every call through the gate: four calls of a 0.2 s virsh with one slot take 0.8 s, one process at a time", async () => {
    // A stand-in virsh that notes how many of its kind run when it starts.
    const dir = mkdtempSync(join(work, "bin-"));
    const running = join(dir, "running");
    const fake = join(dir, "virsh");
    writeFileSync(fake, `#!/bin/sh\nmkdir "${running}" 2>/dev/null || { echo overlap >&2; exit 9; }\nsleep 0.2\nrmdir "${running}"\necho ok\n`);
    chmodSync(fake, 0o755);
    const virsh = new Virsh("test:///default", fake, false, new ProcessGate(1, 10));
    const start = Date.now();
    const results = await Promise.all(Array.from({ length: 4 }, () => virsh.run(["list"])));
    expect(results.map((r) => [r.code, r.stdout.trim()])).toEqual(Array(4).fill([0, "ok"]));
    expect(Date.now() - start).toBeGreaterThanOrEqual(800);
  });
});
