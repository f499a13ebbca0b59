/**
 * The probe agent with real probes on loopback: a real `ping` to 127.0.0.1 keeps producing samples while the other
 * targets fail, each with its decoded reason (a name that does not resolve, a missing ping binary, a closed port).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { openWebDatabase } from "@/server/db/database";
import { ProbeAgent } from "./agent";
import { PingProbe, TcpProbe } from "./runners";
import { openProbeStores } from "./stores";

const work = mkdtempSync(join(tmpdir(), "passdeck-agent-real-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("ProbeAgent with real probes", () => {
  it("keeps probing 127.0.0.1 while broken targets report why", async () => {
    const store = openProbeStores(openWebDatabase(work));
    const good = store.targets.add({ address: "127.0.0.1", intervalMs: 20 });
    const unresolvable = store.targets.add({ address: "nosuch.invalid", intervalMs: 200 });
    const noPing = store.targets.add({ address: "127.0.0.2", intervalMs: 200, label: "no ping binary" });
    const closed = store.targets.add({ address: "127.0.0.1", kind: "tcp", port: 1, intervalMs: 100 });
    const agent = new ProbeAgent(store, {
      log: () => {},
      probeFor: (t, sink, firstSeq) =>
        t.kind === "tcp"
          ? new TcpProbe(t, sink, firstSeq)
          : new PingProbe(t, sink, { firstSeq, ...(t.id === noPing.id ? { command: "/nonexistent/ping" } : {}) }),
    });
    expect(agent.start()).toBe(true);
    try {
      const status = (id: number) => store.targets.statuses().find((s) => s.targetId === id);
      await vi.waitFor(
        () => {
          expect(store.samples.range(good.id, 0, Number.MAX_SAFE_INTEGER).filter((s) => s.rttUs !== null).length).toBeGreaterThanOrEqual(30);
          expect(status(unresolvable.id)?.message).toMatch(/"nosuch\.invalid" does not resolve .*check the name, or give the target's IP address/);
          expect(status(noPing.id)?.message).toMatch(/ping is not installed .*apt install iputils-ping/);
          expect(status(closed.id)?.message).toMatch(/port 1 is closed: the RTT is the time to the host's reset/);
        },
        { timeout: 15_000, interval: 100 },
      );
      expect(status(good.id)).toMatchObject({ state: "probing", message: null });
      expect(status(unresolvable.id)?.state).toBe("failing");
      const samples = store.samples.range(good.id, 0, Number.MAX_SAFE_INTEGER);
      // consecutive sequence numbers, loopback RTTs (well under 10 ms), and the prober's lateness measured
      expect(samples.slice(1).every((s, i) => s.seq === samples[i]!.seq + 1)).toBe(true);
      expect(Math.max(...samples.map((s) => s.rttUs ?? 0))).toBeLessThan(10_000);
      expect(samples.filter((s) => s.lagUs !== null).length).toBeGreaterThan(samples.length / 2);
      // the closed port still measured a round trip (the RST), so it counts as a reply
      expect(store.samples.range(closed.id, 0, Number.MAX_SAFE_INTEGER).some((s) => s.rttUs !== null)).toBe(true);
    } finally {
      agent.stop();
    }
    expect(store.agent.current()).toBeNull();
  });
});
