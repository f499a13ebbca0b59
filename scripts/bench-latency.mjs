// Latency benchmarks (issue 6), figures for the README; not a timed test. Needs `npm run build` first.
//   1. probe cost: the probe agent with 10 ICMP targets at 5 Hz, CPU of the agent and of its ping children
//   2. sample-to-browser delay p99 and server memory with 50 open live charts (SSE subscriptions, as the page opens)
//   3. a year-range chart query over 30 days of 1 Hz data for 5 targets (10 s / 1 min / 1 h rollups)
// Usage: node scripts/bench-latency.mjs [probe|live|query]...  (default: all three). BENCH_SECONDS=30 per phase.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importEngine } from "./import-engine.mjs";

const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const which = process.argv.slice(2).length ? process.argv.slice(2) : ["probe", "live", "query"];
const work = mkdtempSync(join(tmpdir(), "passdeck-bench-latency-"));
/** @type {(ms: number) => Promise<void>} */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** @type {(xs: number[], q: number) => number} */
const pct = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? /** @type {number} */ (s[Math.min(s.length, Math.max(1, Math.ceil(q * s.length))) - 1]) : NaN;
};

const engine = await importEngine("latency-engine", [
  `export { openWebDatabase } from "./server/db/database";`,
  `export { openProbeStores } from "./server/probes/stores";`,
  `export { rollupFromSamples } from "./server/probes/rollup";`,
  `export { seriesFor } from "./server/probes/series";`,
  `export { readEnv } from "./server/env";`,
  `export { processChildren, processCommandLine, processCpuSeconds, processRssKib } from "./server/host/process-stats";`,
]);
const { openWebDatabase, openProbeStores, rollupFromSamples, seriesFor } = engine;
const procRoot = engine.readEnv().PASSDECK_PROC_ROOT;
/** @typedef {number | undefined} Pid a child's pid (undefined when it failed to spawn) */
/** @type {(pid: Pid) => number | null} null once the process is gone */
const cpuSeconds = (pid) => engine.processCpuSeconds(procRoot, pid);
/** @type {(pid: Pid) => number[]} */
const childrenOf = (pid) => engine.processChildren(procRoot, pid);
/** @type {(pid: Pid) => number} */
const rssKb = (pid) => engine.processRssKib(procRoot, pid) ?? NaN;

async function benchProbe() {
  const dataDir = join(work, "probe");
  const store = openProbeStores(openWebDatabase(dataDir));
  for (let i = 1; i <= 10; i++) store.targets.add({ address: `127.0.0.${i}`, intervalMs: 200 });
  const env = { ...process.env, PASSDECK_DATA_DIR: dataDir };
  const agent = spawn(process.execPath, ["dist/passdeck.mjs", "probe-agent"], { env, stdio: "ignore" });
  await sleep(3000); // warm-up: pings started, first rollups
  const pings = childrenOf(agent.pid);
  const start = { agent: cpuSeconds(agent.pid), pings: pings.map(cpuSeconds) };
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const wall = (performance.now() - t0) / 1000;
  const end = { agent: cpuSeconds(agent.pid), pings: pings.map(cpuSeconds) };
  agent.kill("SIGTERM");
  await new Promise((r) => agent.on("exit", r));
  // Number(): null (a process gone) counts as 0, as the subtraction always did.
  const agentCpu = (Number(end.agent) - Number(start.agent)) / wall;
  const pingCpu =
    end.pings.reduce(
      (/** @type {number} */ a, /** @type {number | null} */ t, /** @type {number} */ i) => a + Number(t ?? start.pings[i]) - Number(start.pings[i]),
      0,
    ) / wall;
  const sent = store.db.prepare("SELECT COUNT(*) AS n FROM probe_samples").get().n;
  console.log(
    `probe cost, 10 targets × 5 Hz, ${wall.toFixed(0)} s: agent ${(agentCpu * 100).toFixed(2)} % of a core, ` +
      `${pings.length} ping processes ${(pingCpu * 100).toFixed(2)} % together; ${sent} samples stored`,
  );
}

async function benchLive() {
  const dataDir = join(work, "live");
  const port = 7990;
  const store = openProbeStores(openWebDatabase(dataDir));
  const target = store.targets.add({ address: "127.0.0.1", intervalMs: 200 });
  const env = { ...process.env, PASSDECK_DATA_DIR: dataDir, PASSDECK_PORT: String(port), PASSDECK_HOST: "127.0.0.1", NEXT_TELEMETRY_DISABLED: "1" };
  const server = spawn(process.execPath, ["scripts/start.mjs"], { env, stdio: "ignore" });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/api/trpc/targets.list`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 300) throw new Error("the server did not start");
    await sleep(200);
  }
  const nextPid = () => {
    // start.mjs → next start (node) → next-server: the deepest node process that is not the agent
    const kids = childrenOf(server.pid).filter((/** @type {number} */ p) => !engine.processCommandLine(procRoot, p).includes("probe-agent"));
    const grand = kids.flatMap(childrenOf);
    return grand[0] ?? kids[0];
  };
  // Warm the route once, then measure the idle server.
  await fetch(`${base}/api/trpc/targets.list`);
  await sleep(2000);
  const idleRss = rssKb(nextPid());
  /** @type {number[]} */
  const delays = [];
  const controllers = [];
  const input = encodeURIComponent(JSON.stringify({ json: { targetIds: [target.id], sinceMs: Date.now() } }));
  for (let c = 0; c < 50; c++) {
    const ac = new AbortController();
    controllers.push(ac);
    const res = await fetch(`${base}/api/trpc/latency.live?input=${input}`, { signal: ac.signal, headers: { accept: "text/event-stream" } });
    const reader = /** @type {ReadableStream<Uint8Array>} */ (res.body).getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let first = true;
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          const receivedMs = Date.now();
          buffer += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const event = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const data = event.split("\n").find((l) => l.startsWith("data: "));
            if (!data) continue;
            const samples = JSON.parse(data.slice(6))?.json;
            if (!Array.isArray(samples)) continue;
            if (first) {
              first = false; // the backlog
              continue;
            }
            // reply time = send time + RTT, on this machine's clock (ping's -D timestamps)
            for (const s of samples) if (s.rttUs !== null) delays.push(receivedMs - (s.sentMs + s.rttUs / 1000));
          }
        }
      } catch {
        // the stream ends when the bench stops the server
      }
    })();
  }
  await sleep(seconds * 1000);
  const rss50 = rssKb(nextPid());
  for (const ac of controllers) ac.abort();
  server.kill("SIGTERM");
  await new Promise((r) => server.on("exit", r));
  console.log(
    `live charts, 50 subscriptions to one 5 Hz target, ${seconds} s: ${delays.length} deliveries, reply → browser ` +
      `p50 ${pct(delays, 0.5).toFixed(0)} ms, p99 ${pct(delays, 0.99).toFixed(0)} ms, max ${Math.max(...delays).toFixed(0)} ms; ` +
      `next-server RSS ${(idleRss / 1024).toFixed(0)} MiB idle → ${(rss50 / 1024).toFixed(0)} MiB with 50 charts`,
  );
}

function benchQuery() {
  const dataDir = join(work, "query");
  const db = openWebDatabase(dataDir);
  const store = openProbeStores(db);
  const DAY = 86_400_000;
  const now = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const from = now - 30 * DAY;
  const targets = [1, 2, 3, 4, 5].map((i) => store.targets.add({ address: `10.0.0.${i}`, intervalMs: 1000 }));
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const t0 = performance.now();
  const insert = db.prepare(
    `INSERT INTO probe_rollups (target_id, resolution_s, start_us, sent, received, loss_longest, loss_episodes, rtt_hist, ipdv_abs_hist, lag_hist,
       jitter_sum_us, jitter_buckets, gaps, interval_ms) VALUES (?, 10, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const t of targets) {
    db.transaction(() => {
      for (let b = from; b < now; b += 10_000) {
        const samples = [];
        for (let k = 0; k < 10; k++)
          samples.push({
            targetId: t.id,
            seq: (b - from) / 1000 + k,
            sentUs: (b + k * 1000) * 1000,
            rttUs: rnd() < 0.001 ? null : Math.round(80 + rnd() * 60),
            lagUs: Math.round(rnd() * 50),
            intervalMs: 1000,
          });
        const r = rollupFromSamples(t.id, b * 1000, samples);
        insert.run(
          t.id,
          r.startUs,
          r.sent,
          r.received,
          r.lossLongest,
          r.lossEpisodes,
          r.rtt.encode(),
          r.ipdvAbs.encode(),
          r.lag.encode(),
          r.jitterSumUs,
          r.jitterBuckets,
          r.gaps,
          r.intervalMs,
        );
      }
      db.prepare(`INSERT OR REPLACE INTO probe_rollup_progress VALUES (?, 10, ?)`).run(t.id, now * 1000);
    })();
  }
  const genMs = performance.now() - t0;
  const t1 = performance.now();
  while (store.rollups.build((now + 3_600_000) * 1000, 100_000) > 0);
  const rollMs = performance.now() - t1;
  const runs = [];
  let points = 0;
  let source = "";
  for (let i = 0; i < 5; i++) {
    const q0 = performance.now();
    const series = targets.map((t) => seriesFor(store, t.id, { fromMs: now - 365 * DAY, toMs: now, maxPoints: 1000 }));
    runs.push(performance.now() - q0);
    points = series.reduce((a, s) => a + s.points.length, 0);
    source = series[0].source;
  }
  const month = [];
  for (let i = 0; i < 5; i++) {
    const q0 = performance.now();
    targets.forEach((t) => seriesFor(store, t.id, { fromMs: now - 30 * DAY, toMs: now, maxPoints: 1000 }));
    month.push(performance.now() - q0);
  }
  const rows = db.prepare("SELECT resolution_s, COUNT(*) AS n FROM probe_rollups GROUP BY resolution_s").all();
  console.log(
    `year-range query, 5 targets × 30 days of 1 Hz (${rows.map((/** @type {{ n: number; resolution_s: number }} */ r) => `${r.n} ${r.resolution_s} s rollups`).join(", ")}; generated in ${(genMs / 1000).toFixed(1)} s, ` +
      `1 min + 1 h rollups built in ${(rollMs / 1000).toFixed(1)} s): ${points} points from ${source} rollups in median ${pct(runs, 0.5).toFixed(0)} ms ` +
      `(5 runs, max ${Math.max(...runs).toFixed(0)} ms); the 30-day range in median ${pct(month, 0.5).toFixed(0)} ms`,
  );
}

try {
  if (which.includes("probe")) await benchProbe();
  if (which.includes("query")) benchQuery();
  if (which.includes("live")) await benchLive();
} finally {
  rmSync(work, { recursive: true, force: true });
}
