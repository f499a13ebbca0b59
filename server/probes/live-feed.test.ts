/** The live feed's bounds: subscriptions per caller and in all, the backlog in pages, a slow reader dropped, cleanup. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openWebDatabase } from "@/server/db/database";
import { LiveFeed, LiveReaderTooSlow, LiveSubscriptionLimit, type LiveSample } from "./live-feed";
import { openProbeStores } from "./stores";
import type { SampleRow } from "./sample-store";

const work = mkdtempSync(join(tmpdir(), "passdeck-live-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirs = 0;

const NOW = Date.now();

function fed(limits: ConstructorParameters<typeof LiveFeed>[2] = {}) {
  const store = openProbeStores(openWebDatabase(join(work, `d${dirs++}`)));
  const target = store.targets.add({ address: "10.0.0.7", intervalMs: 100 });
  let seq = 0;
  /** `n` samples sent just now, 1 ms apart */
  const add = (n: number) =>
    store.samples.insert(
      Array.from({ length: n }, (): SampleRow => ({
        targetId: target.id,
        seq: ++seq,
        sentUs: (NOW - 60_000 + seq) * 1000,
        rttUs: 50,
        lagUs: 0,
        intervalMs: 100,
      })),
    );
  // polls every 5 ms: the tests wait for conditions, not for the clock
  const feed = new LiveFeed(store, 5, limits);
  return { store, target, add, feed };
}

const until = async (ok: () => boolean) => {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(ok()).toBe(true);
};

describe("LiveFeed caps", () => {
  it("refuses a caller's subscription over its share and any over the total, at once, with the reason", async () => {
    const { feed, target } = fed({ perCaller: 2, total: 3 });
    const a1 = feed.subscribe([target.id], NOW, { caller: "a (session)" });
    const a2 = feed.subscribe([target.id], NOW, { caller: "a (session)" });
    expect(() => feed.subscribe([target.id], NOW, { caller: "a (session)" })).toThrow(
      new LiveSubscriptionLimit("a (session) has 2 live views open, the most one caller may: close a tab or chart and try again"),
    );
    const b1 = feed.subscribe([target.id], NOW, { caller: "b (token)" });
    expect(() => feed.subscribe([target.id], NOW, { caller: "c (session)" })).toThrow(
      new LiveSubscriptionLimit("the server has 3 live views open, the most it serves at once: try again later"),
    );
    expect([feed.subscriptionCount, feed.listenerCount]).toEqual([3, 3]);
    // closing one frees its slot for its caller
    await a1.return!();
    expect(feed.subscriptionCount).toBe(2);
    const a3 = feed.subscribe([target.id], NOW, { caller: "a (session)" });
    for (const s of [a2, b1, a3]) await s.return!();
    expect([feed.subscriptionCount, feed.listenerCount]).toEqual([0, 0]);
  });

  it("an aborted request ends its subscription even while it waits for samples", async () => {
    const { feed, target } = fed();
    const stop = new AbortController();
    const sub = feed.subscribe([target.id], NOW, { caller: "a (session)", signal: stop.signal });
    const waiting = sub.next(); // no backlog, no samples: waits
    expect(feed.subscriptionCount).toBe(1);
    stop.abort();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect([feed.subscriptionCount, feed.listenerCount]).toEqual([0, 0]);
  });
});

describe("LiveFeed streams", () => {
  it("sends the newest backlogPerTarget samples a page at a time, then new ones, each once, perMessage at most", async () => {
    const { feed, target, add } = fed({ backlogPerTarget: 250, perMessage: 100 });
    add(300);
    const sub = feed.subscribe([target.id], NOW - 120_000, { caller: "a (session)" });
    add(5); // after the subscription started: live, not backlog
    const got: LiveSample[][] = [];
    for (let i = 0; i < 4; i++) got.push((await sub.next()).value as LiveSample[]);
    expect(got.map((b) => b.length)).toEqual([100, 100, 50, 5]);
    add(230);
    await until(() => feed.listenerCount === 1 && (sub as unknown as { queued: number }).queued === 230);
    for (let i = 0; i < 3; i++) got.push((await sub.next()).value as LiveSample[]);
    expect(got.map((b) => b.length)).toEqual([100, 100, 50, 5, 100, 100, 30]);
    expect(got.flat().map((s) => s.seq)).toEqual(Array.from({ length: 485 }, (_, i) => 51 + i));
    await sub.return!();
  });

  it("drops a subscriber that does not read once maxQueued samples wait, frees them, and ends its stream with the reason", async () => {
    const { feed, target, add } = fed({ maxQueued: 1_000 });
    const slow = feed.subscribe([target.id], NOW, { caller: "a (session)" });
    const reader = feed.subscribe([target.id], NOW, { caller: "b (session)" });
    const got: LiveSample[] = [];
    const reading = (async () => {
      for await (const batch of reader) got.push(...batch);
    })();
    for (let i = 0; i < 6; i++) {
      add(300);
      await until(() => got.length >= 300 * (i + 1));
    }
    // 1,800 samples went by: the one that never read is dropped, the one that reads is not
    expect([feed.droppedCount, feed.listenerCount]).toEqual([1, 1]);
    await expect(slow.next()).rejects.toThrow(LiveReaderTooSlow);
    await expect(slow.next()).resolves.toEqual({ done: true, value: undefined });
    expect(feed.subscriptionCount).toBe(1);
    await reader.return!();
    await reading;
    expect([feed.subscriptionCount, feed.listenerCount]).toEqual([0, 0]);
  });
});
