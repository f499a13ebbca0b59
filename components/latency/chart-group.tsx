"use client";

import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Card, CardBody, CardHeader, CardTitle } from "@/components/ui/card";
import { breakGaps, emptyPoint, type LatencyPoint, type WindowNumbers } from "@/lib/latency-live";
import { formatDuration, formatPercent, formatUs, niceCeilUs } from "@/lib/latency-format";
import { JitterChart, LossLegend, LossStrip, SmokeChart, CHART_MARGIN, Y_AXIS_WIDTH } from "./charts";
import type { TargetChartProps } from "./model";

export interface ChartSource {
  /** "raw samples", "10 s rollups", … */
  label: string;
  /** the width of one drawn point */
  stepMs: number;
  /** how the bands are made, for the reader */
  detail: string;
}

const SOURCE_LABEL = { raw: "raw samples", "10s": "10 s rollups", "1m": "1 min rollups", "1h": "1 h rollups" } as const;
export const sourceOf = (source: keyof typeof SOURCE_LABEL, stepMs: number): ChartSource => ({
  label: SOURCE_LABEL[source],
  stepMs,
  detail: source === "raw" ? "percentiles of the probes in each point" : "percentiles of merged histograms (never averaged)",
});

/** One target's smoke, jitter and loss charts on the shared time axis, with the window's numbers and N. */
export function ChartGroup({
  target,
  points,
  numbers,
  source,
  fromMs,
  toMs,
  plotWidth,
  markers,
  selectedMarker,
  onPickMarker,
  onZoom,
  live,
  loading,
}: TargetChartProps & {
  points: LatencyPoint[];
  numbers: WindowNumbers | null;
  source: ChartSource;
  live: boolean;
}) {
  const [fit, setFit] = useState<"bands" | "max">("bands");
  // A hole longer than 3 points (the agent was down) breaks the lines instead of bridging it.
  const drawn = breakGaps(points, Math.max(3 * source.stepMs, 3 * target.intervalMs), emptyPoint);
  const topBands = Math.max(0, ...points.map((p) => p.p95 ?? 0));
  const topMax = Math.max(0, ...points.map((p) => p.max ?? 0));
  const yTopUs = niceCeilUs(fit === "bands" ? topBands * 1.2 : topMax * 1.05);
  const maxAbove = fit === "bands" ? points.filter((p) => p.max !== null && p.max > yTopUs).length : 0;
  // The jitter axis fits PDV and J; the prober's lateness may run off it, which is itself the finding (it is noise).
  const jitterTopUs = niceCeilUs(Math.max(0, ...points.map((p) => Math.max(p.pdvP99 ?? 0, p.jitter ?? 0))) * 1.3);
  const lagPeak = Math.max(0, ...points.map((p) => p.lagP99 ?? 0));
  const common = { targetId: target.id, points: drawn, fromMs, toMs, markers, selectedMarker, onPickMarker, onZoom };
  const barPx = Math.max(1, Math.min(12, Math.floor((plotWidth * source.stepMs) / Math.max(1, toMs - fromMs)) - 1));
  const exportHref = (format: "csv" | "json") => `/api/latency/export?target=${target.id}&from=${Math.round(fromMs)}&to=${Math.round(toMs)}&format=${format}`;

  return (
    <Card
      data-testid={`latency-chart-${target.id}`}
      data-points={points.length}
      data-first-sent-ms={points[0] ? Math.round(points[0].t) : ""}
      data-last-sent-ms={points.at(-1) ? Math.round(points.at(-1)!.t) : ""}
      data-source={source.label}
      aria-label={`Latency of ${target.name}`}
    >
      <CardHeader className="gap-x-4">
        <CardTitle className="font-mono">{target.name}</CardTitle>
        {target.kind === "tcp" ? <Badge tone="amber">coarse: Node timing, ms-level</Badge> : null}
        {live ? <Badge tone="green">live</Badge> : null}
        <WindowStats numbers={numbers} />
        <span className="ml-auto flex gap-2 text-xs">
          <a data-testid="export-csv" className="text-blue-800 underline" href={exportHref("csv")} download>
            CSV
          </a>
          <a data-testid="export-json" className="text-blue-800 underline" href={exportHref("json")} download>
            JSON
          </a>
        </span>
      </CardHeader>
      <CardBody className="space-y-1 px-2">
        <div className="flex flex-wrap items-center gap-x-4 gap-y-1 px-2 text-xs text-slate-600">
          <span data-testid="chart-source">
            {source.label} · {formatDuration(source.stepMs)} per point{live ? " (bands from the trailing 10 s)" : ""} · {source.detail}
          </span>
          <span className="tabular-nums">{points.length.toLocaleString("en-US")} points</span>
          <span className="ml-auto inline-flex items-center gap-1">
            y axis:
            {(["bands", "max"] as const).map((f) => (
              <button
                key={f}
                type="button"
                aria-pressed={fit === f}
                onClick={() => setFit(f)}
                className="cursor-pointer rounded border border-slate-300 px-1.5 py-px aria-pressed:border-slate-900 aria-pressed:bg-slate-900 aria-pressed:text-white"
              >
                {f === "bands" ? "fit the smoke" : "fit the max"}
              </button>
            ))}
          </span>
        </div>
        <div className="relative">
          <SmokeChart {...common} yTopUs={yTopUs} />
          {points.length === 0 ? (
            <p
              data-testid="chart-empty"
              className="pointer-events-none absolute inset-0 flex items-center justify-center px-20 text-center text-sm text-slate-500"
              style={{ paddingLeft: Y_AXIS_WIDTH + CHART_MARGIN.left }}
            >
              {loading
                ? "Reading samples…"
                : target.state === "failing" && target.message
                  ? `The probe agent cannot probe this target: ${target.message}`
                  : live
                    ? `No samples in the last 5 minutes yet. The probe agent sends one every ${target.intervalMs} ms once it has picked the target up; if nothing comes, check the agent banner above.`
                    : "No samples in this range: the target was not probed then (or its data has aged out). Pick a shorter range or Live."}
            </p>
          ) : null}
        </div>
        <div className="flex flex-wrap items-center gap-3 px-2">
          <LossLegend />
          {maxAbove ? (
            <span className="text-xs text-slate-600">
              {maxAbove} max dot{maxAbove === 1 ? " is" : "s are"} above the axis:{" "}
              <button type="button" className="cursor-pointer text-blue-800 underline" onClick={() => setFit("max")}>
                fit the max
              </button>
            </span>
          ) : null}
        </div>
        <JitterChart {...common} yTopUs={jitterTopUs} />
        {lagPeak > jitterTopUs ? (
          <p data-testid="prober-noise-note" className="px-2 text-xs text-amber-800">
            The prober&apos;s own lateness p99 peaks at {formatUs(lagPeak)}, above this axis: at those times the probing host was busy, and jitter measured then
            may be partly the prober&apos;s.
          </p>
        ) : null}
        <LossStrip {...common} barPx={barPx} />
        <p className="px-2 text-xs text-slate-500">
          loss per point (red bars, square-root scale) · <span className="text-amber-700">●</span> prober gap: the prober sent late (it stalled), which is not
          network loss
        </p>
      </CardBody>
    </Card>
  );
}

/** The window's numbers: always N beside the percentiles. */
function WindowStats({ numbers }: { numbers: WindowNumbers | null }) {
  if (!numbers) return <span className="text-xs text-slate-500">reading the window…</span>;
  const item = (label: string, value: string, testid: string) => (
    <span>
      <span className="text-slate-500">{label} </span>
      <span data-testid={testid} className="font-medium text-slate-900">
        {value}
      </span>
    </span>
  );
  return (
    <span className="flex flex-wrap gap-x-3 text-xs tabular-nums" aria-label="This window">
      {item("N", numbers.n.toLocaleString("en-US"), "stat-n")}
      {item("p50", formatUs(numbers.p50), "stat-p50")}
      {item("p99", formatUs(numbers.p99), "stat-p99")}
      {item("PDV p99", formatUs(numbers.pdvP99), "stat-pdv")}
      {item("J", formatUs(numbers.jitter), "stat-jitter")}
      {item("loss", formatPercent(numbers.loss), "stat-loss")}
    </span>
  );
}
