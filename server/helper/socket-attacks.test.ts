/**
 * Attacks on the privileged helper's socket, as a compromised web tier would make them: a real UNIX socket, the
 * helper's own applier over a simulated kernel (the demo "server" host), and a client that runs as another user
 * (uid 65534, nobody, in the socket's group) sending hand-crafted JSON. Each plan below passes the allow-list (its
 * shape is fine); the helper must refuse it from its own scan, write nothing, and journal the refusal with the
 * socket peer's uid, whatever the request claims.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHostDatabase } from "@/server/db/database";
import { Journal } from "@/server/db/journal";
import { simulatedHost } from "@/server/plans/testing";
import { LocalApplier } from "./applier";
import { MAX_CONNECTIONS, startHelperServer } from "./server";

const NOBODY = 65534;
const work = mkdtempSync(join(tmpdir(), "passdeck-helper-attack-"));
chmodSync(work, 0o755); // nobody must reach the socket inside
const socketPath = join(work, "helper.sock");
const host = simulatedHost(work);
const journal = new Journal(openHostDatabase(join(work, "data")));
let server: Server;

const MGMT = "0000:18:00.0"; // eno1 in vmbr0 with the default route: host-critical
const PF0 = "0000:3b:00.0"; // an SR-IOV PF with 4 VFs
const ENO2 = "0000:18:00.1";

beforeAll(async () => {
  const applier = new LocalApplier({ mode: "host", executor: host.executor, journal: () => journal, inventory: host.inventory });
  server = await startHelperServer({ socketPath, gid: NOBODY, applier, procRoot: "/proc", log: () => {} });
});
afterAll(() => {
  server.close();
  rmSync(work, { recursive: true, force: true });
});

/** Sends one raw request line as uid 65534 (a process of its own, so the peer credentials are really another user's). */
function sendAsNobody(request: unknown): Promise<{ lines: Record<string, unknown>[]; pid: number }> {
  const script = `
    let request = ""; process.stdin.on("data", (d) => (request += d));
    process.stdin.on("end", () => {
      const c = require("node:net").createConnection(${JSON.stringify(socketPath)});
      c.on("connect", () => c.write(request + "\\n"));
      c.on("error", (e) => console.log(JSON.stringify({ connectError: e.code })));
      let out = ""; c.on("data", (d) => (out += d)); c.on("end", () => process.stdout.write(out));
    });`;
  return new Promise((resolve, reject) => {
    const child = spawn("setpriv", [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", process.execPath, "-e", script], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    child.stdin.end(JSON.stringify(request));
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.on("error", reject);
    child.on("close", () =>
      resolve({
        lines: out
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>),
        pid: child.pid!,
      }),
    );
  });
}

const plan = (id: string, title: string, steps: unknown[]) => ({
  id,
  title,
  createdAt: new Date().toISOString(),
  steps: steps.map((step) => ({ step, summary: "x", inverse: null })),
});
const claims = { actor: "admin (192.0.2.7)", origin: "192.0.2.7" };

async function refusedAndJournaled(request: unknown, title: string) {
  const writes = host.kernel.writes().length;
  const ipCalls = JSON.stringify(host.inventory().devices.map((d) => [d.address, d.driver]));
  const { lines, pid } = await sendAsNobody(request);
  expect(lines.at(-1)).toMatchObject({ type: "error" });
  // nothing written, no driver moved
  expect(host.kernel.writes().length).toBe(writes);
  expect(JSON.stringify(host.inventory().devices.map((d) => [d.address, d.driver]))).toBe(ipCalls);
  const entry = journal.list({ limit: 1 })[0]!;
  // what the web tier claimed, and who really asked: the peer's uid and pid from the kernel (the setpriv process
  // execs node, so the pid is the child's)
  expect(entry).toMatchObject({ status: "refused", title, actor: claims.actor, origin: claims.origin, peer: `uid ${NOBODY} (nobody) pid ${pid} node` });
  return { answer: lines.at(-1)!, entry };
}

describe("hand-crafted plans on the helper's socket, from another user", () => {
  it("unbinding a host-critical device (the management NIC with the default route) is refused without the typed override naming it", async () => {
    const { answer, entry } = await refusedAndJournaled(
      { op: "apply", plan: plan("pwn-mgmt", "unbind the management NIC", [{ kind: "unbind-driver", device: MGMT, driver: "igb" }]), meta: claims },
      "unbind the management NIC",
    );
    expect(answer).toMatchObject({ name: "PlanUnsafe", refusals: [{ code: "host-critical", override: "force" }] });
    expect(String((answer.refusals as { reason: string }[])[0]!.reason)).toMatch(
      new RegExp(`^${MGMT} is host-critical \\(.*vmbr0.*\\): the plan must carry the typed override naming it$`),
    );
    expect(entry.problem?.issues?.[0]).toMatch(/^host-critical: /);
    // an override that names another device does not cover it
    await refusedAndJournaled(
      {
        op: "apply",
        plan: plan("pwn-mgmt-2", "unbind the management NIC", [{ kind: "unbind-driver", device: MGMT, driver: "igb" }]),
        meta: claims,
        overrides: { confirm: true, force: [ENO2] },
      },
      "unbind the management NIC",
    );
  });

  it("VF settings through a netdev that is not the named PF's are refused", async () => {
    const { answer } = await refusedAndJournaled(
      {
        op: "apply",
        plan: plan("pwn-netdev", "trust on eno1's VF", [{ kind: "set-vf", pf: PF0, netdev: "eno1", vf: 0, settings: { trust: true, spoofchk: false } }]),
        meta: claims,
      },
      "trust on eno1's VF",
    );
    expect(answer).toMatchObject({ name: "PlanUnsafe", refusals: [{ code: "foreign-netdev" }] });
    expect(String((answer.refusals as { reason: string }[])[0]!.reason)).toMatch(
      new RegExp(`^step 1: the VF setting names eno1, which is not ${PF0}'s interface \\(`),
    );
  });

  it("a plan of 2,000 long waits (holding the executor for days) is refused, and so is one unneeded wait", async () => {
    const waits = Array.from({ length: 2000 }, () => ({ kind: "wait-for", condition: { kind: "vf-count", pf: PF0, count: 4 }, timeoutMs: 300_000 }));
    const started = Date.now();
    const { answer } = await refusedAndJournaled({ op: "apply", plan: plan("pwn-wait", "wait forever", waits), meta: claims }, "wait forever");
    expect(Date.now() - started).toBeLessThan(10_000);
    const codes = (answer.refusals as { code: string; reason: string }[]).map((r) => r.code);
    expect(codes).toContain("wait-too-long");
    expect(codes).toContain("unneeded-wait");
    expect((answer.refusals as { reason: string }[]).at(-1)!.reason).toBe(
      "the plan's waits add up to 10000 min; a plan may wait at most 60 min in all (apply it in smaller plans)",
    );
  });

  it("a plan id applied once is refused the second time (a replay cannot overwrite the dead-man switch's plan)", async () => {
    const ok = plan("replayed-id", "2 VFs on eno2's PF", [
      { kind: "write-attribute", device: PF0, attribute: "sriov_numvfs", value: "0" },
      { kind: "wait-for", condition: { kind: "vf-count", pf: PF0, count: 0 }, timeoutMs: 120_000 },
    ]);
    const first = await sendAsNobody({ op: "apply", plan: ok, meta: claims });
    expect(first.lines.at(-1)).toMatchObject({ type: "done", value: { result: { ok: true } } });
    expect(journal.list({ limit: 1 })[0]).toMatchObject({ status: "applied", planId: "replayed-id", peer: `uid ${NOBODY} (nobody) pid ${first.pid} node` });
    const { answer } = await refusedAndJournaled({ op: "apply", plan: { ...ok, title: "the same id again" }, meta: claims }, "the same id again");
    expect(answer).toMatchObject({ name: "PlanReused", message: "plan replayed-id was applied before: a plan is applied once; review it again for a new one" });
  });

  it("an audit entry the web tier may not write (a plan's) is refused by the protocol", async () => {
    const { lines } = await sendAsNobody({ op: "audit", action: "plan-applied", actor: "admin", source: null, detail: "a plan that never ran" });
    expect(lines.at(-1)).toMatchObject({ type: "error", name: "BadRequest" });
    expect(String(lines.at(-1)!.message)).toMatch(/^malformed request: action: Invalid option/);
  });

  it("the socket holds at most MAX_CONNECTIONS silent clients at once, and answers again once they are gone", async () => {
    const idle = await Promise.all(
      Array.from(
        { length: MAX_CONNECTIONS + 8 },
        () =>
          new Promise<ReturnType<typeof createConnection>>((resolve) => {
            const c = createConnection(socketPath);
            c.on("error", () => {});
            c.on("connect", () => resolve(c));
            setTimeout(() => resolve(c), 2000);
          }),
      ),
    );
    const open = () => server.getConnections.bind(server);
    const count = await new Promise<number>((resolve) => open()((_e, n) => resolve(n)));
    expect(count).toBeLessThanOrEqual(MAX_CONNECTIONS);
    for (const c of idle) c.destroy();
    await expect.poll(() => new Promise<number>((resolve) => open()((_e, n) => resolve(n))), { timeout: 10_000 }).toBe(0);
    const hello = await sendAsNobody({ op: "hello" });
    expect(hello.lines.at(-1)).toMatchObject({ type: "done", value: { peer: `uid ${NOBODY} (nobody) pid ${hello.pid} node` } });
  });
});
