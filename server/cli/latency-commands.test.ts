/** `passdeck targets|stats|compare` in-process against a temp data directory: exit codes, messages, the JSON numbers. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openWebDatabase } from "@/server/db/database";
import { summarize } from "@/server/probes/stats";
import { openProbeStores } from "@/server/probes/stores";
import type { SampleRow } from "@/server/probes/sample-store";
import { mulberry32 } from "@/server/probes/verdict";
import { runCli } from "./main";

const work = mkdtempSync(join(tmpdir(), "passdeck-latency-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirs = 0;
let dataDir = "";

const NOW = Date.parse("2030-01-02T03:30:00.000Z");

beforeEach(() => {
  dataDir = join(work, `d${dirs++}`);
  vi.useFakeTimers({ toFake: ["Date"], now: NOW });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  vi.stubEnv("PASSDECK_DATA_DIR", dataDir);
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  try {
    await runCli(argv);
  } finally {
    vi.restoreAllMocks();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** Probes every 200 ms in [fromMs, toMs), seeded: RTT center ± 40 µs, 1 in 40 lost. */
function probes(targetId: number, fromMs: number, toMs: number, center: number, seed: number, firstSeq = 1): SampleRow[] {
  const random = mulberry32(seed);
  const out: SampleRow[] = [];
  for (let ms = fromMs, seq = firstSeq; ms < toMs; ms += 200, seq++)
    out.push({ targetId, seq, sentUs: ms * 1000, rttUs: seq % 40 === 7 ? null : center - 40 + Math.floor(random() * 81), lagUs: 50, intervalMs: 200 });
  return out;
}

describe("passdeck targets", () => {
  it("adds a target and lists it", async () => {
    const added = await run("targets", "add", "10.0.0.5", "--interval-ms", "100");
    expect(added.code).toBe(0);
    expect(added.out).toContain("Target 1: 10.0.0.5, every 100 ms.");
    expect(added.out).toContain("No probe agent is running");

    const json = await run("targets", "add", "10.0.0.6", "--kind", "tcp:22", "--label", "vm6 ssh", "--json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ id: 2, name: "vm6 ssh — 10.0.0.6:22 (tcp)", kind: "tcp", port: 22, intervalMs: 200, createdAt: NOW });

    const list = await run("targets", "list", "--json");
    expect(list.code).toBe(0);
    const j = JSON.parse(list.out);
    expect(j.agent).toBeNull();
    expect(j.targets.map((t: { id: number; address: string; intervalMs: number; state: string }) => [t.id, t.address, t.intervalMs, t.state])).toEqual([
      [1, "10.0.0.5", 100, "not started"],
      [2, "10.0.0.6", 200, "not started"],
    ]);
    expect(j.targets[0].lastMinute).toEqual({ sent: 0, n: 0, loss: null, p50: null, p99: null, pdvP99: null });
  });

  it("refuses bad input with exit 2 and a message naming the problem", async () => {
    const cases: [string[], string][] = [
      [["targets", "add", "--", "-f"], '"-f" is neither an IP address nor a host name'],
      [["targets", "add", "300.1.2.3"], '"300.1.2.3" is not an IPv4 address'],
      [["targets", "add", "10.0.0.5", "--interval-ms", "5"], "intervalMs: the interval must be at least 10 ms"],
      [["targets", "add", "10.0.0.5", "--interval-ms", "0.5"], '--interval-ms must be a whole number, not "0.5"'],
      [["targets", "add", "10.0.0.5", "--kind", "tcp"], '--kind must be icmp or tcp:<port> (e.g. tcp:22), not "tcp"'],
      [["targets", "add", "10.0.0.5", "--kind", "udp:5"], '--kind must be icmp or tcp:<port> (e.g. tcp:22), not "udp:5"'],
      [["targets", "add", "10.0.0.5", "--kind", "tcp:22", "--interval-ms", "50"], "the interval must be at least 100 ms"],
      [["targets", "add"], "passdeck targets add needs an address"],
      [["targets", "frob"], 'unknown "targets frob"'],
    ];
    for (const [argv, message] of cases) {
      const r = await run(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.err).toContain(message);
    }
    expect((await run("targets", "add", "10.0.0.5", "-f")).code).toBe(2); // an unknown option, never an address
    expect(JSON.parse((await run("targets", "list", "--json")).out).targets).toEqual([]);

    expect((await run("targets", "add", "10.0.0.5")).code).toBe(0);
    const twice = await run("targets", "add", "10.0.0.5");
    expect(twice.code).toBe(2);
    expect(twice.err).toContain("10.0.0.5 is already a target (id 1)");
  });
});

describe("passdeck stats", () => {
  it("prints the summary of the window's raw samples as JSON", async () => {
    expect((await run("targets", "add", "10.0.0.5")).code).toBe(0);
    const store = openProbeStores(openWebDatabase(dataDir));
    const inWindow = probes(1, NOW - 290_000, NOW - 10_000, 300, 1, 1000);
    store.samples.insert([...probes(1, NOW - 600_000, NOW - 300_000, 900, 2, 1), ...inWindow]);
    const expected = summarize(inWindow);

    const r = await run("stats", "10.0.0.5", "--since", "5m", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({
      target: "10.0.0.5",
      target_id: 1,
      from: "2030-01-02T03:25:00.000Z",
      to: "2030-01-02T03:30:00.000Z",
      source: "raw",
      interval_ms: 200,
      prober_lag_p99: 50,
      prober_gaps: 0,
    });
    const s = expected;
    expect({
      n: j.n,
      sent: j.sent,
      loss: j.loss,
      min: j.min,
      p50: j.p50,
      p90: j.p90,
      p99: j.p99,
      p999: j.p999,
      max: j.max,
      pdv_p99: j.pdv_p99,
      ipdv_mean_abs: j.ipdv_mean_abs,
      jitter_rfc3550: j.jitter_rfc3550,
      loss_longest_burst: j.loss_longest_burst,
    }).toEqual({
      n: s.n,
      sent: s.sent,
      loss: s.loss,
      min: s.min,
      p50: s.p50,
      p90: s.p90,
      p99: s.p99,
      p999: s.p999,
      max: s.max,
      pdv_p99: s.pdv.p99,
      ipdv_mean_abs: s.ipdv.meanAbs,
      jitter_rfc3550: s.jitterRfc3550,
      loss_longest_burst: 1,
    });
    expect([s.sent, s.n]).toEqual([1400, 1365]);

    // nothing in the window: exit 1
    expect((await run("stats", "1", "--from", "2030-01-01T00:00:00Z", "--to", "2030-01-01T01:00:00Z", "--json")).code).toBe(1);
    const bad = await run("stats", "1", "--since", "soon");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--since must be a duration such as 30s, 5m, 2h or 7d, not "soon"');
    const unknown = await run("stats", "10.9.9.9");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('no latency target "10.9.9.9"');
  });
});

describe("passdeck compare", () => {
  it("prints the verdict around a change as JSON, and refuses a bad --at", async () => {
    expect((await run("targets", "add", "10.0.0.5")).code).toBe(0);
    const at = NOW - 600_000;
    const store = openProbeStores(openWebDatabase(dataDir));
    store.samples.insert([...probes(1, at - 300_000, at + 30_000, 300, 3, 1), ...probes(1, at + 30_000, at + 330_000, 150, 4, 1651)]);

    const r = await run("compare", "10.0.0.5", "--at", new Date(at).toISOString(), "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ target: "10.0.0.5", target_id: 1, at: "2030-01-02T03:20:00.000Z", pending: false, significant: true });
    expect(j.windows).toEqual({ before: { fromMs: at - 300_000, toMs: at }, after: { fromMs: at + 30_000, toMs: at + 330_000 } });
    expect(j.deltas.map((d: { metric: string }) => d.metric)).toEqual(["p50", "p95", "p99", "pdvP99", "jitter", "loss", "fractionUnder"]);
    expect(j.mannWhitney.direction).toBe("lower");
    expect(j.headline).toMatch(/^p99 .* significant$/);

    const text = await run("compare", "1", "--at", new Date(at).toISOString());
    expect(text.code).toBe(0);
    expect(text.out).toContain(`10.0.0.5 around 2030-01-02T03:20:00.000Z: ${j.headline}`);

    const bad = await run("compare", "1", "--at", "nonsense");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--at must be an ISO time such as 2026-11-25T10:15:00Z, not "nonsense"');
    const missing = await run("compare", "1");
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("passdeck compare needs --at");
    // before the first sample: exit 1 with the reason
    const early = await run("compare", "1", "--at", new Date(at - 3_600_000).toISOString());
    expect(early.code).toBe(1);
    expect(early.err).toContain("the comparison needs raw samples");
  });
});
