/** The environment: latency retention durations, with a message naming a bad one. */
import { describe, expect, it } from "vitest";
import { hostRootsFromEnv } from "./env-roots.mjs";
import { readEnv } from "./env";

describe("readEnv", () => {
  it("keeps raw samples 48 h, 10 s rollups 30 days, 1 min a year, 1 h five years by default; durations override", () => {
    const env = readEnv({});
    expect([env.PASSDECK_KEEP_RAW, env.PASSDECK_KEEP_10S, env.PASSDECK_KEEP_1M, env.PASSDECK_KEEP_1H]).toEqual([
      48 * 3_600_000,
      30 * 86_400_000,
      365 * 86_400_000,
      5 * 365 * 86_400_000,
    ]);
    expect(readEnv({ PASSDECK_KEEP_RAW: "7d" }).PASSDECK_KEEP_RAW).toBe(7 * 86_400_000);
  });

  it("refuses a retention that is not a duration of at least an hour, naming the variable", () => {
    expect(() => readEnv({ PASSDECK_KEEP_RAW: "5m" })).toThrow('PASSDECK_KEEP_RAW: "5m" is not a duration of at least an hour (e.g. 48h, 30d, 1y)');
    expect(() => readEnv({ PASSDECK_KEEP_1M: "forever" })).toThrow(/PASSDECK_KEEP_1M: "forever" is not a duration/);
  });

  it("hostRootsFromEnv (the CLI's scan, without zod) reads the host roots as readEnv does", () => {
    const sources = [
      {},
      { PASSDECK_SYS_ROOT: "/tmp/host/sys", PASSDECK_PROC_ROOT: "/tmp/host/proc", PASSDECK_PCI_IDS: "/tmp/pci.ids", PASSDECK_DEMO: "server" },
      { PASSDECK_SYS_ROOT: "", PASSDECK_PROC_ROOT: "", PASSDECK_PCI_IDS: "", PASSDECK_DEMO: "" },
    ];
    for (const source of sources) {
      const env = readEnv(source);
      expect(hostRootsFromEnv(source)).toEqual({
        sysRoot: env.PASSDECK_SYS_ROOT,
        procRoot: env.PASSDECK_PROC_ROOT,
        pciIdsPath: env.PASSDECK_PCI_IDS ?? null,
        demo: env.PASSDECK_DEMO ?? null,
      });
    }
  });
});
