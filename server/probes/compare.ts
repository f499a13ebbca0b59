/**
 * The before/after verdict around a change: windows [t − W, t) and [t + settle, t + settle + W) of one target's
 * raw samples, compared by verdict.ts. Shared by the chart's verdict panel and `passdeck compare`.
 */
import { percentile } from "./stats";
import { RAW_ROW_BUDGET, type StoredSample } from "./sample-store";
import type { ProbeStores } from "./stores";
import { compareWindows, type Verdict, type VerdictSide } from "./verdict";

export const DEFAULT_WINDOW_MS = 5 * 60_000;
export const DEFAULT_SETTLE_MS = 30_000;

export interface CompareRequest {
  targetId: number;
  atMs: number;
  windowMs?: number;
  settleMs?: number;
  thresholdUs?: number;
}

export type CompareOutcome =
  | { ok: true; verdict: Verdict; windows: { before: { fromMs: number; toMs: number }; after: { fromMs: number; toMs: number } }; pending: boolean }
  | { ok: false; reason: string };

export function compareAround(store: Pick<ProbeStores, "samples" | "targets">, req: CompareRequest, nowMs = Date.now()): CompareOutcome {
  const target = store.targets.get(req.targetId);
  if (!target) return { ok: false, reason: `there is no latency target ${req.targetId}` };
  const windowMs = req.windowMs ?? DEFAULT_WINDOW_MS;
  const settleMs = req.settleMs ?? DEFAULT_SETTLE_MS;
  const before = { fromMs: req.atMs - windowMs, toMs: req.atMs };
  const after = { fromMs: req.atMs + settleMs, toMs: req.atMs + settleMs + windowMs };
  const oldest = store.samples.oldestUs(target.id);
  if (oldest === null) return { ok: false, reason: `${target.name} has no samples yet: is the probe agent running?` };
  if (oldest / 1000 > before.fromMs + target.intervalMs * 2 && oldest / 1000 > before.toMs - windowMs / 2)
    return {
      ok: false,
      reason: `the raw samples of ${target.name} start at ${new Date(oldest / 1000).toISOString()}, after the window before the change begins (${new Date(before.fromMs).toISOString()}): the comparison needs raw samples (kept 48 h); choose a shorter --window or a later change`,
    };
  // The verdict needs every raw sample of both windows: a window beyond one read's budget is refused, not sampled.
  for (const [name, w] of [
    ["before", before],
    ["after", after],
  ] as const) {
    if (store.samples.count(target.id, w.fromMs * 1000, w.toMs * 1000, RAW_ROW_BUDGET + 1) > RAW_ROW_BUDGET)
      return {
        ok: false,
        reason: `the window ${name} the change holds more than ${RAW_ROW_BUDGET.toLocaleString("en")} raw samples of ${target.name} (its interval is ${target.intervalMs} ms): choose a shorter window (at most ${Math.floor((RAW_ROW_BUDGET * target.intervalMs) / 60_000)} min)`,
      };
  }
  const side = (w: { fromMs: number; toMs: number }): VerdictSide => {
    const samples = store.samples.range(target.id, w.fromMs * 1000, w.toMs * 1000);
    return {
      samples,
      intervalMs: uniformInterval(samples),
      proberLagP99Us: lagP99(samples),
      fromUs: w.fromMs * 1000,
      toUs: w.toMs * 1000,
    };
  };
  const verdict = compareWindows(side(before), side(after), req.thresholdUs !== undefined ? { thresholdUs: req.thresholdUs } : {});
  return { ok: true, verdict, windows: { before, after }, pending: nowMs < after.toMs };
}

function uniformInterval(samples: readonly StoredSample[]): number | null {
  const set = new Set(samples.map((s) => s.intervalMs));
  return set.size === 1 ? [...set][0]! : null;
}

function lagP99(samples: readonly StoredSample[]): number | null {
  return percentile(
    samples.flatMap((s) => (s.lagUs === null ? [] : [Math.max(0, s.lagUs)])).sort((a, b) => a - b),
    0.99,
  );
}
