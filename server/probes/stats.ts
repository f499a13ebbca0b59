/**
 * Latency statistics for one target's probes, as pure functions (shared/research/latency-anchors.md §2): loss and
 * loss bursts (RFC 6673, RFC 3357), nearest-rank percentiles with N (RFC 2681 §4), PDV against the window minimum
 * (RFC 5481 §4.2), IPDV between consecutive received probes (RFC 3393), RFC 3550 interarrival jitter, iputils'
 * mdev, and the fraction of probes under a threshold (the inverse percentile). Times in microseconds.
 */
import { percentile } from "@/lib/percentile";

export { percentile };

export interface ProbeSample {
  /** sequence number: consecutive probes differ by 1 */
  seq: number;
  /** round-trip time in µs, null when no reply came within the timeout */
  rttUs: number | null;
}

export interface LatencySummary {
  sent: number;
  /** N: received probes, the sample count behind every percentile */
  n: number;
  /** 1 − received/sent; null with nothing sent */
  loss: number | null;
  /** the longest run of consecutive lost probes, and how many runs there were */
  lossBursts: { longest: number; episodes: number };
  min: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  mean: number | null;
  /** iputils' mdev: the population standard deviation */
  mdev: number | null;
  /** PDV = RTT − the window's minimum RTT (RFC 5481), its percentiles: the primary jitter number */
  pdv: { p50: number | null; p99: number | null; p999: number | null };
  /** IPDV = RTTᵢ − RTTᵢ₋₁ over consecutive received sequence numbers (pairs across a loss are skipped) */
  ipdv: { meanAbs: number | null; p99Abs: number | null; peakToPeak: number | null };
  /** RFC 3550 J after the last probe: J += (|D| − J)/16 over consecutive received probes, J₀ = 0 */
  jitterRfc3550: number | null;
}

const ascending = (xs: number[]) => [...xs].sort((a, b) => a - b);

export function summarize(samples: ProbeSample[]): LatencySummary {
  const bySeq = [...samples].sort((a, b) => a.seq - b.seq);
  const rtts = bySeq.filter((s) => s.rttUs !== null).map((s) => s.rttUs!);
  const sorted = ascending(rtts);
  const n = rtts.length;
  const min = n ? sorted[0]! : null;

  let longest = 0;
  let episodes = 0;
  let run = 0;
  for (const s of bySeq) {
    if (s.rttUs === null) {
      if (run === 0) episodes++;
      run++;
      longest = Math.max(longest, run);
    } else run = 0;
  }

  const diffs: number[] = [];
  let jitter = 0;
  for (let i = 1; i < bySeq.length; i++) {
    const prev = bySeq[i - 1]!;
    const cur = bySeq[i]!;
    if (prev.rttUs === null || cur.rttUs === null || cur.seq !== prev.seq + 1) continue;
    const d = cur.rttUs - prev.rttUs;
    diffs.push(d);
    jitter += (Math.abs(d) - jitter) / 16;
  }
  const absDiffs = ascending(diffs.map(Math.abs));
  const pdv = min === null ? [] : sorted.map((x) => x - min);
  const mean = n ? rtts.reduce((a, b) => a + b, 0) / n : null;
  const mdev = mean === null ? null : Math.sqrt(Math.max(0, rtts.reduce((a, b) => a + b * b, 0) / n - mean * mean));

  return {
    sent: bySeq.length,
    n,
    loss: bySeq.length ? 1 - n / bySeq.length : null,
    lossBursts: { longest, episodes },
    min,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    p999: percentile(sorted, 0.999),
    max: n ? sorted[n - 1]! : null,
    mean,
    mdev,
    pdv: { p50: percentile(pdv, 0.5), p99: percentile(pdv, 0.99), p999: percentile(pdv, 0.999) },
    ipdv: {
      meanAbs: diffs.length ? absDiffs.reduce((a, b) => a + b, 0) / diffs.length : null,
      p99Abs: percentile(absDiffs, 0.99),
      // a loop, not Math.max(...diffs): spreading 200,000 arguments overflows the stack
      peakToPeak: diffs.length ? diffs.reduce((a, b) => (b > a ? b : a)) - diffs.reduce((a, b) => (b < a ? b : a)) : null,
    },
    jitterRfc3550: diffs.length ? jitter : null,
  };
}

/** F(T): the share of sent probes answered within `thresholdUs` (lost ones count against it); null with nothing sent. */
export function fractionUnder(samples: ProbeSample[], thresholdUs: number): number | null {
  if (samples.length === 0) return null;
  return samples.filter((s) => s.rttUs !== null && s.rttUs <= thresholdUs).length / samples.length;
}
