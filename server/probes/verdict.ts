/**
 * Before/after verdict for one target's probes around a configuration change, as pure functions
 * (shared/research/latency-anchors.md §2 "Before/after statistics"): per-metric deltas, bootstrap intervals for
 * Δp50 and Δp99, a Mann-Whitney U test, the Hodges-Lehmann shift, an empirical CDF for the overlay chart,
 * comparability warnings and a one-line headline. Times in microseconds.
 *
 * Deterministic by design: randomness comes only from a seeded PRNG (mulberry32), so the same input and seed
 * always give the same verdict — a page reload must not flip "significant".
 */

import { fractionUnder, summarize, type LatencySummary, type ProbeSample } from "./stats";

// ───────────────────────────────────────────────────────────── types

export interface VerdictSide {
  /** the window's probes in sequence order (lost ones have rttUs null) */
  samples: ProbeSample[];
  /** the probe interval configured during the window; null if it varied or is unknown */
  intervalMs: number | null;
  /** the prober's own send-lateness p99 in the window (self-noise); null if unknown */
  proberLagP99Us: number | null;
  /** window bounds, µs since the epoch, echoed in the output */
  fromUs: number;
  toUs: number;
}

export interface VerdictOptions {
  /** T for the inverse percentile F(T) = share of sent probes answered within T; default 100 µs */
  thresholdUs?: number;
  /** bootstrap rounds; default 1000 */
  iterations?: number;
  /** PRNG seed for the bootstrap; default 1 */
  seed?: number;
  /** significance level; default 0.05 (the bootstrap intervals are then 95 %) */
  alpha?: number;
}

export interface VerdictSideResult {
  summary: LatencySummary;
  /** F(thresholdUs) over sent probes; null with nothing sent */
  fractionUnder: number | null;
  fromUs: number;
  toUs: number;
  intervalMs: number | null;
}

export type DeltaMetric = "p50" | "p95" | "p99" | "pdvP99" | "jitter" | "loss" | "fractionUnder";

export interface MetricDelta {
  metric: DeltaMetric;
  before: number | null;
  after: number | null;
  /** after − before; null if either side is null */
  delta: number | null;
  /** delta / before; null if before is 0 or null */
  relative: number | null;
}

export interface BootstrapInterval {
  metric: "p50" | "p99";
  /** lower and upper bounds of Δ (after − before), µs */
  low: number;
  high: number;
}

export interface MannWhitneyResult {
  /**
   * U of the *after* sample: the number of (after, before) pairs with after > before, ties counting ½
   * (= rank sum of after − m(m+1)/2). 0 means every after RTT is below every before RTT; n·m means all above.
   */
  u: number;
  /** normal approximation with tie and continuity correction; positive when after tends higher */
  z: number;
  /** two-sided */
  pValue: number;
  /** after relative to before */
  direction: "lower" | "higher" | "same";
  /** P(random after RTT < random before RTT), ties counting ½ — the common-language effect size; 0.5 = no shift */
  effectSize: number;
}

export interface HodgesLehmannResult {
  /** median of the pairwise differences after − before, µs */
  shiftUs: number;
  /** false when computed on an evenly spaced subsample of each side (n·m above EXACT_HL_MAX_PAIRS) */
  exact: boolean;
}

export interface CdfPoint {
  rttUs: number;
  /** rank / N over received probes */
  fraction: number;
}

export type VerdictWarningCode = "different-rate" | "too-few-samples" | "low-confidence-p999" | "loss-burst" | "prober-noise" | "high-loss";

export interface VerdictWarning {
  code: VerdictWarningCode;
  /** "info" only qualifies a number; "warning" questions whether the sides are comparable */
  level: "warning" | "info";
  /** the side concerned; absent when the warning is about both */
  side?: "before" | "after";
  /** what is wrong and what to do */
  message: string;
}

export interface Verdict {
  before: VerdictSideResult;
  after: VerdictSideResult;
  deltas: MetricDelta[];
  /** bootstrap percentile intervals for Δp50 and Δp99; null when a side has no received samples */
  intervals: { p50: BootstrapInterval; p99: BootstrapInterval } | null;
  /** null when a side has no received samples */
  mannWhitney: MannWhitneyResult | null;
  /** null when a side has no received samples */
  hodgesLehmann: HodgesLehmannResult | null;
  /** pValue < alpha and the interval for Δp50 or Δp99 excludes 0 */
  significant: boolean;
  /** the one-line user-facing verdict, built from p99 */
  headline: string;
  /** empirical CDFs of received RTTs, at most CDF_MAX_POINTS each */
  cdf: { before: CdfPoint[]; after: CdfPoint[] };
  warnings: VerdictWarning[];
  /** the options actually used, so the UI can label F(T) and reproduce the run */
  settings: Required<VerdictOptions>;
}

// ───────────────────────────────────────────────────────────── constants

const DEFAULTS: Required<VerdictOptions> = { thresholdUs: 100, iterations: 1000, seed: 1, alpha: 0.05 };
/** above this many pairs, Hodges-Lehmann runs on a subsample (4 M doubles = 32 MB, selected in ~tens of ms) */
export const EXACT_HL_MAX_PAIRS = 4_000_000;
const HL_SUBSAMPLE_PER_SIDE = 2000;
export const CDF_MAX_POINTS = 200;
/** research note §2: p99 exists from N ≥ 100, p99.9 needs ≥ 10,000 */
const MIN_N_FOR_P99 = 100;
const MIN_N_FOR_P999 = 10_000;
const LOSS_BURST_WARN_LENGTH = 3;
const PROBER_NOISE_SHARE = 0.1;
const HIGH_LOSS = 0.01;

// ───────────────────────────────────────────────────────────── numerics

/**
 * One step of mulberry32, a tiny, fast, seedable 32-bit PRNG: advances `state[0]` and returns a uniform in [0, 1).
 * The state lives in a typed array rather than a closure because V8 runs this ~3× faster in the bootstrap's hot
 * loop (measured: 20 M draws in ~65 ms vs ~170 ms).
 */
function mulberry32Next(state: Uint32Array): number {
  const s = (state[0] = (state[0]! + 0x6d2b79f5) >>> 0);
  let t = Math.imul(s ^ (s >>> 15), s | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A mulberry32 generator for `seed`: uniforms in [0, 1), the same sequence the bootstrap draws. */
export function mulberry32(seed: number): () => number {
  const state = Uint32Array.of(seed >>> 0);
  return () => mulberry32Next(state);
}

/**
 * Complementary error function, Numerical Recipes `erfcc` (Chebyshev fit, fractional error < 1.2e-7 everywhere).
 * Used instead of 1 − erf so small tail p-values keep their relative precision.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF Φ(x) = ½·erfc(−x/√2). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

const sortedAscending = (xs: number[]): Float64Array => Float64Array.from(xs).sort();

/** Nearest-rank percentile on a sorted typed array (same rule as stats.percentile). */
function percentileOf(sorted: Float64Array, q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** Rearranges `values` so values[k] is the k-th smallest (0-based) and everything after it is ≥; returns it. */
function selectKth(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (hi > lo) {
    // Median-of-three pivot: the pairwise differences come in sorted runs, which would make a first-element
    // pivot quadratic.
    const mid = (lo + hi) >>> 1;
    const a = values[lo]!;
    const b = values[mid]!;
    const c = values[hi]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const swap = values[i]!;
        values[i] = values[j]!;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k]!;
  }
  return values[k]!;
}

/** Median in O(n) expected time; reorders `values`. */
function medianInPlace(values: Float64Array): number {
  const n = values.length;
  const upperMid = n >>> 1;
  const upper = selectKth(values, upperMid);
  if (n % 2 === 1) return upper;
  // After selecting upperMid, everything before it is ≤ it, so the lower middle is the largest of those.
  let lower = -Infinity;
  for (let i = 0; i < upperMid; i++) if (values[i]! > lower) lower = values[i]!;
  return (lower + upper) / 2;
}

// ───────────────────────────────────────────────────────────── tests and estimators

/**
 * Mann-Whitney U on two samples (any order). Ranks come from one merge of the two sorted arrays, so it costs
 * O((n+m) log(n+m)) for the sorts and O(n+m) for the ranking; ties get mid-ranks. Null if either side is empty.
 */
export function mannWhitney(before: number[], after: number[]): MannWhitneyResult | null {
  return mannWhitneySorted(sortedAscending(before), sortedAscending(after));
}

function mannWhitneySorted(before: Float64Array, after: Float64Array): MannWhitneyResult | null {
  const n = before.length;
  const m = after.length;
  if (n === 0 || m === 0) return null;

  let afterRankSum = 0;
  let tieTerm = 0; // Σ (t³ − t) over tie groups
  let ranked = 0;
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    const value = j >= m || (i < n && before[i]! <= after[j]!) ? before[i]! : after[j]!;
    let inBefore = 0;
    let inAfter = 0;
    while (i < n && before[i] === value) {
      i++;
      inBefore++;
    }
    while (j < m && after[j] === value) {
      j++;
      inAfter++;
    }
    const tied = inBefore + inAfter;
    const midRank = ranked + (tied + 1) / 2;
    afterRankSum += inAfter * midRank;
    tieTerm += tied * tied * tied - tied;
    ranked += tied;
  }

  const pairs = n * m;
  const u = afterRankSum - (m * (m + 1)) / 2;
  const total = n + m;
  const variance = (pairs / 12) * (total + 1 - tieTerm / (total * (total - 1)));
  const fromMean = u - pairs / 2;
  // Continuity correction: move ½ toward the mean, never past it.
  const corrected = Math.sign(fromMean) * Math.max(0, Math.abs(fromMean) - 0.5);
  const z = variance > 0 ? corrected / Math.sqrt(variance) : 0;
  const pValue = Math.min(1, erfc(Math.abs(z) / Math.SQRT2)); // 2·(1 − Φ(|z|))
  const effectSize = 1 - u / pairs;
  // u is a multiple of ½, so comparing it with pairs/2 is exact.
  const direction = u < pairs / 2 ? "lower" : u > pairs / 2 ? "higher" : "same";
  return { u, z, pValue, direction, effectSize };
}

/**
 * Hodges-Lehmann shift: the median of all pairwise differences after − before. Exact up to EXACT_HL_MAX_PAIRS
 * pairs; beyond that, on up to HL_SUBSAMPLE_PER_SIDE evenly spaced ranks of each sorted side (deterministic, and
 * the rank spacing preserves each side's distribution). Null if either side is empty.
 */
export function hodgesLehmann(before: number[], after: number[]): HodgesLehmannResult | null {
  return hodgesLehmannSorted(sortedAscending(before), sortedAscending(after));
}

function hodgesLehmannSorted(before: Float64Array, after: Float64Array): HodgesLehmannResult | null {
  if (before.length === 0 || after.length === 0) return null;
  const exact = before.length * after.length <= EXACT_HL_MAX_PAIRS;
  const b = exact ? before : evenlySpacedRanks(before, HL_SUBSAMPLE_PER_SIDE);
  const a = exact ? after : evenlySpacedRanks(after, HL_SUBSAMPLE_PER_SIDE);
  const differences = new Float64Array(a.length * b.length);
  let k = 0;
  for (const x of a) for (const y of b) differences[k++] = x - y;
  return { shiftUs: medianInPlace(differences), exact };
}

/** `count` values of a sorted array at the mid-points of equal rank strata (all of it if it is not longer). */
function evenlySpacedRanks(sorted: Float64Array, count: number): Float64Array {
  if (sorted.length <= count) return sorted;
  const picked = new Float64Array(count);
  for (let k = 0; k < count; k++) picked[k] = sorted[Math.floor(((k + 0.5) * sorted.length) / count)]!;
  return picked;
}

/**
 * Percentile bootstrap for Δp50 and Δp99 (after − before): each round resamples each side's received RTTs with
 * replacement, independently, and takes nearest-rank percentiles.
 *
 * Resampling the *indices* of an already sorted array and counting how often each index was drawn gives the
 * resample in sorted order for free, so a round costs O(n) instead of O(n log n): one histogram fill and one
 * cumulative scan up to the p99 rank. Measured on the 2-vCPU EPYC dev VM (Node 20.20, load ≈ 0.8 from other
 * work): 10,000 samples per side × 1,000 rounds takes 91–101 ms; the whole compareWindows on 10k + 10k probes
 * (summaries, bootstrap, Mann-Whitney, subsampled Hodges-Lehmann, CDFs) takes 128–151 ms.
 *
 * The interval is the alpha/2 and 1 − alpha/2 percentiles of the round deltas (alpha 0.05 → 2.5th and 97.5th).
 */
export function bootstrapPercentileDeltas(
  before: number[],
  after: number[],
  options: { iterations?: number; seed?: number; alpha?: number } = {},
): { p50: BootstrapInterval; p99: BootstrapInterval } | null {
  return bootstrapSorted(
    sortedAscending(before),
    sortedAscending(after),
    options.iterations ?? DEFAULTS.iterations,
    options.seed ?? DEFAULTS.seed,
    options.alpha ?? DEFAULTS.alpha,
  );
}

function bootstrapSorted(
  before: Float64Array,
  after: Float64Array,
  iterations: number,
  seed: number,
  alpha: number,
): { p50: BootstrapInterval; p99: BootstrapInterval } | null {
  if (before.length === 0 || after.length === 0) return null;
  const rounds = Math.max(1, Math.floor(iterations));
  const randomState = Uint32Array.of(seed >>> 0);
  const beforeDraws = new Uint32Array(before.length);
  const afterDraws = new Uint32Array(after.length);
  const p50Deltas = new Float64Array(rounds);
  const p99Deltas = new Float64Array(rounds);
  const beforePick = new Float64Array(2);
  const afterPick = new Float64Array(2);

  for (let round = 0; round < rounds; round++) {
    resampledMedianAndP99(before, beforeDraws, randomState, beforePick);
    resampledMedianAndP99(after, afterDraws, randomState, afterPick);
    p50Deltas[round] = afterPick[0]! - beforePick[0]!;
    p99Deltas[round] = afterPick[1]! - beforePick[1]!;
  }
  p50Deltas.sort();
  p99Deltas.sort();
  // Derived from alpha, not from a 0.95 level: (1 − 0.95)/2 is 0.025000000000000022 in floating point, and
  // ceil(q·N) would then land one rank outward (26 instead of 25 of 1000).
  const tail = alpha / 2;
  return {
    p50: { metric: "p50", low: percentileOf(p50Deltas, tail), high: percentileOf(p50Deltas, 1 - tail) },
    p99: { metric: "p99", low: percentileOf(p99Deltas, tail), high: percentileOf(p99Deltas, 1 - tail) },
  };
}

/** One bootstrap resample of `sorted` (same size), writing its nearest-rank p50 and p99 into `out`. */
function resampledMedianAndP99(sorted: Float64Array, draws: Uint32Array, randomState: Uint32Array, out: Float64Array): void {
  const n = sorted.length;
  draws.fill(0);
  for (let k = 0; k < n; k++) draws[Math.floor(mulberry32Next(randomState) * n)]!++;
  const p50Rank = Math.max(1, Math.ceil(0.5 * n));
  const p99Rank = Math.max(1, Math.ceil(0.99 * n));
  let cumulative = 0;
  let index = 0;
  while (cumulative + draws[index]! < p50Rank) cumulative += draws[index++]!;
  out[0] = sorted[index]!;
  while (cumulative + draws[index]! < p99Rank) cumulative += draws[index++]!;
  out[1] = sorted[index]!;
}

/** Empirical CDF (fraction = rank/N), thinned to at most `maxPoints` evenly spaced ranks that keep min and max. */
export function empiricalCdf(sorted: ArrayLike<number>, maxPoints: number = CDF_MAX_POINTS): CdfPoint[] {
  const n = sorted.length;
  if (n === 0) return [];
  const point = (index: number): CdfPoint => ({ rttUs: sorted[index]!, fraction: (index + 1) / n });
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => point(i));
  // n > maxPoints makes the step > 1, so the rounded indices are distinct.
  return Array.from({ length: maxPoints }, (_, k) => point(Math.round((k * (n - 1)) / (maxPoints - 1))));
}

// ───────────────────────────────────────────────────────────── formatting

/** µs under 10,000 as an integer "412 µs", larger as milliseconds "12.35 ms"; real minus sign for negatives. */
export function formatMicros(us: number): string {
  const sign = us < 0 ? "−" : "";
  const magnitude = Math.abs(us);
  return Math.round(magnitude) < 10_000 ? `${sign}${Math.round(magnitude)} µs` : `${sign}${(magnitude / 1000).toFixed(2)} ms`;
}

/** "+2 %", "−79 %", "0 %". */
function formatSignedPercent(fraction: number): string {
  const percent = Math.round(fraction * 100);
  return percent > 0 ? `+${percent} %` : percent < 0 ? `−${-percent} %` : "0 %";
}

const formatShare = (fraction: number): string => `${Math.round(fraction * 100)} %`;

function buildHeadline(before: LatencySummary, after: LatencySummary, significant: boolean): string {
  const silence = (summary: LatencySummary, when: "before" | "after"): string =>
    summary.sent === 0 ? `no probes ${when} the change` : `no replies ${when} the change: ${formatShare(summary.loss ?? 1)} loss`;
  if (before.p99 === null && after.p99 === null) return `${silence(before, "before")}; ${silence(after, "after")}`;
  if (after.p99 === null) return `${silence(after, "after")} (p99 before: ${formatMicros(before.p99!)})`;
  if (before.p99 === null) return `${silence(before, "before")} (p99 after: ${formatMicros(after.p99)})`;

  const delta = after.p99 - before.p99;
  // Relative change needs a non-zero base; fall back to the absolute change.
  const change = before.p99 !== 0 ? formatSignedPercent(delta / before.p99) : delta > 0 ? `+${formatMicros(delta)}` : formatMicros(delta);
  return `p99 ${formatMicros(before.p99)} → ${formatMicros(after.p99)}, ${change}, ${significant ? "significant" : "not significant"}`;
}

// ───────────────────────────────────────────────────────────── warnings

function sideWarnings(side: "before" | "after", input: VerdictSide, summary: LatencySummary): VerdictWarning[] {
  const warnings: VerdictWarning[] = [];
  if (summary.n < MIN_N_FOR_P99) {
    warnings.push({
      code: "too-few-samples",
      level: "warning",
      side,
      message: `${side}: only ${summary.n} replies; p99 needs at least ${MIN_N_FOR_P99} replies per side; widen the window.`,
    });
  }
  if (summary.n < MIN_N_FOR_P999) {
    warnings.push({
      code: "low-confidence-p999",
      level: "info",
      side,
      message: `${side}: p99.9 rests on ${summary.n} replies (needs ${MIN_N_FOR_P999.toLocaleString("en-US")}); treat it as low confidence or widen the window.`,
    });
  }
  if (summary.lossBursts.longest >= LOSS_BURST_WARN_LENGTH) {
    warnings.push({
      code: "loss-burst",
      level: "warning",
      side,
      message: `${side}: ${summary.lossBursts.longest} consecutive probes were lost (longest of ${summary.lossBursts.episodes} loss runs); an outage inside the window is not a latency change — check for a link flap or move the window past it.`,
    });
  }
  const pdvP99 = summary.pdv.p99;
  if (input.proberLagP99Us !== null && pdvP99 !== null && input.proberLagP99Us > PROBER_NOISE_SHARE * pdvP99) {
    warnings.push({
      code: "prober-noise",
      level: "warning",
      side,
      message: `${side}: the prober's own send-lateness p99 (${formatMicros(input.proberLagP99Us)}) exceeds 10 % of the PDV p99 (${formatMicros(pdvP99)}), so part of the measured jitter may be the prober's; reduce load on the probing host or use kernel-timestamped probes.`,
    });
  }
  if (summary.loss !== null && summary.loss > HIGH_LOSS) {
    warnings.push({
      code: "high-loss",
      level: "warning",
      side,
      message: `${side}: ${(summary.loss * 100).toFixed(1)} % of probes were lost; percentiles are of received probes only and understate the tail — fix the loss before judging latency.`,
    });
  }
  return warnings;
}

// ───────────────────────────────────────────────────────────── the verdict

const receivedRtts = (samples: ProbeSample[]): number[] => samples.filter((s) => s.rttUs !== null).map((s) => s.rttUs!);

function metricDelta(metric: DeltaMetric, before: number | null, after: number | null): MetricDelta {
  const delta = before === null || after === null ? null : after - before;
  const relative = delta === null || before === null || before === 0 ? null : delta / before;
  return { metric, before, after, delta, relative };
}

const excludesZero = (interval: BootstrapInterval): boolean => interval.low > 0 || interval.high < 0;

export function compareWindows(before: VerdictSide, after: VerdictSide, options: VerdictOptions = {}): Verdict {
  const settings: Required<VerdictOptions> = {
    thresholdUs: options.thresholdUs ?? DEFAULTS.thresholdUs,
    iterations: options.iterations ?? DEFAULTS.iterations,
    seed: options.seed ?? DEFAULTS.seed,
    alpha: options.alpha ?? DEFAULTS.alpha,
  };
  const sideResult = (side: VerdictSide): VerdictSideResult => ({
    summary: summarize(side.samples),
    fractionUnder: fractionUnder(side.samples, settings.thresholdUs),
    fromUs: side.fromUs,
    toUs: side.toUs,
    intervalMs: side.intervalMs,
  });
  const beforeResult = sideResult(before);
  const afterResult = sideResult(after);
  const b = beforeResult.summary;
  const a = afterResult.summary;

  // Sort each side once; every estimator below reuses the sorted arrays.
  const beforeSorted = sortedAscending(receivedRtts(before.samples));
  const afterSorted = sortedAscending(receivedRtts(after.samples));

  const deltas = [
    metricDelta("p50", b.p50, a.p50),
    metricDelta("p95", b.p95, a.p95),
    metricDelta("p99", b.p99, a.p99),
    metricDelta("pdvP99", b.pdv.p99, a.pdv.p99),
    metricDelta("jitter", b.jitterRfc3550, a.jitterRfc3550),
    metricDelta("loss", b.loss, a.loss),
    metricDelta("fractionUnder", beforeResult.fractionUnder, afterResult.fractionUnder),
  ];

  const intervals = bootstrapSorted(beforeSorted, afterSorted, settings.iterations, settings.seed, settings.alpha);
  const mannWhitneyResult = mannWhitneySorted(beforeSorted, afterSorted);
  const significant =
    mannWhitneyResult !== null &&
    intervals !== null &&
    mannWhitneyResult.pValue < settings.alpha &&
    (excludesZero(intervals.p50) || excludesZero(intervals.p99));

  const warnings: VerdictWarning[] = [];
  if (before.intervalMs !== null && after.intervalMs !== null && before.intervalMs !== after.intervalMs) {
    warnings.push({
      code: "different-rate",
      level: "warning",
      message: `The probe interval differs (before ${before.intervalMs} ms, after ${after.intervalMs} ms); RFC 3550 jitter, IPDV and loss bursts depend on the probe rate — compare windows probed at the same interval.`,
    });
  }
  warnings.push(...sideWarnings("before", before, b), ...sideWarnings("after", after, a));

  return {
    before: beforeResult,
    after: afterResult,
    deltas,
    intervals,
    mannWhitney: mannWhitneyResult,
    hodgesLehmann: hodgesLehmannSorted(beforeSorted, afterSorted),
    significant,
    headline: buildHeadline(b, a, significant),
    cdf: { before: empiricalCdf(beforeSorted), after: empiricalCdf(afterSorted) },
    warnings,
    settings,
  };
}
