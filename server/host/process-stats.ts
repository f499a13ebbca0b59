/**
 * A process's CPU time, resident memory and children from procfs, for the benchmark scripts (scripts/bench-*.mjs):
 * the one place outside the inventory that reads /proc, under the same rule (the root is a value).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgv, parsePidStat, parsePidStatus, STAT_STIME, STAT_UTIME, statField, statusNumber } from "./formats/pid";

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat on every Linux architecture Passdeck runs on. */
const CLOCK_TICKS_PER_S = 100;

/** utime + stime in seconds, or null when the process is gone. */
export function processCpuSeconds(procRoot: string, pid: number): number | null {
  try {
    const stat = parsePidStat(readFileSync(join(procRoot, String(pid), "stat"), "utf8"));
    return (statField(stat, STAT_UTIME) + statField(stat, STAT_STIME)) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}

/** VmRSS in KiB, or null when the process is gone. */
export function processRssKib(procRoot: string, pid: number): number | null {
  try {
    return statusNumber(parsePidStatus(readFileSync(join(procRoot, String(pid), "status"), "utf8")), "VmRSS");
  } catch {
    return null;
  }
}

export function processChildren(procRoot: string, pid: number): number[] {
  try {
    return readFileSync(join(procRoot, String(pid), "task", String(pid), "children"), "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

export function processCommandLine(procRoot: string, pid: number): string[] {
  try {
    return parseArgv(readFileSync(join(procRoot, String(pid), "cmdline"), "utf8"));
  } catch {
    return [];
  }
}
