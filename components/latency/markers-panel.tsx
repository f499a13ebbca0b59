"use client";

import { AdminOnly, useIsAdmin } from "@/components/auth/session";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, CardTitle } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { formatClock } from "@/lib/latency-format";
import { useTRPC } from "@/lib/trpc/client";
import { markerColor, type Marker } from "./model";

/**
 * The changes in the visible range: plans applied on this host (from the journal) and notes. Picking one judges it:
 * the verdict panel compares the windows before and after it.
 */
export function MarkersPanel({ markers, selected, onPick }: { markers: Marker[]; selected: string | null; onPick: (key: string) => void }) {
  return (
    <Card aria-labelledby="markers-title" data-testid="markers">
      <CardHeader>
        <CardTitle id="markers-title">Changes in this range</CardTitle>
        <span className="text-xs text-slate-500">plans applied on this host and notes; pick one to compare before and after it</span>
      </CardHeader>
      <CardBody className="space-y-3">
        {markers.length === 0 ? (
          <p data-testid="markers-empty" className="text-slate-600">
            No changes in this range. Plans applied from the wizard or the CLI appear here by themselves; add a note for anything else you changed (a BIOS
            setting, IRQ affinity, a guest driver) and then judge it.
          </p>
        ) : (
          <ol className="space-y-1" aria-label="Changes">
            {markers.map((m) => (
              <MarkerItem key={m.key} marker={m} selected={selected === m.key} onPick={() => onPick(m.key)} />
            ))}
          </ol>
        )}
        <AdminOnly>
          <AddNoteForm />
          <IperfForm />
        </AdminOnly>
      </CardBody>
    </Card>
  );
}

function MarkerItem({ marker: m, selected, onPick }: { marker: Marker; selected: boolean; onPick: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(trpc.markers.removeNote.mutationOptions({ onSuccess: () => void queryClient.invalidateQueries(trpc.markers.list.pathFilter()) }));
  const isAdmin = useIsAdmin();
  return (
    <li className="flex items-center gap-2">
      <button
        type="button"
        data-testid={`marker-${m.key}`}
        aria-pressed={selected}
        onClick={onPick}
        className={cn(
          "flex min-w-0 flex-1 cursor-pointer items-center gap-2 rounded-md border px-2 py-1 text-left hover:bg-slate-50",
          selected ? "border-slate-900 bg-slate-50" : "border-slate-200",
        )}
      >
        <span aria-hidden="true" className="h-4 w-1 shrink-0 rounded" style={{ background: markerColor(m) }} />
        <time className="font-mono text-xs text-slate-600" dateTime={new Date(m.atMs).toISOString()}>
          {formatClock(m.atMs)}
        </time>
        <Badge tone={m.kind === "note" ? "amber" : m.ok ? "blue" : "red"}>{m.kind === "note" ? "note" : m.ok ? "plan" : "plan failed"}</Badge>
        <span className="truncate text-sm text-slate-900">{m.title}</span>
        {selected ? <span className="ml-auto text-xs text-slate-500">judging ↓</span> : null}
      </button>
      {m.kind === "note" && isAdmin ? (
        <Button size="sm" variant="ghost" aria-label={`Remove the note ${m.title}`} onClick={() => remove.mutate({ id: m.id })} disabled={remove.isPending}>
          Remove
        </Button>
      ) : null}
    </li>
  );
}

/** `datetime-local` text ("2026-11-25T10:04:05") as ms in the browser's time zone; null when empty or malformed. */
function localTimeMs(text: string): number | null {
  if (!text) return null;
  const ms = new Date(text).getTime();
  return Number.isFinite(ms) ? ms : null;
}

function AddNoteForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [text, setText] = useState("");
  const [at, setAt] = useState("");
  const [error, setError] = useState<string | null>(null);
  const annotate = useMutation(
    trpc.markers.annotate.mutationOptions({
      onSuccess: () => {
        setText("");
        setAt("");
        setError(null);
        void queryClient.invalidateQueries(trpc.markers.list.pathFilter());
      },
      onError: (err) => setError(err.message),
    }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const note = text.trim();
    if (!note) return setError("the note is empty: say what changed");
    if (note.length > 200) return setError("a note is at most 200 characters");
    const atMs = at ? localTimeMs(at) : Date.now();
    if (atMs === null) return setError("the time is not a valid date and time");
    setError(null);
    annotate.mutate({ atMs: Math.round(atMs), text: note });
  };
  const input = "h-8 rounded-md border border-slate-300 px-2 text-sm";
  return (
    <form
      onSubmit={submit}
      noValidate
      aria-label="Add note"
      className="flex flex-wrap items-start gap-3 rounded-md border border-dashed border-slate-300 px-3 py-2"
    >
      <label className="flex min-w-64 flex-1 flex-col text-xs text-slate-600">
        Note
        <input className={input} value={text} onChange={(e) => setText(e.target.value)} placeholder="moved vm1 to VF 0000:41:00.2" maxLength={240} />
        {error ? (
          <span role="alert" data-testid="note-error" className="mt-0.5 text-xs text-red-800">
            {error}
          </span>
        ) : null}
      </label>
      <label className="flex flex-col text-xs text-slate-600">
        At (empty: now)
        <input className={input} type="datetime-local" step={1} value={at} onChange={(e) => setAt(e.target.value)} />
      </label>
      <Button type="submit" className="mt-4" disabled={annotate.isPending}>
        {annotate.isPending ? "Adding…" : "Add note"}
      </Button>
    </form>
  );
}

/**
 * iperf3 against a server the user runs (`iperf3 -s`): UDP with -R reports the RFC 3550 jitter the client received,
 * TCP the rate and retransmits. The result is a note at the run's start, beside the latency of the same period.
 */
function IperfForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [server, setServer] = useState("");
  const [protocol, setProtocol] = useState<"udp" | "tcp">("udp");
  const [seconds, setSeconds] = useState("10");
  const [error, setError] = useState<string | null>(null);
  const run = useMutation(
    trpc.latency.iperf.mutationOptions({
      onSuccess: () => {
        setError(null);
        void queryClient.invalidateQueries(trpc.markers.list.pathFilter());
      },
      onError: (err) => setError(err.message),
    }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!server.trim()) return setError("name the host running iperf3 -s");
    if (!/^\d+$/.test(seconds) || Number(seconds) < 1 || Number(seconds) > 60) return setError("an iperf3 run lasts 1–60 s");
    setError(null);
    run.mutate({ server: server.trim(), protocol, seconds: Number(seconds) });
  };
  const input = "h-8 rounded-md border border-slate-300 px-2 text-sm";
  return (
    <form
      onSubmit={submit}
      noValidate
      aria-label="Run iperf3"
      className="flex flex-wrap items-start gap-3 rounded-md border border-dashed border-slate-300 px-3 py-2"
    >
      <label className="flex min-w-48 flex-col text-xs text-slate-600">
        iperf3 server (runs iperf3 -s)
        <input className={cn(input, "font-mono")} value={server} onChange={(e) => setServer(e.target.value)} placeholder="10.0.0.42" />
        {error ? (
          <span role="alert" data-testid="iperf-error" className="mt-0.5 text-xs text-red-800">
            {error}
          </span>
        ) : null}
      </label>
      <label className="flex flex-col text-xs text-slate-600">
        Test
        <select className={input} value={protocol} onChange={(e) => setProtocol(e.target.value as "udp" | "tcp")}>
          <option value="udp">UDP, reverse (jitter, loss)</option>
          <option value="tcp">TCP (rate, retransmits)</option>
        </select>
      </label>
      <label className="flex flex-col text-xs text-slate-600">
        Seconds
        <input className={cn(input, "w-20 font-mono")} inputMode="numeric" value={seconds} onChange={(e) => setSeconds(e.target.value)} />
      </label>
      <Button type="submit" className="mt-4" disabled={run.isPending}>
        {run.isPending ? "Running…" : "Run iperf3"}
      </Button>
      {run.data ? (
        <p data-testid="iperf-result" className="mt-5 text-xs text-slate-700">
          {run.data.note.text}
        </p>
      ) : null}
    </form>
  );
}
