"use client";

import { useSearchParams } from "next/navigation";
import { useCallback, useEffect, useState } from "react";
import type { RouterOutputs } from "@/lib/trpc/client";
import { formatLatencyView, parseLatencyView, type LatencyView } from "@/lib/latency-view";

export type TargetList = RouterOutputs["targets"]["list"];
export type TargetRow = TargetList["targets"][number];
export type AgentRow = NonNullable<TargetList["agent"]>;
export type Marker = RouterOutputs["markers"]["list"][number];
export type CompareOutcome = RouterOutputs["latency"]["compare"];
export type Verdict = Extract<CompareOutcome, { ok: true }>["verdict"];
export type SeriesList = RouterOutputs["latency"]["series"];

/** The view in the URL, and a setter that writes it there (Back walks through zooms and marker picks). */
export function useLatencyView(): [LatencyView, (change: Partial<LatencyView>, opts?: { replace?: boolean }) => void] {
  const params = useSearchParams();
  const view = parseLatencyView(params);
  const set = useCallback((change: Partial<LatencyView>, opts: { replace?: boolean } = {}) => {
    const current = parseLatencyView(new URLSearchParams(window.location.search));
    const url = formatLatencyView({ ...current, ...change }) || window.location.pathname;
    if (opts.replace) window.history.replaceState(null, "", url);
    else window.history.pushState(null, "", url);
  }, []);
  return [view, set];
}

/** Wall-clock time, moving every `tickMs` (null until mounted, so the server render and hydration agree). */
export function useNow(tickMs: number): number | null {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setNow(Date.now());
    const id = setInterval(() => setNow(Date.now()), tickMs);
    return () => clearInterval(id);
  }, [tickMs]);
  return now;
}

/** Marker colours: an applied plan, a plan that failed or was interrupted, a note. */
export const MARKER_COLOR = { plan: "#1d4ed8", failed: "#dc2626", note: "#b45309" } as const;
export const markerColor = (m: Pick<Marker, "kind" | "ok">) => (m.kind === "note" ? MARKER_COLOR.note : m.ok ? MARKER_COLOR.plan : MARKER_COLOR.failed);

/** What every target's chart group is given by the page: the shared time axis, width and markers. */
export interface TargetChartProps {
  target: TargetRow;
  loading: boolean;
  fromMs: number;
  toMs: number;
  plotWidth: number;
  markers: Marker[];
  selectedMarker: string | null;
  onPickMarker: (key: string) => void;
  onZoom: (fromMs: number, toMs: number) => void;
}
