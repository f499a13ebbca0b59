/**
 * The latency page's state in the URL, so a link reproduces the view: which targets, which range (live, a preset, or
 * a zoomed span), which change marker is being judged, and the verdict's window, settle time and threshold.
 * `?targets=1,2&range=1h&from=…&to=…&marker=plan-12&window=300&settle=30&threshold=100`. Pure.
 */

export const RANGE_PRESETS = ["live", "1h", "6h", "24h", "7d", "30d", "1y"] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];

export const RANGE_MS: Record<Exclude<RangePreset, "live">, number> = {
  "1h": 3_600_000,
  "6h": 6 * 3_600_000,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
  "1y": 365 * 86_400_000,
};
export const LIVE_MS = 5 * 60_000;

export const RANGE_LABEL: Record<RangePreset, string> = { live: "Live", "1h": "1 h", "6h": "6 h", "24h": "24 h", "7d": "7 d", "30d": "30 d", "1y": "1 y" };

export const DEFAULT_VERDICT = { windowS: 300, settleS: 30, thresholdUs: 100 } as const;

export interface LatencyView {
  /** null: every target (the parameter is absent); [] : none chosen */
  targets: number[] | null;
  range: RangePreset;
  /** a zoomed span (ms since the epoch) inside the preset; both or neither */
  zoom: { fromMs: number; toMs: number } | null;
  marker: string | null;
  windowS: number;
  settleS: number;
  thresholdUs: number;
}

const MARKER = /^(plan|note)-\d{1,12}$/;

function positiveInt(raw: string | null, fallback: number, min: number): number {
  if (raw === null || !/^\d{1,15}$/.test(raw)) return fallback;
  const n = Number(raw);
  return n >= min ? n : fallback;
}

/** Reads the view from the URL; anything malformed falls back to the default rather than breaking the page. */
export function parseLatencyView(params: URLSearchParams): LatencyView {
  const rawTargets = params.get("targets");
  const targets =
    rawTargets === null
      ? null
      : [
          ...new Set(
            rawTargets
              .split(",")
              .filter((x) => /^\d{1,9}$/.test(x))
              .map(Number)
              .filter((x) => x >= 1),
          ),
        ];
  const rawRange = params.get("range");
  const range = (RANGE_PRESETS as readonly string[]).includes(rawRange ?? "") ? (rawRange as RangePreset) : "live";
  const from = positiveInt(params.get("from"), -1, 0);
  const to = positiveInt(params.get("to"), -1, 0);
  const zoom = from >= 0 && to > from ? { fromMs: from, toMs: to } : null;
  const marker = params.get("marker");
  return {
    targets,
    range,
    zoom,
    marker: marker && MARKER.test(marker) ? marker : null,
    windowS: positiveInt(params.get("window"), DEFAULT_VERDICT.windowS, 10),
    settleS: positiveInt(params.get("settle"), DEFAULT_VERDICT.settleS, 0),
    thresholdUs: positiveInt(params.get("threshold"), DEFAULT_VERDICT.thresholdUs, 1),
  };
}

/** The query string of a view ("?…"), leaving out what is at its default so links stay short. */
export function formatLatencyView(v: LatencyView): string {
  const out = new URLSearchParams();
  if (v.targets !== null) out.set("targets", v.targets.join(","));
  if (v.range !== "live") out.set("range", v.range);
  if (v.zoom) {
    out.set("from", String(Math.round(v.zoom.fromMs)));
    out.set("to", String(Math.round(v.zoom.toMs)));
  }
  if (v.marker) out.set("marker", v.marker);
  if (v.windowS !== DEFAULT_VERDICT.windowS) out.set("window", String(v.windowS));
  if (v.settleS !== DEFAULT_VERDICT.settleS) out.set("settle", String(v.settleS));
  if (v.thresholdUs !== DEFAULT_VERDICT.thresholdUs) out.set("threshold", String(v.thresholdUs));
  const qs = out.toString().replace(/%2C/gi, ",");
  return qs ? `?${qs}` : "";
}

/**
 * The time span the charts show. A zoom is absolute; a preset ends now, with "now" rounded up to `tickMs` so the
 * query keys (and the server's buckets) stay put between ticks instead of changing every render.
 */
export function visibleSpan(v: LatencyView, nowMs: number, tickMs = 1000): { fromMs: number; toMs: number; live: boolean } {
  if (v.zoom) return { ...v.zoom, live: false };
  const toMs = Math.ceil(nowMs / tickMs) * tickMs;
  if (v.range === "live") return { fromMs: toMs - LIVE_MS, toMs, live: true };
  return { fromMs: toMs - RANGE_MS[v.range], toMs, live: false };
}

/** How often a preset's span moves forward: about one point's width, at least 5 s (live moves every second). */
export function tickFor(range: RangePreset): number {
  if (range === "live") return 1000;
  return Math.max(5000, Math.round(RANGE_MS[range] / 600 / 1000) * 1000);
}

/** The chosen targets among those that exist: all of them when the URL names none. */
export function chosenTargets(v: LatencyView, existing: readonly number[]): number[] {
  if (v.targets === null) return [...existing];
  const set = new Set(existing);
  return v.targets.filter((id) => set.has(id));
}
