/** CSV/JSON export of a range: every raw sample while they are kept, else the rollup points (stated in the file). */
import { seriesFor } from "./series";
import type { ProbeStore, ProbeTarget } from "./store";

export interface ExportRequest {
  target: ProbeTarget;
  fromMs: number;
  toMs: number;
  format: "csv" | "json";
}

/** Raw rows beyond this go out as 10 s points instead: an export is a file, not a database dump. */
const MAX_RAW_ROWS = 2_000_000;

export function exportRange(store: ProbeStore, req: ExportRequest): { contentType: string; body: string; fileName: string } {
  const { target, fromMs, toMs } = req;
  const stamp = `${new Date(fromMs).toISOString()}_${new Date(toMs).toISOString()}`.replace(/[:]/g, "");
  const base = `passdeck-${target.address.replace(/[^A-Za-z0-9.-]/g, "_")}-${stamp}`;
  const raw = store.samples(target.id, fromMs * 1000, toMs * 1000);
  // Raw is complete when it reaches back to `from`, or when nothing was pruned yet: a target younger than the range
  // has rollups too, but they were built from the same raw samples (its oldest raw sample is in its oldest rollup).
  const oldestRawUs = store.oldestRawUs(target.id) ?? Infinity;
  const oldestRollupUs = store.oldestRollupUs(target.id, 10);
  const rawComplete =
    raw.length > 0 &&
    raw.length <= MAX_RAW_ROWS &&
    (oldestRawUs <= fromMs * 1000 + target.intervalMs * 2000 || oldestRollupUs === null || oldestRawUs < oldestRollupUs + 10_000_000);
  if (rawComplete) {
    if (req.format === "json")
      return {
        contentType: "application/json",
        fileName: `${base}.json`,
        body: JSON.stringify({ target: target.name, unit: "µs", kind: "samples", samples: raw.map((s) => ({ seq: s.seq, sent: new Date(s.sentUs / 1000).toISOString(), sent_us: s.sentUs, rtt_us: s.rttUs, lag_us: s.lagUs })) }),
      };
    const lines = ["seq,sent,sent_us,rtt_us,lost,prober_lag_us"];
    for (const s of raw) lines.push(`${s.seq},${new Date(s.sentUs / 1000).toISOString()},${s.sentUs},${s.rttUs ?? ""},${s.rttUs === null ? 1 : 0},${s.lagUs ?? ""}`);
    return { contentType: "text/csv; charset=utf-8", fileName: `${base}.csv`, body: lines.join("\n") + "\n" };
  }
  const series = seriesFor(store, target.id, { fromMs, toMs, maxPoints: Math.min(1_000_000, Math.ceil((toMs - fromMs) / 10_000)) });
  if (req.format === "json")
    return { contentType: "application/json", fileName: `${base}.json`, body: JSON.stringify({ target: target.name, unit: "µs", kind: "points", source: series.source, stepMs: series.stepMs, points: series.points }) };
  const cols = ["t", "sent", "n", "loss", "min", "p5", "p25", "p50", "p75", "p95", "p99", "max", "pdvP99", "jitter", "lagP99", "gaps"] as const;
  const lines = [`# ${target.name}: ${series.source} rollups, ${series.stepMs / 1000} s per row (raw samples are kept 48 h); times in µs`, ["time", ...cols.slice(1)].join(",")];
  for (const p of series.points) lines.push([new Date(p.t).toISOString(), ...cols.slice(1).map((c) => p[c] ?? "")].join(","));
  return { contentType: "text/csv; charset=utf-8", fileName: `${base}.csv`, body: lines.join("\n") + "\n" };
}
