/**
 * A process's procfs files (man 5 proc): /proc/<pid>/cmdline (each argument NUL-terminated), comm (a line),
 * status ("Key:\tvalue" lines), stat (fs/proc/array.c do_task_stat: "pid (comm) state" then numbers, field 22 the
 * start time in clock ticks after boot) and cgroup ("hierarchy:controllers:path" lines; v2 is "0::/path").
 * Pure: parsed by server/host/holders.ts and process-stats.ts, printed by the simulator (and a capture).
 */

/** /proc/<pid>/cmdline: the arguments, empty ones dropped (as a kernel thread's empty file reads). */
export function parseArgv(text: string): string[] {
  return text.split("\0").filter(Boolean);
}

export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => `${a}\0`).join("");
}

/** /proc/<pid>/comm: the name, trimmed; null when empty. */
export function parseComm(text: string): string | null {
  return text.trim() || null;
}

export function formatComm(comm: string): string {
  return `${comm}\n`;
}

/** /proc/<pid>/status: "Name", "Uid", "VmRSS", … each with its value as printed (tabs between a list's values). */
export type PidStatus = [key: string, value: string][];

export function parsePidStatus(text: string): PidStatus {
  const out: PidStatus = [];
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) out.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return out;
}

export function formatPidStatus(status: PidStatus): string {
  return status.map(([key, value]) => `${key}:\t${value}\n`).join("");
}

/** The first number of a status value ("Uid" → the real uid, "VmRSS" → KiB); null when absent. */
export function statusNumber(status: PidStatus, key: string): number | null {
  const m = /^(\d+)/.exec(status.find(([k]) => k === key)?.[1] ?? "");
  return m ? Number(m[1]) : null;
}

/** /proc/<pid>/stat: pid, comm (which may hold spaces and parentheses: it ends at the last ")"), state, the rest. */
export interface PidStat {
  pid: number;
  comm: string;
  state: string;
  /** fields 4 on (ppid, pgrp, …), as printed */
  rest: string[];
}

/** man 5 proc's 1-based field numbers */
export const STAT_UTIME = 14;
export const STAT_STIME = 15;
export const STAT_STARTTIME = 22;

export function parsePidStat(text: string): PidStat {
  const open = text.indexOf(" (");
  const close = text.lastIndexOf(")");
  const [state = "", ...rest] = text
    .slice(close + 2)
    .replace(/\n$/, "")
    .split(" ");
  return { pid: Number(text.slice(0, open)), comm: text.slice(open + 2, close), state, rest };
}

export function formatPidStat(stat: PidStat): string {
  return `${stat.pid} (${stat.comm}) ${[stat.state, ...stat.rest].join(" ")}\n`;
}

/** Field `n` (1-based, as man 5 proc numbers them) as a number; NaN when missing. */
export function statField(stat: PidStat, n: number): number {
  return Number(stat.rest[n - 4]);
}

/** /proc/<pid>/cgroup: one entry a hierarchy; cgroup v2 alone is [{ hierarchy: 0, controllers: "", path }]. */
export interface CgroupEntry {
  hierarchy: number;
  controllers: string;
  path: string;
}

export function parseCgroup(text: string): CgroupEntry[] {
  return text
    .split("\n")
    .filter((l) => l.includes(":"))
    .map((l) => {
      const [hierarchy, controllers, ...path] = l.split(":");
      return { hierarchy: Number(hierarchy), controllers: controllers ?? "", path: path.join(":") };
    });
}

export function formatCgroup(entries: readonly CgroupEntry[]): string {
  return entries.map((e) => `${e.hierarchy}:${e.controllers}:${e.path}\n`).join("");
}
