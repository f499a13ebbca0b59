/**
 * The stall watchdog's levers on the real QEMU (watchdog.mjs; its logic is unit-tested in watchdog.test.ts): it runs
 * beside this rig's QEMU, QEMU 10 answers its diagnostics, and its nudge reaches the guest without harming it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { consoleTail, guestRun, rigPaths } from "./rig.mjs";
import { qmp } from "./watchdog.mjs";
import { rig, waitFor } from "./guest";

const hmp = (line: string) => ({ execute: "human-monitor-command", arguments: { "command-line": line } });

/** Per-CPU NMI counts from the guest's /proc/interrupts. */
async function guestNmis(): Promise<number[]> {
  const row = (await guestRun(["grep", "^ *NMI:", "/proc/interrupts"])).trim().split(/\s+/);
  return row.slice(1, 3).map(Number);
}

describe("the stall watchdog on this rig's QEMU", () => {
  it("runs beside QEMU for the wrapper it was started with", () => {
    const { wrapperPid } = rig();
    const watchdogs = readdirSync("/proc")
      .filter((p) => /^\d+$/.test(p))
      .map((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").filter(Boolean);
        } catch {
          return [];
        }
      })
      .filter((argv) => argv.some((a) => a.endsWith("e2e/kernel/watchdog.mjs")));
    expect(watchdogs.map((argv) => argv.slice(-3))).toContainEqual([String(wrapperPid), rigPaths().runDir, `http://127.0.0.1:${rig().agentPort}`]);
  });

  it("gets both vCPUs' host threads, registers and local APICs over QMP", async () => {
    const { pid } = rig();
    const [cpus, registers, lapic0] = (await qmp(rigPaths().qmpSocket, [{ execute: "query-cpus-fast" }, hmp("info registers -a"), hmp("info lapic 0")])) as [
      { "cpu-index": number; "thread-id": number }[],
      string,
      string,
    ];
    expect(cpus.map((c) => c["cpu-index"])).toEqual([0, 1]);
    for (const c of cpus) expect(existsSync(`/proc/${pid}/task/${c["thread-id"]}`), `vCPU ${c["cpu-index"]} thread`).toBe(true);
    expect(registers.match(/^CPU#\d/gm)).toEqual(["CPU#0", "CPU#1"]);
    expect(registers.match(/HLT=[01]/g)).toHaveLength(2);
    // Linux drives the local APIC timer one-shot here (no TSC deadline under TCG): the interrupt that goes missing.
    expect(lapic0).toMatch(/^LVTT\s+0x[0-9a-f]+ .*one-shot/m);
  });

  it("nudges (stop, cont, NMI): CPU 0 takes the NMI, CPU 1 does not (its LINT1 is masked), and the guest goes on", async () => {
    const before = await guestNmis();
    await qmp(rigPaths().qmpSocket, [{ execute: "stop" }, { execute: "cont" }, { execute: "inject-nmi" }]);
    const after = await waitFor("CPU 0's NMI count to move", guestNmis, (n) => n[0]! > before[0]!, 30_000);
    expect(after).toEqual([before[0]! + 1, before[1]!]);
    expect(consoleTail(20)).toMatch(/NMI received for unknown reason \w+ on CPU 0\./);
    expect((await guestRun(["cat", "/proc/sys/kernel/tainted"])).trim()).toBe("0");
  });
});
