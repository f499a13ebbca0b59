/** How the latency page writes numbers and colours loss. Pure; the server's CLI and headline use the same µs/ms rule. */

const EM_DASH = "—";

/** µs under 10,000 as whole µs ("412 µs"), larger as ms with 2 decimals ("12.35 ms"); "—" when unknown. */
export function formatUs(us: number | null | undefined): string {
  if (us === null || us === undefined || !Number.isFinite(us)) return EM_DASH;
  const sign = us < 0 ? "−" : "";
  const magnitude = Math.abs(us);
  return Math.round(magnitude) < 10_000 ? `${sign}${Math.round(magnitude).toLocaleString("en-US")} µs` : `${sign}${(magnitude / 1000).toFixed(2)} ms`;
}

/** A difference: "+12 µs", "−1.20 ms", "0 µs". */
export function formatDeltaUs(us: number | null | undefined): string {
  if (us === null || us === undefined || !Number.isFinite(us)) return EM_DASH;
  return Math.round(us) > 0 ? `+${formatUs(us)}` : formatUs(us);
}

/** An axis tick: shorter than formatUs ("250 µs", "1.5 ms", "20 ms"). */
export function formatUsTick(us: number): string {
  if (Math.abs(us) < 1000) return `${Math.round(us)} µs`;
  const ms = us / 1000;
  return `${Number(ms.toFixed(Math.abs(ms) < 10 ? 2 : 1))} ms`;
}

/** A share of probes: "0 %", "0.4 %", "12 %", "100 %". Small non-zero shares keep a decimal so they never read as 0. */
export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return EM_DASH;
  const percent = fraction * 100;
  if (percent === 0) return "0 %";
  if (Math.abs(percent) < 10) return `${Number(percent.toFixed(1))} %`;
  return `${Math.round(percent)} %`;
}

/** A relative change: "+2 %", "−79 %". */
export function formatRelative(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return EM_DASH;
  const percent = Math.round(fraction * 100);
  return percent > 0 ? `+${percent} %` : percent < 0 ? `−${-percent} %` : "0 %";
}

/** A point width or a window: "500 ms", "10 s", "1 min", "6 h", "1 d". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number(s.toFixed(1))} s`;
  if (s < 3600) return `${Number((s / 60).toFixed(1))} min`;
  if (s < 86_400) return `${Number((s / 3600).toFixed(1))} h`;
  return `${Number((s / 86_400).toFixed(1))} d`;
}

/**
 * SmokePing's loss colours for the median line, from none to all lost. The bins are the share of probes lost in a
 * point: 0, more than 0, ≥ 5 %, ≥ 10 %, ≥ 25 %, ≥ 50 %, and 100 %.
 */
export const LOSS_BINS = [
  { label: "0", from: 0, color: "#16a34a" },
  { label: "> 0", from: Number.MIN_VALUE, color: "#0891b2" },
  { label: "≥ 5 %", from: 0.05, color: "#2563eb" },
  { label: "≥ 10 %", from: 0.1, color: "#7c3aed" },
  { label: "≥ 25 %", from: 0.25, color: "#c026d3" },
  { label: "≥ 50 %", from: 0.5, color: "#dc2626" },
  { label: "100 %", from: 1, color: "#450a0a" },
] as const;

/** The colour of a point's median for its loss (unknown loss draws as no loss: nothing was sent, nothing was lost). */
export function lossColor(loss: number | null | undefined): string {
  const l = loss ?? 0;
  let color: string = LOSS_BINS[0].color;
  for (const bin of LOSS_BINS) if (l >= bin.from) color = bin.color;
  return color;
}

/** A time on the chart's axis: seconds for spans under 10 minutes, dates for spans over 2 days. */
export function formatTimeTick(ms: number, spanMs: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (spanMs <= 10 * 60_000) return `${hm}:${pad(d.getSeconds())}`;
  if (spanMs <= 2 * 86_400_000) return hm;
  if (spanMs <= 60 * 86_400_000) return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A full local time for lists and tooltips: "2026-11-25 10:04:31". */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const TICK_STEPS_MS = [
  1_000,
  2_000,
  5_000,
  10_000,
  15_000,
  30_000,
  60_000,
  120_000,
  300_000,
  600_000,
  900_000,
  1_800_000,
  3_600_000,
  7_200_000,
  10_800_000,
  21_600_000,
  43_200_000,
  86_400_000,
  2 * 86_400_000,
  7 * 86_400_000,
  14 * 86_400_000,
  30 * 86_400_000,
  91 * 86_400_000,
];

/**
 * Time-axis ticks on round local times (every 30 s, every 15 min, every day at midnight…): about `count` of them.
 * A numeric axis would otherwise put ticks at round *numbers* of milliseconds, which read as random times.
 */
export function timeTicks(fromMs: number, toMs: number, count = 6): number[] {
  const span = Math.max(1, toMs - fromMs);
  const step = TICK_STEPS_MS.find((s) => span / s <= count) ?? TICK_STEPS_MS.at(-1)!;
  // Round in local time, so hour and day ticks fall on the hour and at midnight where the user is.
  const offset = -new Date(fromMs).getTimezoneOffset() * 60_000;
  const ticks: number[] = [];
  for (let t = Math.ceil((fromMs + offset) / step) * step - offset; t <= toMs; t += step) ticks.push(t);
  return ticks;
}

/** A round upper bound for a µs axis: 1, 2, 2.5 or 5 × 10ⁿ, at least 10 µs. */
export function niceCeilUs(us: number): number {
  if (!Number.isFinite(us) || us <= 10) return 10;
  const magnitude = 10 ** Math.floor(Math.log10(us));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * magnitude >= us) return m * magnitude;
  return 10 * magnitude;
}
