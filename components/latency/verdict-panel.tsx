"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, CardTitle } from "@/components/ui/card";
import { InfoIcon, WarnIcon } from "@/components/ui/icons";
import { ErrorPanel } from "@/components/ui/states";
import { TableHead } from "@/components/ui/table";
import { formatClock, formatDeltaUs, formatPercent, formatRelative, formatUs, formatUsTick } from "@/lib/latency-format";
import type { LatencyView } from "@/lib/latency-view";
import { useTRPC } from "@/lib/trpc/client";
import type { Marker, TargetRow, Verdict } from "./model";

type Settings = Pick<LatencyView, "windowS" | "settleS" | "thresholdUs">;

const LIMITS = {
  windowS: { min: 10, max: 86_400, message: "the window is 10 s to 1 day" },
  settleS: { min: 0, max: 3600, message: "the settle time is 0 s to 1 h" },
  thresholdUs: { min: 1, max: 60_000_000, message: "the threshold is 1 µs to 60 s" },
} as const;

/**
 * The before/after verdict around the picked change, for each charted target: windows [t − W, t) and
 * [t + settle, t + settle + W), compared by the server (deltas, bootstrap intervals, Mann-Whitney, Hodges-Lehmann).
 */
export function VerdictPanel({
  markerKey,
  marker,
  targets,
  settings,
  onSettings,
  onClose,
}: {
  markerKey: string;
  marker: Marker | null;
  targets: TargetRow[];
  settings: Settings;
  onSettings: (s: Partial<Settings>) => void;
  onClose: () => void;
}) {
  return (
    <Card data-testid="verdict" aria-labelledby="verdict-title">
      <CardHeader>
        <CardTitle id="verdict-title">Before / after</CardTitle>
        {marker ? (
          <span className="text-sm text-slate-700">
            <span className="font-mono text-xs text-slate-500">{formatClock(marker.atMs)}</span> {marker.title}
          </span>
        ) : null}
        <Button size="sm" variant="ghost" className="ml-auto" onClick={onClose}>
          Close
        </Button>
      </CardHeader>
      <CardBody className="space-y-4">
        <SettingsForm settings={settings} onSettings={onSettings} />
        {!marker ? (
          <p data-testid="verdict-no-marker" className="text-slate-600">
            The change <span className="font-mono">{markerKey}</span> is not in the visible range. Widen the range (or pick Live) to judge it, or pick a change
            from the list.
          </p>
        ) : targets.length === 0 ? (
          <p className="text-slate-600">Tick a target above to judge this change on it.</p>
        ) : (
          targets.map((t) => <TargetVerdict key={t.id} target={t} marker={marker} settings={settings} />)
        )}
      </CardBody>
    </Card>
  );
}

function SettingsForm({ settings, onSettings }: { settings: Settings; onSettings: (s: Partial<Settings>) => void }) {
  const [text, setText] = useState({ windowS: String(settings.windowS), settleS: String(settings.settleS), thresholdUs: String(settings.thresholdUs) });
  // Back/forward or a link changes the URL: the inputs follow it (adjusted while rendering, not in an effect).
  const [seen, setSeen] = useState(settings);
  if (!Object.is(seen.windowS, settings.windowS) || !Object.is(seen.settleS, settings.settleS) || !Object.is(seen.thresholdUs, settings.thresholdUs)) {
    setSeen(settings);
    setText({ windowS: String(settings.windowS), settleS: String(settings.settleS), thresholdUs: String(settings.thresholdUs) });
  }
  const problem = (k: keyof Settings, raw: string) => {
    const limit = LIMITS[k];
    if (!/^\d+$/.test(raw.trim())) return `${limit.message}, in whole numbers`;
    const n = Number(raw);
    return n < limit.min || n > limit.max ? limit.message : null;
  };
  const field = (k: keyof Settings, label: string) => {
    const error = problem(k, text[k]);
    return (
      <label className="flex flex-col text-xs text-slate-600">
        {label}
        <input
          className="h-8 w-28 rounded-md border border-slate-300 px-2 font-mono text-sm aria-invalid:border-red-500"
          inputMode="numeric"
          value={text[k]}
          aria-invalid={error ? true : undefined}
          onChange={(e) => {
            const raw = e.target.value;
            setText((t) => ({ ...t, [k]: raw }));
            // Only a valid value reaches the URL (and the server); an invalid one is named under the field.
            if (!problem(k, raw)) onSettings({ [k]: Number(raw) });
          }}
        />
        {error ? (
          <span role="alert" data-testid={`verdict-error-${k}`} className="mt-0.5 text-xs text-red-800">
            {error}
          </span>
        ) : null}
      </label>
    );
  };
  return (
    <div className="flex flex-wrap items-start gap-3">
      {field("windowS", "Window (s)")}
      {field("settleS", "Settle (s)")}
      {field("thresholdUs", "Threshold (µs)")}
      <p className="max-w-md text-xs text-slate-500">
        Before: the window up to the change. After: the same length, starting once the settle time (link-up, ARP) has passed. The threshold is the T of
        &quot;share of probes answered within T&quot;.
      </p>
    </div>
  );
}

const METRIC_LABEL: Record<Verdict["deltas"][number]["metric"], string> = {
  p50: "p50",
  p95: "p95",
  p99: "p99",
  pdvP99: "PDV p99",
  jitter: "J (RFC 3550)",
  loss: "loss",
  fractionUnder: "under threshold",
};
const isShare = (metric: string) => metric === "loss" || metric === "fractionUnder";

function formatP(p: number): string {
  if (p < 0.0001) return "< 0.0001";
  return p < 0.01 ? p.toExponential(1) : p.toFixed(p < 0.1 ? 3 : 2);
}

function TargetVerdict({ target, marker, settings }: { target: TargetRow; marker: Marker; settings: Settings }) {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.latency.compare.queryOptions({
      targetId: target.id,
      atMs: Math.round(marker.atMs),
      windowMs: settings.windowS * 1000,
      settleMs: settings.settleS * 1000,
      thresholdUs: settings.thresholdUs,
    }),
    placeholderData: keepPreviousData,
    // While the after window fills, the verdict is re-read every 2 s until it is whole.
    refetchInterval: (query) => (query.state.data?.ok && query.state.data.pending ? 2000 : false),
  });
  const header = (
    <h3 className="flex items-center gap-2 font-mono text-sm font-semibold text-slate-900">
      {target.name}
      {target.kind === "tcp" ? <Badge tone="amber">coarse: Node timing, ms-level</Badge> : null}
    </h3>
  );
  if (q.isPending)
    return (
      <section data-testid={`verdict-${target.id}`} className="space-y-1">
        {header}
        <p role="status" className="text-slate-500">
          Comparing the windows…
        </p>
      </section>
    );
  if (q.isError)
    return (
      <section data-testid={`verdict-${target.id}`}>
        {header}
        <ErrorPanel error={q.error} what="the comparison" title="Could not compare the windows" />
      </section>
    );
  const out = q.data;
  if (!out.ok)
    return (
      <section data-testid={`verdict-${target.id}`} className="space-y-1">
        {header}
        <p data-testid="verdict-reason" role="alert" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-amber-950">
          No verdict: {out.reason}
        </p>
      </section>
    );
  const v = out.verdict;
  const b = v.before.summary;
  const a = v.after.summary;
  return (
    <section data-testid={`verdict-${target.id}`} data-pending={out.pending} className="space-y-3 border-t border-slate-100 pt-3 first:border-t-0 first:pt-0">
      {header}
      <div className="flex flex-wrap items-center gap-2">
        <p data-testid="verdict-headline" className="text-lg font-semibold text-slate-900">
          {v.headline}
        </p>
        <Badge tone={v.significant ? "green" : "neutral"}>{v.significant ? "significant" : "not significant"}</Badge>
      </div>
      {out.pending ? (
        <p data-testid="verdict-pending" role="status" className="text-sm text-blue-900">
          After window still filling: it ends at {formatClock(out.windows.after.toMs)}; the verdict is re-read every 2 s until then.
        </p>
      ) : null}
      <p className="text-xs text-slate-600">
        before {formatClock(out.windows.before.fromMs)} – {formatClock(out.windows.before.toMs)} · after {formatClock(out.windows.after.fromMs)} –{" "}
        {formatClock(out.windows.after.toMs)}
      </p>
      <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
        <div className="space-y-3">
          <table data-testid="verdict-table" className="w-full text-left text-sm tabular-nums" aria-label={`Before and after on ${target.name}`}>
            <TableHead columns={["", "Before", "After", "Δ", "Relative"]} cell="py-1 pr-3" />
            <tbody>
              <tr className="border-t border-slate-100">
                <td className="py-1 pr-3 text-slate-600">N (replies of sent)</td>
                <td className="py-1 pr-3" data-testid="verdict-n-before" data-n={b.n}>
                  {b.n.toLocaleString("en-US")} of {b.sent.toLocaleString("en-US")}
                </td>
                <td className="py-1 pr-3" data-testid="verdict-n-after" data-n={a.n}>
                  {a.n.toLocaleString("en-US")} of {a.sent.toLocaleString("en-US")}
                </td>
                <td />
                <td />
              </tr>
              {v.deltas.map((d) => (
                <tr key={d.metric} data-testid={`verdict-row-${d.metric}`} className="border-t border-slate-100">
                  <td className="py-1 pr-3 text-slate-600">
                    {METRIC_LABEL[d.metric]}
                    {d.metric === "fractionUnder" ? ` ${formatUs(v.settings.thresholdUs)}` : ""}
                  </td>
                  <td className="py-1 pr-3">{isShare(d.metric) ? formatPercent(d.before) : formatUs(d.before)}</td>
                  <td className="py-1 pr-3">{isShare(d.metric) ? formatPercent(d.after) : formatUs(d.after)}</td>
                  <td className="py-1 pr-3">
                    {d.delta === null
                      ? "—"
                      : isShare(d.metric)
                        ? `${d.delta > 0 ? "+" : d.delta < 0 ? "−" : ""}${Math.abs(d.delta * 100).toFixed(1)} pp`
                        : formatDeltaUs(d.delta)}
                  </td>
                  <td className="py-1 pr-3">{formatRelative(d.relative)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
            <dt className="text-slate-600">95 % intervals (bootstrap)</dt>
            <dd data-testid="verdict-intervals">
              {v.intervals ? (
                <>
                  Δp50 [{formatDeltaUs(v.intervals.p50.low)}, {formatDeltaUs(v.intervals.p50.high)}] · Δp99 [{formatDeltaUs(v.intervals.p99.low)},{" "}
                  {formatDeltaUs(v.intervals.p99.high)}]
                </>
              ) : (
                "— (a side has no replies)"
              )}
            </dd>
            <dt className="text-slate-600">Mann-Whitney U</dt>
            <dd data-testid="verdict-mann-whitney">
              {v.mannWhitney ? (
                <>
                  p {formatP(v.mannWhitney.pValue)}, after {v.mannWhitney.direction === "same" ? "the same" : v.mannWhitney.direction}; P(after &lt; before){" "}
                  {v.mannWhitney.effectSize.toFixed(2)}
                </>
              ) : (
                "—"
              )}
            </dd>
            <dt className="text-slate-600">Hodges-Lehmann shift</dt>
            <dd data-testid="verdict-hodges-lehmann">
              {v.hodgesLehmann ? (
                <>
                  {formatDeltaUs(v.hodgesLehmann.shiftUs)}
                  {v.hodgesLehmann.exact ? "" : " (on an evenly spaced subsample)"}
                </>
              ) : (
                "—"
              )}
            </dd>
          </dl>
          {v.warnings.length ? (
            <ul data-testid="verdict-warnings" className="space-y-1 text-sm" aria-label="Warnings">
              {v.warnings.map((w, i) => (
                <li
                  key={`${w.code}-${w.side ?? "both"}-${i}`}
                  data-code={w.code}
                  className={
                    w.level === "warning"
                      ? "flex items-start gap-2 rounded-md border border-amber-300 bg-amber-50 px-2 py-1 text-amber-950"
                      : "flex items-start gap-2 px-2 py-0.5 text-slate-600"
                  }
                >
                  {w.level === "warning" ? <WarnIcon className="mt-0.5 shrink-0" /> : <InfoIcon className="mt-0.5 shrink-0" />}
                  <span>{w.message}</span>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
        <CdfChart verdict={v} />
      </div>
    </section>
  );
}

/** Both windows' RTT distributions, overlaid: a curve further left is faster; where it reaches 1 is the max. */
function CdfChart({ verdict }: { verdict: Verdict }) {
  const clamp = (p: { rttUs: number; fraction: number }) => ({ rttUs: Math.max(1, p.rttUs), fraction: p.fraction });
  const before = verdict.cdf.before.map(clamp);
  const after = verdict.cdf.after.map(clamp);
  const all = [...before, ...after].map((p) => p.rttUs);
  if (all.length === 0) return <p className="text-sm text-slate-500">No replies on either side: nothing to plot.</p>;
  const lo = 10 ** Math.floor(Math.log10(Math.min(...all)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all) * 1.0001));
  // 1-2-5 ticks per decade: two bare decades say little about where 40 µs and 55 µs sit.
  const ticks: number[] = [];
  for (let decade = lo; decade <= hi; decade *= 10) for (const m of [1, 2, 5]) if (m * decade <= hi) ticks.push(m * decade);
  return (
    <figure data-testid="verdict-cdf" aria-label="RTT distribution before and after (CDF)">
      <div style={{ height: 260 }}>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart margin={{ top: 6, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid stroke="#e2e8f0" />
            <XAxis
              dataKey="rttUs"
              type="number"
              scale="log"
              domain={[lo, hi]}
              ticks={ticks}
              allowDataOverflow
              tickFormatter={formatUsTick}
              tick={{ fontSize: 11 }}
            />
            <YAxis
              dataKey="fraction"
              type="number"
              domain={[0, 1]}
              ticks={[0, 0.25, 0.5, 0.75, 0.9, 1]}
              tickFormatter={(x: number) => `${Math.round(x * 100)} %`}
              width={56}
              tick={{ fontSize: 11 }}
            />
            <Tooltip
              isAnimationActive={false}
              formatter={(value, name) => [`${Math.round(Number(value) * 1000) / 10} %`, name]}
              labelFormatter={(label) => `≤ ${formatUs(Number(label))}`}
            />
            <Legend verticalAlign="top" height={20} iconSize={10} wrapperStyle={{ fontSize: 11 }} />
            <ReferenceLine
              x={Math.max(1, verdict.settings.thresholdUs)}
              stroke="#94a3b8"
              strokeDasharray="3 3"
              label={{ value: "threshold", fontSize: 10, fill: "#64748b", position: "insideTopRight" }}
            />
            <Line
              data={before}
              dataKey="fraction"
              name={`before (N ${verdict.before.summary.n.toLocaleString("en-US")})`}
              type="stepAfter"
              stroke="#94a3b8"
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
            <Line
              data={after}
              dataKey="fraction"
              name={`after (N ${verdict.after.summary.n.toLocaleString("en-US")})`}
              type="stepAfter"
              stroke="#1d4ed8"
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="text-xs text-slate-500">Share of replies at or under each RTT (log scale); further left is faster.</figcaption>
    </figure>
  );
}
