/** What the simulator prints is what server/host/ parses: every procfs table of every demo host reads back to the same bytes. */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatCmdline, parseCmdline } from "@/server/host/formats/cmdline";
import { formatCpuinfo, parseCpuinfo } from "@/server/host/formats/cpuinfo";
import { formatFibTrie, parseFibTrie } from "@/server/host/formats/fib-trie";
import { formatIfInet6, parseIfInet6 } from "@/server/host/formats/if-inet6";
import { formatInterrupts, parseInterrupts } from "@/server/host/formats/interrupts";
import { formatIpv6Route, parseIpv6Route } from "@/server/host/formats/ipv6-route";
import { formatMountinfo, parseMountinfo } from "@/server/host/formats/mountinfo";
import { formatMounts, parseMounts } from "@/server/host/formats/mounts";
import { formatNetRoute, parseNetRoute } from "@/server/host/formats/net-route";
import {
  formatArgv,
  formatCgroup,
  formatComm,
  formatPidStat,
  formatPidStatus,
  parseArgv,
  parseCgroup,
  parseComm,
  parsePidStat,
  parsePidStatus,
} from "@/server/host/formats/pid";
import { formatSwaps, parseSwaps } from "@/server/host/formats/swaps";
import { listScenarios, writeScenarioByName } from "./catalog";

const work = fs.mkdtempSync(join(tmpdir(), "passdeck-sim-formats-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const TABLES: [string, (text: string) => string][] = [
  ["cmdline", (t) => formatCmdline(parseCmdline(t))],
  ["cpuinfo", (t) => formatCpuinfo(parseCpuinfo(t))],
  ["interrupts", (t) => formatInterrupts(parseInterrupts(t))],
  ["swaps", (t) => formatSwaps(parseSwaps(t))],
  ["self/mountinfo", (t) => formatMountinfo(parseMountinfo(t))],
  ["self/mounts", (t) => formatMounts(parseMounts(t))],
  ["self/net/route", (t) => formatNetRoute(parseNetRoute(t))],
  ["self/net/fib_trie", (t) => formatFibTrie(parseFibTrie(t))],
  ["self/net/ipv6_route", (t) => formatIpv6Route(parseIpv6Route(t))],
  ["self/net/if_inet6", (t) => formatIfInet6(parseIfInet6(t))],
];

const PROCESS_FILES: [string, (text: string) => string][] = [
  ["cmdline", (t) => formatArgv(parseArgv(t))],
  ["comm", (t) => formatComm(parseComm(t)!)],
  ["status", (t) => formatPidStatus(parsePidStatus(t))],
  ["stat", (t) => formatPidStat(parsePidStat(t))],
  ["cgroup", (t) => formatCgroup(parseCgroup(t))],
];

describe("the simulator's procfs, through server/host/formats", () => {
  for (const { name } of listScenarios().filter((s) => s.name !== "bench-1000")) {
    it(`${name}: parse → format gives back each table byte for byte`, () => {
      const { procRoot } = writeScenarioByName(name, join(work, name));
      for (const [file, roundTrip] of TABLES) {
        const text = fs.readFileSync(join(procRoot, file), "utf8");
        expect(roundTrip(text), file).toBe(text);
      }
      for (const pid of fs.readdirSync(procRoot).filter((e) => /^\d+$/.test(e)))
        for (const [file, roundTrip] of PROCESS_FILES) {
          const text = fs.readFileSync(join(procRoot, pid, file), "utf8");
          expect(roundTrip(text), `${pid}/${file}`).toBe(text);
        }
    });
  }
});
