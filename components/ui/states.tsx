"use client";

import { TRPCClientError } from "@trpc/client";
import { CrossIcon } from "./icons";

/** Shown while the first answer from the host is on its way. */
export function Loading({ what }: { what: string }) {
  return (
    <div role="status" aria-live="polite" className="flex items-center gap-2 py-10 text-sm text-slate-500">
      <span className="size-3 animate-pulse rounded-full bg-slate-400" aria-hidden="true" />
      Reading {what}…
    </div>
  );
}

interface HostErrorData {
  hostError?: { kind: string; path: string | null; fix: string | null } | null;
}

/** A failed read (or, with `title`, any failed call), with the path and the fix when the server gave them: never a blank page. */
export function ErrorPanel({ error, what, title }: { error: unknown; what: string; title?: string }) {
  const message = error instanceof Error ? error.message : String(error);
  const data = error instanceof TRPCClientError ? (error.data as HostErrorData | undefined) : undefined;
  const host = data?.hostError ?? null;
  return (
    <div role="alert" className="my-4 rounded-lg border border-red-300 bg-red-50 p-4 text-sm text-red-900">
      <p className="flex items-center gap-2 font-semibold">
        <CrossIcon /> {title ?? `Could not read ${what}`}
      </p>
      <p className="mt-1 break-words">{message}</p>
      {host?.path ? (
        <p className="mt-1">
          File: <code className="font-mono">{host.path}</code>
        </p>
      ) : null}
      {host?.fix ? <p className="mt-1">Fix: {host.fix}</p> : null}
    </div>
  );
}
