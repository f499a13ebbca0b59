/** The inventory's shared readings, and the older ones a page's first screen may use. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { writeScenarioByName } from "@/server/simulator/catalog";
import { InventoryService } from "./service";

const work = mkdtempSync(join(tmpdir(), "passdeck-inv-service-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const roots = { ...writeScenarioByName("desktop", join(work, "desktop")), demo: "desktop" };

describe("InventoryService", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["Date"], now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it("shares one reading for 2 s, then reads again", () => {
    const inv = new InventoryService(roots);
    const first = inv.get();
    vi.advanceTimersByTime(1_999);
    expect(inv.get()).toBe(first);
    vi.advanceTimersByTime(1);
    expect(inv.get()).not.toBe(first);
  });

  it("serves a page's first screen a reading up to its age, and says when it was past 2 s", () => {
    const inv = new InventoryService(roots);
    const older = vi.fn();
    const recent = inv.recent(60_000, older);
    const first = inv.get();
    vi.advanceTimersByTime(1_000);
    expect(recent.get()).toBe(first);
    expect(older).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30_000);
    expect(recent.get()).toBe(first);
    expect(older).toHaveBeenCalledTimes(1);
    expect(recent.demo).toBe("desktop");
    // past its age, or asked for a fresh one, it reads the host, and the service keeps that reading
    vi.advanceTimersByTime(29_000);
    const next = recent.get();
    expect(next).not.toBe(first);
    expect(inv.get()).toBe(next);
    expect(recent.get({ fresh: true })).not.toBe(next);
    expect(older).toHaveBeenCalledTimes(1);
  });

  it("reads the host for a first screen when there is no reading yet", () => {
    const inv = new InventoryService(roots);
    const older = vi.fn();
    const snap = inv.recent(60_000, older).get();
    expect(inv.get()).toBe(snap);
    expect(older).not.toHaveBeenCalled();
  });
});
