/**
 * The helper's socket with a simulated kernel behind it: a good plan applies and streams its steps; a hand-crafted
 * plan naming an attribute outside the allow-list, a malformed request and an oversized one are refused, and the
 * refused plan is journaled.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import type { Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHostDatabase } from "@/server/db/database";
import { Journal } from "@/server/db/journal";
import { PlanRejected } from "@/server/executor/allow-list";
import type { StepReport } from "@/server/executor/plan";
import { simulatedHost } from "@/server/plans/testing";
import { LocalApplier } from "./applier";
import { HelperApplier } from "./client";
import { startHelperServer } from "./server";

const work = mkdtempSync(join(tmpdir(), "passdeck-helper-"));
const socketPath = join(work, "helper.sock");
const host = simulatedHost(work);
const journal = new Journal(openHostDatabase(join(work, "data")));
let server: Server;
const client = new HelperApplier(socketPath);
const meta = { actor: "alice (192.0.2.7)", origin: "192.0.2.7" };
const PF = "0000:18:00.1";

beforeAll(async () => {
  const applier = new LocalApplier({ mode: "host", executor: host.executor, journal: () => journal, inventory: host.inventory });
  server = await startHelperServer({ socketPath, gid: null, applier, procRoot: "/proc", log: () => {} });
});
afterAll(() => {
  server.close();
  rmSync(work, { recursive: true, force: true });
});

describe("the helper's socket", () => {
  it("is a socket only its owner may open (no group given)", () => {
    const st = statSync(socketPath);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it("applies an allow-listed plan, streams each step, journals it with the web caller's name", async () => {
    const plan = {
      id: "plan-vf-2",
      title: `2 VFs on ${PF}`,
      createdAt: new Date().toISOString(),
      steps: [
        {
          step: { kind: "write-attribute", device: PF, attribute: "sriov_numvfs", value: "2" },
          summary: "2 VFs",
          inverse: { kind: "write-attribute", device: PF, attribute: "sriov_numvfs", value: "0" },
        },
      ],
    };
    const steps: StepReport[] = [];
    const outcome = await client.apply(plan, meta, (r) => steps.push(r));
    expect(outcome).toMatchObject({ result: { ok: true }, confirmation: null });
    expect(steps.map((s) => [s.index, s.status])).toEqual([[0, "done"]]);
    expect(readFileSync(join(host.kernel.sysRoot, "bus/pci/devices", PF, "sriov_numvfs"), "utf8").trim()).toBe("2");
    expect(journal.get(outcome.entryId)).toMatchObject({ status: "applied", actor: meta.actor, origin: meta.origin, source: "web" });
  });

  it("refuses a hand-crafted plan that names an attribute outside the allow-list, writes nothing, and journals the refusal", async () => {
    const before = host.kernel.writes().length;
    const evil = {
      id: "evil",
      title: "remove the NIC",
      createdAt: new Date().toISOString(),
      steps: [{ step: { kind: "write-attribute", device: PF, attribute: "remove", value: "1" }, summary: "x", inverse: null }],
    };
    const err = await client.apply(evil, meta, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanRejected);
    expect((err as PlanRejected).issues).toEqual([
      'steps.0.step.attribute: Invalid option: expected one of "sriov_numvfs"|"sriov_drivers_autoprobe"|"driver_override"',
    ]);
    expect(host.kernel.writes().length).toBe(before);
    expect(journal.list({ limit: 1 })[0]).toMatchObject({ status: "refused", title: "remove the NIC", actor: meta.actor });
  });

  it("refuses a malformed request and a path in the actor, naming the field", async () => {
    await expect(client.call({ op: "format-disk" })).rejects.toThrow(
      "the helper refused: malformed request: op: Invalid discriminator value. Expected 'apply' | 'confirm' | 'revert' | 'pending' | 'hello'",
    );
    await expect(client.call({ op: "confirm", planId: "../../etc/passwd", meta })).rejects.toThrow(/planId: must be a plan id/);
    await expect(client.call({ op: "confirm", planId: "p1", meta: { actor: "x\u0000y", origin: null } })).rejects.toThrow(/meta.actor: must be printable/);
    await expect(client.call({ op: "pending", extra: 1 })).rejects.toThrow(/Unrecognized key/);
  });

  it("refuses a request longer than 2 MiB without reading it all", async () => {
    await expect(client.call({ op: "apply", plan: "x".repeat(5 * 1024 * 1024), meta })).rejects.toThrow(/longer than 2097152 bytes/);
  });
});
