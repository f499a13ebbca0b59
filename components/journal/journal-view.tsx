"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { JournalStatus, JournalSummary } from "@/server/db/journal";
import { useTRPC } from "@/lib/trpc/client";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { ErrorPanel, Loading } from "@/components/ui/states";

const STATUS: Record<JournalStatus, { label: string; tone: BadgeTone }> = {
  running: { label: "running", tone: "blue" },
  applied: { label: "applied", tone: "green" },
  "failed-rolled-back": { label: "failed, rolled back", tone: "amber" },
  "failed-rollback-incomplete": { label: "failed, rollback incomplete", tone: "red" },
  interrupted: { label: "interrupted", tone: "red" },
  refused: { label: "refused", tone: "neutral" },
};

/** Every plan applied on this host, newest first: who, when, what, and each step's outcome. */
export function JournalView() {
  const trpc = useTRPC();
  const list = useQuery(trpc.journal.list.queryOptions({ limit: 100 }));
  const [open, setOpen] = useState<number | null>(null);
  if (list.isPending) return <Loading what="the journal" />;
  if (list.isError) return <ErrorPanel error={list.error} what="the journal" />;
  const { available, reason, entries } = list.data;
  return (
    <section className="mx-auto max-w-6xl" aria-labelledby="journal-title">
      <h1 id="journal-title" className="text-xl font-semibold text-slate-900">
        Journal
      </h1>
      <p className="mt-1 text-sm text-slate-600">Every plan applied on this host, from the dashboard or the CLI, with each step and its outcome.</p>
      {!available ? (
        <p role="alert" data-testid="journal-unavailable" className="mt-4 rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900">
          The journal cannot be read: {reason}
        </p>
      ) : entries.length === 0 ? (
        <p data-testid="journal-empty" className="mt-4 text-sm text-slate-500">
          Nothing has been applied on this host yet.
        </p>
      ) : (
        <ol className="mt-4 space-y-2" aria-label="Journal entries">
          {entries.map((e) => (
            <JournalRow key={e.id} entry={e} open={open === e.id} onToggle={() => setOpen(open === e.id ? null : e.id)} />
          ))}
        </ol>
      )}
    </section>
  );
}

function JournalRow({ entry: e, open, onToggle }: { entry: JournalSummary; open: boolean; onToggle: () => void }) {
  const s = STATUS[e.status];
  return (
    <li data-testid={`journal-entry-${e.id}`} className="rounded-lg border border-slate-200 bg-white">
      <button
        type="button"
        onClick={onToggle}
        aria-expanded={open}
        className="flex w-full cursor-pointer flex-wrap items-center gap-x-3 gap-y-1 px-4 py-2 text-left hover:bg-slate-50"
      >
        <span className="font-mono text-xs text-slate-500">#{e.id}</span>
        <time className="font-mono text-xs text-slate-600" dateTime={e.startedAt}>
          {e.startedAt.replace("T", " ").slice(0, 19)}
        </time>
        <span className="text-sm font-medium text-slate-900">{e.title}</span>
        <Badge tone={s.tone} data-testid="journal-status">
          {s.label}
        </Badge>
        <span className="text-xs text-slate-500">
          {e.actor} via {e.source}
          {e.origin ? ` from ${e.origin}` : ""} · {e.counts.done} done
          {e.counts.failed ? `, ${e.counts.failed} failed` : ""}
          {e.counts["rolled-back"] ? `, ${e.counts["rolled-back"]} rolled back` : ""}
        </span>
      </button>
      {open ? <JournalSteps id={e.id} /> : null}
    </li>
  );
}

function JournalSteps({ id }: { id: number }) {
  const trpc = useTRPC();
  const entry = useQuery(trpc.journal.byId.queryOptions({ id }));
  if (entry.isPending) return <p className="px-4 pb-3 text-sm text-slate-500">Reading the steps…</p>;
  if (entry.isError) return <ErrorPanel error={entry.error} what="the steps" />;
  return (
    <ol className="border-t border-slate-100 px-4 py-2 text-sm" aria-label={`Steps of entry ${id}`}>
      {entry.data.problem ? <li className="py-1 text-red-800">{entry.data.problem.message}</li> : null}
      {entry.data.steps.map((st) => (
        <li key={st.seq} data-testid="journal-step" className="py-1">
          <span className="mr-2 inline-block w-28 text-xs font-medium text-slate-600">{st.status}</span>
          <code className="font-mono text-xs text-slate-800">{st.command}</code>
          {st.error ? (
            <div className="mt-1 ml-30 text-xs">
              <p className="text-red-800">{st.error.cause}</p>
              <p className="text-slate-700">fix: {st.error.fix}</p>
              {st.error.kernelLines.map((l) => (
                <p key={l} className="font-mono text-slate-500">
                  kernel: {l}
                </p>
              ))}
            </div>
          ) : null}
        </li>
      ))}
    </ol>
  );
}
