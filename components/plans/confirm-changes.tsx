"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { useIsAdmin } from "@/components/auth/session";
import { Button } from "@/components/ui/button";
import { useTRPC, type RouterOutputs } from "@/lib/trpc/client";

type Pending = RouterOutputs["plans"]["pendingConfirmations"]["pending"][number];

/**
 * The dead-man switch's prompt, on every page: "keep these changes?" with the seconds left. Confirming is a new
 * request; if none arrives (the change cut this browser off), the plan is undone when the window closes.
 */
export function PendingConfirmations() {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.plans.pendingConfirmations.queryOptions(), refetchInterval: 5_000, staleTime: 0 });
  // The server's clock decides the deadline; the browser's may be off, so count from the offset at fetch time.
  const offset = query.data ? query.data.serverNowMs - query.dataUpdatedAt : 0;
  if (!query.data || query.data.pending.length === 0) return null;
  return (
    <div className="mx-auto max-w-[1600px] space-y-2 px-4 pt-3">
      {query.data.pending.map((p) => (
        <Prompt key={p.planId} pending={p} clockOffsetMs={offset} />
      ))}
    </div>
  );
}

function Prompt({ pending, clockOffsetMs }: { pending: Pending; clockOffsetMs: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isAdmin = useIsAdmin();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(id);
  }, []);
  const done = () => void queryClient.invalidateQueries();
  const keep = useMutation(trpc.plans.confirm.mutationOptions({ onSuccess: done }));
  const undo = useMutation(trpc.plans.revert.mutationOptions({ onSuccess: done }));
  const left = Math.max(0, Math.ceil((pending.deadlineMs - (now + clockOffsetMs)) / 1000));
  const busy = keep.isPending || undo.isPending;

  return (
    <section
      role="alertdialog"
      aria-label="Keep these changes?"
      data-testid="confirm-changes"
      data-plan={pending.planId}
      className="rounded-md border-2 border-amber-500 bg-amber-50 px-4 py-3 text-sm text-amber-950"
    >
      <h2 className="font-semibold">
        Keep these changes?{" "}
        <span data-testid="confirm-seconds-left" className="tabular-nums">
          {left}
        </span>{" "}
        s left
      </h2>
      <p className="mt-1">
        <Link href="/journal" className="underline">
          Journal #{pending.entryId}
        </Link>
        : {pending.title}, applied by {pending.actor}. It touches networking, so it is undone by itself unless confirmed within {pending.windowMs / 1000} s (if
        it cut your connection, you need do nothing):
      </p>
      <ul className="mt-1 list-disc pl-5" data-testid="confirm-reasons">
        {pending.reasons.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
      {isAdmin ? (
        <div className="mt-2 flex gap-2">
          <Button variant="default" disabled={busy || left === 0} onClick={() => keep.mutate({ planId: pending.planId })}>
            Keep changes
          </Button>
          <Button disabled={busy || left === 0} onClick={() => undo.mutate({ planId: pending.planId })}>
            Undo now
          </Button>
        </div>
      ) : (
        <p className="mt-2">An admin can keep or undo it.</p>
      )}
      {left === 0 ? <p className="mt-2 font-medium">The window has closed: the plan is being undone.</p> : null}
      {keep.error ? (
        <p role="alert" className="mt-2 text-red-800">
          {keep.error.message}
        </p>
      ) : null}
      {undo.error ? (
        <p role="alert" className="mt-2 text-red-800">
          {undo.error.message}
        </p>
      ) : null}
    </section>
  );
}
