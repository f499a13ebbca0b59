"use client";

import { Button } from "@/components/ui/button";
import { formatClock, formatDuration } from "@/lib/latency-format";
import { RANGE_LABEL, RANGE_PRESETS, type RangePreset } from "@/lib/latency-view";

/** Live, the presets, and a zoomed span (drag across any chart) with the way back. */
export function RangeBar({
  range,
  zoomed,
  span,
  onRange,
  onResetZoom,
  liveStatus,
}: {
  range: RangePreset;
  zoomed: boolean;
  span: { fromMs: number; toMs: number } | null;
  onRange: (r: RangePreset) => void;
  onResetZoom: () => void;
  liveStatus: string | null;
}) {
  return (
    <div
      className="sticky z-20 -mx-1 flex flex-wrap items-center gap-2 rounded-lg border border-slate-200 bg-white/95 px-3 py-2 shadow-xs backdrop-blur"
      style={{ top: "calc(var(--header-h, 48px) + 4px)" }}
      data-testid="range-bar"
    >
      <div role="group" aria-label="Time range" className="flex flex-wrap gap-1">
        {RANGE_PRESETS.map((r) => (
          <Button key={r} size="sm" aria-pressed={!zoomed && range === r} onClick={() => onRange(r)}>
            {RANGE_LABEL[r]}
          </Button>
        ))}
      </div>
      {zoomed ? (
        <Button size="sm" variant="default" onClick={onResetZoom} data-testid="reset-zoom">
          Reset zoom
        </Button>
      ) : null}
      {span ? (
        <span data-testid="visible-span" className="text-xs text-slate-600 tabular-nums">
          {formatClock(span.fromMs)} – {formatClock(span.toMs)} ({formatDuration(span.toMs - span.fromMs)})
          {zoomed ? " · zoomed" : range === "live" ? " · streaming" : ""}
        </span>
      ) : null}
      {liveStatus ? <span className="text-xs text-slate-500">{liveStatus}</span> : null}
      <span className="ml-auto text-xs text-slate-500">drag across a chart to zoom</span>
    </div>
  );
}
