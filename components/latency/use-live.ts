"use client";

import { skipToken } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { LIVE_SPAN_MS, mergeSamples, type RawSample } from "@/lib/latency-live";

export interface LiveSnapshot {
  nowMs: number;
  /** each target's raw samples of the last 5 minutes, ordered by send time */
  samples: ReadonlyMap<number, readonly RawSample[]>;
}

/**
 * The raw samples of the chosen targets, streamed by `latency.live`: the backlog of the last 5 minutes, then each
 * sample as the probe agent stores it. Batches arrive every ~250 ms; the charts take a snapshot once a second, so a
 * busy feed never re-renders Recharts more often than that.
 */
export function useLiveSamples(targetIds: readonly number[], enabled: boolean) {
  const trpc = useTRPC();
  const key = [...targetIds].sort((a, b) => a - b).join(",");
  const buffers = useRef(new Map<number, readonly RawSample[]>());
  // sinceMs is fixed per subscription: a new Date.now() every render would resubscribe every render.
  const input = useMemo(() => (enabled && key ? { targetIds: key.split(",").map(Number), sinceMs: Date.now() - LIVE_SPAN_MS } : null), [enabled, key]);
  const subscription = useSubscription(
    trpc.latency.live.subscriptionOptions(input ?? skipToken, {
      onData: (batch) => {
        const keepFrom = Date.now() - LIVE_SPAN_MS - 10_000; // 10 s more: the first point's trailing band
        const byTarget = new Map<number, RawSample[]>();
        for (const s of batch) {
          let list = byTarget.get(s.targetId);
          if (!list) byTarget.set(s.targetId, (list = []));
          list.push(s);
        }
        for (const [id, incoming] of byTarget) {
          const before = buffers.current.get(id) ?? [];
          const after = mergeSamples(before, incoming, keepFrom);
          if (after !== before) buffers.current.set(id, after);
        }
      },
    }),
  );

  const [snapshot, setSnapshot] = useState<LiveSnapshot | null>(null);
  useEffect(() => {
    if (!enabled) return;
    const wanted = new Set(key.split(",").map(Number));
    for (const id of buffers.current.keys()) if (!wanted.has(id)) buffers.current.delete(id);
    const take = () => setSnapshot({ nowMs: Date.now(), samples: new Map(buffers.current) });
    take();
    // The axis slides every second even without new samples (a stalled target must be seen to stall).
    const id = setInterval(take, 1000);
    return () => clearInterval(id);
  }, [enabled, key]);

  return { snapshot: enabled ? snapshot : null, status: subscription.status, error: subscription.error };
}
