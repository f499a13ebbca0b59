"use client";

import { useState, type ReactNode } from "react";
import {
  Area,
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  LineChart,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  usePlotArea,
  XAxis,
  YAxis,
  type MouseHandlerDataParam,
} from "recharts";
import type { LatencyPoint } from "@/lib/latency-live";
import { formatClock, formatPercent, formatTimeTick, formatUs, formatUsTick, LOSS_BINS, lossColor, timeTicks } from "@/lib/latency-format";
import { markerColor, type Marker } from "./model";

/** The y axis is as wide on every chart, so one time lines up across the smoke, jitter and loss charts of all targets. */
export const Y_AXIS_WIDTH = 68;
export const CHART_MARGIN = { top: 6, right: 12, bottom: 0, left: 0 };
// No text selection while dragging a zoom; Recharts' keyboard focus ring only for keyboard users, not after a click.
const CHART_BOX = "select-none [&_*:focus:not(:focus-visible)]:outline-none";

export interface TimeChartProps {
  targetId: number;
  /** what is drawn, with empty points where data is missing */
  points: LatencyPoint[];
  fromMs: number;
  toMs: number;
  markers: Marker[];
  selectedMarker: string | null;
  onPickMarker: (key: string) => void;
  onZoom: (fromMs: number, toMs: number) => void;
}

/** Drag across a chart to zoom into that span (SmokePing's navigator, Grafana's drag-zoom). */
function useDragZoom(onZoom: (fromMs: number, toMs: number) => void) {
  const [drag, setDrag] = useState<{ a: number; b: number } | null>(null);
  const at = (e: MouseHandlerDataParam) => {
    const x = Number(e.activeLabel);
    return Number.isFinite(x) ? x : null;
  };
  return {
    drag,
    handlers: {
      onMouseDown: (e: MouseHandlerDataParam) => {
        const x = at(e);
        if (x !== null) setDrag({ a: x, b: x });
      },
      onMouseMove: (e: MouseHandlerDataParam) => {
        const x = at(e);
        if (drag && x !== null && x !== drag.b) setDrag({ ...drag, b: x });
      },
      onMouseUp: () => {
        if (drag && drag.a !== drag.b) onZoom(Math.min(drag.a, drag.b), Math.max(drag.a, drag.b));
        setDrag(null);
      },
      onMouseLeave: () => setDrag(null),
    },
  };
}

function timeAxis(fromMs: number, toMs: number, hide = false) {
  return (
    <XAxis
      dataKey="t"
      type="number"
      domain={[fromMs, toMs]}
      allowDataOverflow
      ticks={timeTicks(fromMs, toMs, 7)}
      tickFormatter={(t: number) => formatTimeTick(t, toMs - fromMs)}
      tick={{ fontSize: 11, fill: "#475569" }}
      hide={hide}
      height={hide ? 0 : 22}
    />
  );
}

/** One vertical line per change marker, clickable (it selects the marker for the verdict), on every chart. */
function markerLines(props: Pick<TimeChartProps, "markers" | "selectedMarker" | "onPickMarker">, withLabels: boolean) {
  return props.markers.map((m) => {
    const color = markerColor(m);
    const selected = props.selectedMarker === m.key;
    return (
      <ReferenceLine
        key={m.key}
        x={m.atMs}
        stroke={color}
        strokeWidth={selected ? 2.5 : 1.5}
        {...(m.kind === "note" ? { strokeDasharray: "4 3" } : {})}
        {...(withLabels ? { label: { value: shortTitle(m.title), position: "insideTopLeft" as const, fill: color, fontSize: 10 } } : {})}
        shape={(p: { x1?: number; y1?: number; x2?: number; y2?: number }) => (
          <g
            data-testid={`chart-marker-${m.key}`}
            role="button"
            aria-label={`Judge the change: ${m.title}`}
            style={{ cursor: "pointer" }}
            onClick={() => props.onPickMarker(m.key)}
          >
            <title>{`${formatClock(m.atMs)} ${m.title}`}</title>
            {/* A 10 px invisible hit area: a 1.5 px line is too thin to hit with a mouse. */}
            <rect x={(p.x1 ?? 0) - 5} y={Math.min(p.y1 ?? 0, p.y2 ?? 0)} width={10} height={Math.abs((p.y2 ?? 0) - (p.y1 ?? 0))} fill="transparent" />
            <line
              x1={p.x1}
              y1={p.y1}
              x2={p.x2}
              y2={p.y2}
              stroke={color}
              strokeWidth={selected ? 2.5 : 1.5}
              strokeDasharray={m.kind === "note" ? "4 3" : undefined}
            />
          </g>
        )}
      />
    );
  });
}

const shortTitle = (title: string) => (title.length > 28 ? `${title.slice(0, 27)}…` : title);

/**
 * The median's stroke: a horizontal gradient across the plot with a hard colour step halfway between points, each
 * point's colour being its loss bin (SmokePing). In user space, so a flat median line is still painted (an
 * objectBoundingBox gradient on a zero-height path is not).
 */
function LossGradient({ id, points, fromMs, toMs }: { id: string; points: LatencyPoint[]; fromMs: number; toMs: number }) {
  const plot = usePlotArea();
  if (!plot) return null;
  const real = points.filter((p) => p.p50 !== null);
  const span = Math.max(1, toMs - fromMs);
  const at = (t: number) => Math.min(1, Math.max(0, (t - fromMs) / span));
  const stops: ReactNode[] = [];
  real.forEach((p, i) => {
    const left = i === 0 ? fromMs : (real[i - 1]!.t + p.t) / 2;
    const right = i === real.length - 1 ? toMs : (p.t + real[i + 1]!.t) / 2;
    const color = lossColor(p.loss);
    stops.push(<stop key={`${i}a`} offset={at(left)} stopColor={color} />, <stop key={`${i}b`} offset={at(right)} stopColor={color} />);
  });
  return (
    <defs>
      <linearGradient id={id} gradientUnits="userSpaceOnUse" x1={plot.x} x2={plot.x + plot.width} y1={0} y2={0}>
        {stops.length ? stops : <stop offset={0} stopColor={LOSS_BINS[0].color} />}
      </linearGradient>
    </defs>
  );
}

type SmokeRow = LatencyPoint & { outer: [number, number] | null; inner: [number, number] | null };

function TooltipBox({ children }: { children: ReactNode }) {
  return <div className="rounded-md border border-slate-200 bg-white/95 px-2.5 py-1.5 text-xs text-slate-800 shadow-sm">{children}</div>;
}

function SmokeTooltip({ active, payload }: { active?: boolean; payload?: readonly { payload?: unknown }[] }) {
  const p = payload?.[0]?.payload as SmokeRow | undefined;
  if (!active || !p || p.sent === 0) return null;
  return (
    <TooltipBox>
      <p className="font-mono text-slate-500">{formatClock(p.t)}</p>
      <p>
        p50 <b>{formatUs(p.p50)}</b> · N {p.n.toLocaleString("en-US")} of {p.sent.toLocaleString("en-US")} sent
      </p>
      <p>
        p25–p75 {formatUs(p.p25)} – {formatUs(p.p75)}
      </p>
      <p>
        p5–p95 {formatUs(p.p5)} – {formatUs(p.p95)}
      </p>
      <p>
        max {formatUs(p.max)} · loss {formatPercent(p.loss)}
      </p>
    </TooltipBox>
  );
}

/**
 * SmokePing's smoke: the p5–p95 band (light) and the p25–p75 band (darker) per point, the median as a line coloured
 * by loss, and each point's max as a dot (max is one sample, not a percentile, so it is not part of the smoke).
 */
export function SmokeChart(props: TimeChartProps & { yTopUs: number; height?: number }) {
  const { points, fromMs, toMs, targetId } = props;
  const zoom = useDragZoom(props.onZoom);
  const rows: SmokeRow[] = points.map((p) => ({
    ...p,
    outer: p.p5 !== null && p.p95 !== null ? [p.p5, p.p95] : null,
    inner: p.p25 !== null && p.p75 !== null ? [p.p25, p.p75] : null,
  }));
  const gradientId = `median-loss-${targetId}`;
  return (
    <div style={{ height: props.height ?? 240 }} className={CHART_BOX}>
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={rows} margin={CHART_MARGIN} syncId={`latency-${targetId}`} syncMethod="value" {...zoom.handlers}>
          <LossGradient id={gradientId} points={points} fromMs={fromMs} toMs={toMs} />
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          {timeAxis(fromMs, toMs)}
          <YAxis width={Y_AXIS_WIDTH} domain={[0, props.yTopUs]} allowDataOverflow tickFormatter={formatUsTick} tick={{ fontSize: 11, fill: "#475569" }} />
          <Tooltip content={<SmokeTooltip />} isAnimationActive={false} />
          <Area
            dataKey="outer"
            name="p5–p95"
            type="linear"
            stroke="none"
            fill="#cbd5e1"
            fillOpacity={0.7}
            isAnimationActive={false}
            connectNulls={false}
            activeDot={false}
          />
          <Area
            dataKey="inner"
            name="p25–p75"
            type="linear"
            stroke="none"
            fill="#64748b"
            fillOpacity={0.45}
            isAnimationActive={false}
            connectNulls={false}
            activeDot={false}
          />
          <Line
            dataKey="p50"
            name="median"
            type="linear"
            stroke={`url(#${gradientId})`}
            strokeWidth={2}
            dot={false}
            activeDot={{ r: 3 }}
            isAnimationActive={false}
            connectNulls={false}
          />
          <Line
            dataKey="max"
            name="max"
            type="linear"
            stroke="none"
            dot={{ r: 1.4, fill: "#0f172a", stroke: "none" }}
            activeDot={false}
            isAnimationActive={false}
            legendType="none"
          />
          {markerLines(props, true)}
          {zoom.drag ? <ReferenceArea x1={zoom.drag.a} x2={zoom.drag.b} fill="#3b82f6" fillOpacity={0.12} stroke="#3b82f6" strokeOpacity={0.4} /> : null}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

function JitterTooltip({ active, payload }: { active?: boolean; payload?: readonly { payload?: unknown }[] }) {
  const p = payload?.[0]?.payload as LatencyPoint | undefined;
  if (!active || !p || p.sent === 0) return null;
  return (
    <TooltipBox>
      <p className="font-mono text-slate-500">{formatClock(p.t)}</p>
      <p>
        PDV p99 {formatUs(p.pdvP99)} · J {formatUs(p.jitter)} · N {p.n.toLocaleString("en-US")}
      </p>
      <p>prober lateness p99 {formatUs(p.lagP99)}</p>
    </TooltipBox>
  );
}

/** PDV p99 (RFC 5481) and RFC 3550 J, with the prober's own lateness on the same axis: jitter below it is noise. */
export function JitterChart(props: TimeChartProps & { yTopUs: number; height?: number }) {
  const { points, fromMs, toMs, targetId } = props;
  const zoom = useDragZoom(props.onZoom);
  return (
    <div style={{ height: props.height ?? 150 }} className={CHART_BOX}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={points} margin={CHART_MARGIN} syncId={`latency-${targetId}`} syncMethod="value" {...zoom.handlers}>
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          {timeAxis(fromMs, toMs)}
          <YAxis width={Y_AXIS_WIDTH} tickFormatter={formatUsTick} tick={{ fontSize: 11, fill: "#475569" }} domain={[0, props.yTopUs]} allowDataOverflow />
          <Tooltip content={<JitterTooltip />} isAnimationActive={false} />
          <Legend verticalAlign="top" height={20} iconSize={10} wrapperStyle={{ fontSize: 11 }} />
          <Line dataKey="pdvP99" name="PDV p99 (RFC 5481)" stroke="#7c3aed" strokeWidth={1.5} dot={false} isAnimationActive={false} connectNulls={false} />
          <Line dataKey="jitter" name="J (RFC 3550)" stroke="#0891b2" strokeWidth={1.5} dot={false} isAnimationActive={false} connectNulls={false} />
          <Line
            dataKey="lagP99"
            name="prober lateness p99 (self-noise)"
            stroke="#64748b"
            strokeWidth={1.25}
            strokeDasharray="5 3"
            dot={false}
            isAnimationActive={false}
            connectNulls={false}
          />
          {markerLines(props, false)}
          {zoom.drag ? <ReferenceArea x1={zoom.drag.a} x2={zoom.drag.b} fill="#3b82f6" fillOpacity={0.12} /> : null}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

type LossRow = LatencyPoint & { lossBar: number | null; gapMark: number | null };

function LossTooltip({ active, payload }: { active?: boolean; payload?: readonly { payload?: unknown }[] }) {
  const p = payload?.[0]?.payload as LossRow | undefined;
  if (!active || !p || p.sent === 0) return null;
  return (
    <TooltipBox>
      <p className="font-mono text-slate-500">{formatClock(p.t)}</p>
      <p>
        loss {formatPercent(p.loss)} ({(p.sent - p.n).toLocaleString("en-US")} of {p.sent.toLocaleString("en-US")})
      </p>
      {p.gaps ? (
        <p className="text-amber-800">
          {p.gaps} prober gap{p.gaps === 1 ? "" : "s"}: the prober stalled (not network loss)
        </p>
      ) : null}
    </TooltipBox>
  );
}

/**
 * Loss per point as thin bars on a square-root axis (0.5 % loss is still visible), and prober gaps as amber dots on
 * top: a gap is the prober sending late, which says nothing about the network.
 */
export function LossStrip(props: TimeChartProps & { barPx: number; height?: number }) {
  const { points, fromMs, toMs, targetId } = props;
  const zoom = useDragZoom(props.onZoom);
  const rows: LossRow[] = points.map((p) => ({ ...p, lossBar: p.sent ? p.loss : null, gapMark: p.gaps > 0 ? 1 : null }));
  return (
    <div style={{ height: props.height ?? 92 }} className={CHART_BOX}>
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={rows} margin={CHART_MARGIN} syncId={`latency-${targetId}`} syncMethod="value" {...zoom.handlers}>
          {timeAxis(fromMs, toMs)}
          <YAxis
            width={Y_AXIS_WIDTH}
            scale="sqrt"
            domain={[0, 1]}
            ticks={[0, 0.05, 0.25, 1]}
            tickFormatter={(x: number) => `${Math.round(x * 100)} %`}
            tick={{ fontSize: 10, fill: "#475569" }}
            allowDataOverflow
          />
          <Tooltip content={<LossTooltip />} isAnimationActive={false} />
          <Bar dataKey="lossBar" name="loss" isAnimationActive={false} barSize={props.barPx} fill="#dc2626" />
          <Line
            dataKey="gapMark"
            name="prober gap"
            stroke="none"
            dot={{ r: 2.5, fill: "#f59e0b", stroke: "#b45309", strokeWidth: 0.5 }}
            activeDot={false}
            isAnimationActive={false}
          />
          {markerLines(props, false)}
          {zoom.drag ? <ReferenceArea x1={zoom.drag.a} x2={zoom.drag.b} fill="#3b82f6" fillOpacity={0.12} /> : null}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

/** The loss colours of the median line, as SmokePing prints them under its graphs. */
export function LossLegend() {
  return (
    <p className="flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-slate-600" aria-label="Median colour by loss">
      <span>median colour by loss:</span>
      {LOSS_BINS.map((b) => (
        <span key={b.label} className="inline-flex items-center gap-1">
          <span aria-hidden="true" className="inline-block h-0.5 w-4" style={{ background: b.color }} />
          {b.label}
        </span>
      ))}
      <span className="inline-flex items-center gap-1">
        <span aria-hidden="true" className="inline-block h-2.5 w-4 bg-slate-300" />
        p5–p95
      </span>
      <span className="inline-flex items-center gap-1">
        <span aria-hidden="true" className="inline-block h-2.5 w-4 bg-slate-500/60" />
        p25–p75
      </span>
      <span className="inline-flex items-center gap-1">
        <span aria-hidden="true" className="inline-block size-1.5 rounded-full bg-slate-900" />
        max (one sample)
      </span>
    </p>
  );
}
