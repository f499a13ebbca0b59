"use client";

import { keepPreviousData, skipToken, useQuery } from "@tanstack/react-query";
import { memo, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ErrorPanel, Loading } from "@/components/ui/states";
import { liveChartPoints, MAX_CHART_POINTS, windowNumbers, type RawSample, type WindowNumbers } from "@/lib/latency-live";
import { chosenTargets, tickFor, visibleSpan } from "@/lib/latency-view";
import { useTRPC } from "@/lib/trpc/client";
import { ChartGroup, sourceOf, type ChartSource } from "./chart-group";
import { CHART_MARGIN, Y_AXIS_WIDTH } from "./charts";
import { MarkersPanel } from "./markers-panel";
import { useLatencyView, useNow, type Marker, type SeriesList, type TargetChartProps, type TargetList } from "./model";
import { RangeBar } from "./range-bar";
import { TargetsPanel } from "./targets-panel";
import { useLiveSamples } from "./use-live";
import { VerdictPanel } from "./verdict-panel";

/**
 * Latency and jitter per target, SmokePing-style, with the host's changes on the same time axis and a before/after
 * verdict for any of them: did moving the VM to a VF make it faster and steadier?
 */
export function LatencyView() {
  const trpc = useTRPC();
  // The agent's state changes within seconds (starting → probing, failing): re-read the list every 2 s.
  const list = useQuery({ ...trpc.targets.list.queryOptions(), refetchInterval: 2000 });
  if (list.isPending) return <Loading what="the latency targets" />;
  if (list.isError) return <ErrorPanel error={list.error} what="the latency targets" />;
  return <LatencyBody list={list.data} />;
}

function LatencyBody({ list }: { list: TargetList }) {
  const trpc = useTRPC();
  const [view, setView] = useLatencyView();
  const chosenIds = chosenTargets(
    view,
    list.targets.map((t) => t.id),
  );
  const chosen = list.targets.filter((t) => chosenIds.includes(t.id));
  const liveWanted = view.range === "live" && !view.zoom;
  const tick = tickFor(view.range);
  const clock = useNow(tick);
  const live = useLiveSamples(chosenIds, liveWanted && chosenIds.length > 0 && list.available);
  const nowMs = liveWanted ? (live.snapshot?.nowMs ?? clock) : clock;
  const span = nowMs === null ? null : visibleSpan(view, nowMs, tick);

  // The charts' plot width decides how many points history asks for (about one per pixel).
  const chartsRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(1200);
  useEffect(() => {
    const el = chartsRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);
  const plotWidth = Math.max(200, width - 16 - Y_AXIS_WIDTH - CHART_MARGIN.right);
  const maxPoints = Math.min(2000, Math.max(100, Math.round(plotWidth / 50) * 50));

  const series = useQuery({
    ...trpc.latency.series.queryOptions(
      !liveWanted && span && chosenIds.length && list.available
        ? { targetIds: chosenIds, fromMs: Math.round(span.fromMs), toMs: Math.round(span.toMs), maxPoints }
        : skipToken,
    ),
    placeholderData: keepPreviousData,
  });

  // Live: ask for whole minutes around the sliding window (a stable key), re-read every 3 s so a plan applied now shows.
  const markerRange = span
    ? liveWanted
      ? { fromMs: Math.floor(span.fromMs / 60_000) * 60_000, toMs: Math.ceil(span.toMs / 60_000) * 60_000 + 60_000 }
      : { fromMs: Math.round(span.fromMs), toMs: Math.round(span.toMs) }
    : null;
  const markersQ = useQuery({
    ...trpc.markers.list.queryOptions(markerRange && list.available ? markerRange : skipToken),
    refetchInterval: liveWanted ? 3000 : 30_000,
    placeholderData: keepPreviousData,
  });
  const fromMs = span?.fromMs ?? 0;
  const toMs = span?.toMs ?? 0;
  const allMarkers = markersQ.data;
  const visibleMarkers = useMemo(() => (allMarkers ?? []).filter((m) => m.atMs >= fromMs && m.atMs <= toMs), [allMarkers, fromMs, toMs]);

  // A picked change stays judged after it slides out of the live window.
  const [picked, setPicked] = useState<Marker | null>(null);
  const selectedMarker = view.marker ? (allMarkers?.find((m) => m.key === view.marker) ?? (picked?.key === view.marker ? picked : null)) : null;
  const onPickMarker = useCallback(
    (key: string) => {
      const m = allMarkers?.find((x) => x.key === key) ?? null;
      setPicked(m);
      setView({ marker: key });
      requestAnimationFrame(() => document.getElementById("verdict-anchor")?.scrollIntoView({ behavior: "smooth", block: "start" }));
    },
    [allMarkers, setView],
  );
  const onZoom = useCallback((from: number, to: number) => setView({ zoom: { fromMs: Math.floor(from), toMs: Math.ceil(to) } }), [setView]);
  // What every target's charts share: one time axis, one width, the same markers.
  const chartProps: Omit<TargetChartProps, "target" | "loading"> | null = span && {
    fromMs: span.fromMs,
    toMs: span.toMs,
    plotWidth,
    markers: visibleMarkers,
    selectedMarker: view.marker,
    onPickMarker,
    onZoom,
  };

  const setTargets = (ids: number[]) => setView({ targets: ids }, { replace: true });
  return (
    <section className="space-y-4" aria-labelledby="latency-title">
      <div>
        <h1 id="latency-title" className="text-xl font-semibold text-slate-900">
          Latency
        </h1>
        <p className="mt-1 max-w-4xl text-sm text-slate-600">
          Round-trip time to each target, SmokePing style: the grey smoke is the spread of every probe (p5–p95, p25–p75), the line is the median coloured by
          loss, the dots are each point&apos;s slowest probe. Changes applied on this host are drawn on every chart; pick one to see whether latency and jitter
          got better after it.
        </p>
      </div>

      <TargetsPanel
        list={list}
        chosen={chosenIds}
        onChoose={setTargets}
        onAdded={(id) => {
          if (view.targets !== null) setTargets([...view.targets, id]);
        }}
        onRemoved={(id) => {
          if (view.targets !== null) setTargets(view.targets.filter((x) => x !== id));
        }}
      />

      <RangeBar
        range={view.range}
        zoomed={view.zoom !== null}
        span={span}
        onRange={(range) => setView({ range, zoom: null })}
        onResetZoom={() => setView({ zoom: null })}
        liveStatus={
          liveWanted && chosenIds.length ? liveText(live.status, live.error) : series.isError ? `could not read the series: ${series.error.message}` : null
        }
      />

      <div ref={chartsRef} className="space-y-4">
        {chosen.length === 0 ? (
          <p data-testid="no-chart" className="rounded-lg border border-dashed border-slate-300 bg-white px-4 py-6 text-center text-sm text-slate-600">
            {list.targets.length ? "Tick a target above to chart it." : "Add a target above: its charts appear here as soon as the probe agent answers."}
          </p>
        ) : chartProps === null ? (
          <Loading what="the clock" />
        ) : (
          chosen.map((t) =>
            liveWanted ? (
              <LiveTarget
                key={t.id}
                {...chartProps}
                target={t}
                samples={live.snapshot?.samples.get(t.id) ?? EMPTY}
                loading={live.snapshot === null || live.status === "connecting"}
              />
            ) : (
              <HistoryTarget
                key={t.id}
                {...chartProps}
                target={t}
                series={series.data?.find((s) => s.targetId === t.id) ?? null}
                loading={series.isFetching && !series.data}
              />
            ),
          )
        )}
      </div>

      {list.available ? <MarkersPanel markers={visibleMarkers} selected={view.marker} onPick={onPickMarker} /> : null}

      <div id="verdict-anchor" className="scroll-mt-28" />
      {view.marker ? (
        <VerdictPanel
          markerKey={view.marker}
          marker={selectedMarker}
          targets={chosen}
          settings={{ windowS: view.windowS, settleS: view.settleS, thresholdUs: view.thresholdUs }}
          onSettings={(s) => setView(s, { replace: true })}
          onClose={() => setView({ marker: null })}
        />
      ) : null}

      <footer className="border-t border-slate-200 pt-3 text-xs text-slate-500">
        Each chart&apos;s CSV and JSON links export the visible range (raw samples while they are kept, 48 h; rollup points after). For Grafana or Prometheus,
        scrape{" "}
        <a href="/metrics" className="font-mono text-blue-800 underline">
          /metrics
        </a>
        : RTT histograms per target with buckets from 1 µs, loss and prober lateness. Times are µs below 10,000 µs, ms above; N is the number of replies behind
        each percentile.
      </footer>
    </section>
  );
}

const EMPTY: readonly RawSample[] = [];

function liveText(status: string, error: unknown): string {
  if (status === "error") return `live feed lost (${error instanceof Error ? error.message : "error"}); reconnecting…`;
  if (status === "connecting") return "connecting to the live feed…";
  return "live: new samples arrive within half a second";
}

/** Live: points from the streamed samples, each with the bands of its trailing 10 s, thinned to ≤ 600 per chart. */
const LiveTarget = memo(function LiveTarget({ samples, ...props }: TargetChartProps & { samples: readonly RawSample[] }) {
  const { fromMs, toMs, target } = props;
  const points = useMemo(() => liveChartPoints(samples, { fromMs, toMs, intervalMs: target.intervalMs }), [samples, fromMs, toMs, target.intervalMs]);
  const numbers = useMemo(() => windowNumbers(samples, fromMs, toMs), [samples, fromMs, toMs]);
  const source: ChartSource = {
    label: "raw samples",
    stepMs: Math.ceil((toMs - fromMs) / MAX_CHART_POINTS),
    detail: "streamed as the probe agent stores them",
  };
  return <ChartGroup {...props} points={points} numbers={numbers} source={source} live />;
});

type SeriesRow = SeriesList[number];

/** History: the server's series (raw or rollups, at most one point per pixel) and the window's exact numbers. */
const HistoryTarget = memo(function HistoryTarget({ series, ...props }: TargetChartProps & { series: SeriesRow | null }) {
  const trpc = useTRPC();
  const { fromMs, toMs, target } = props;
  const stats = useQuery({
    ...trpc.latency.stats.queryOptions({ targetId: target.id, fromMs: Math.round(fromMs), toMs: Math.round(toMs) }),
    placeholderData: keepPreviousData,
  });
  const numbers: WindowNumbers | null = stats.data
    ? {
        sent: stats.data.summary.sent,
        n: stats.data.summary.n,
        loss: stats.data.summary.loss,
        min: stats.data.summary.min,
        p50: stats.data.summary.p50,
        p95: stats.data.summary.p95,
        p99: stats.data.summary.p99,
        max: stats.data.summary.max,
        pdvP99: stats.data.summary.pdv.p99,
        jitter: stats.data.summary.jitterRfc3550,
      }
    : null;
  const source = series ? sourceOf(series.source, series.stepMs) : { label: "…", stepMs: Math.ceil((toMs - fromMs) / 600), detail: "reading" };
  return <ChartGroup {...props} points={series?.points ?? []} numbers={numbers} source={source} live={false} />;
});
