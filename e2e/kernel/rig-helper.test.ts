/**
 * Privilege separation on the guest kernel, as `npm start` sets it up when it runs as root (guest-init.sh): the web
 * server and the probe agent run as the user passdeck (uid 1500), the helper as root with the unit's four capabilities. Plans from the
 * web go through the helper's socket; the dead-man switch (20 s in the rig) undoes an unconfirmed plan that takes a
 * NIC carrying traffic; the helper refuses what the allow-list does not name, and a user outside the web server's
 * group cannot open its socket at all.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { guestExec, guestRun, guestWrite } from "./rig.mjs";
import { resolveAddress } from "./topology.mjs";
import { guestInventory, rig, waitFor } from "./guest";

let igb: string;
let netdev: string;
const SOCKET = "/run/passdeck/helper.sock";
// CAP_CHOWN (0), CAP_NET_ADMIN (12), CAP_SYSLOG (34): deploy/systemd/helper-capabilities.json (no CAP_DAC_OVERRIDE)
const HELPER_CAPS = ((1n << 0n) | (1n << 12n) | (1n << 34n)).toString(16).padStart(16, "0");

/** uid, gid and capability sets of the process whose command line matches. */
async function processFacts(pattern: string) {
  const pid = (await guestRun(["pgrep", "-f", "-o", pattern])).trim();
  const status = await guestRun(["cat", `/proc/${pid}/status`]);
  const field = (name: string) => new RegExp(`^${name}:\\s+(.*)$`, "m").exec(status)?.[1]?.trim() ?? "";
  return { pid: Number(pid), uid: field("Uid").split(/\s+/)[0], gid: field("Gid").split(/\s+/)[0], capEff: field("CapEff"), capBnd: field("CapBnd") };
}

async function trpc<T>(path: string, input: unknown, headers: Record<string, string>): Promise<T> {
  const res = await fetch(`${rig().serverUrl}/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ json: input }),
    signal: AbortSignal.timeout(180_000),
  });
  const body = (await res.json()) as { result?: { data: { json: T } }; error?: unknown };
  if (!res.ok || !body.result) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 800)}`);
  return body.result.data.json;
}

const driverOf = async (address: string) => (await guestExec(["readlink", `/sys/bus/pci/devices/${address}/driver`])).stdout.trim().split("/").pop() ?? "";

beforeAll(async () => {
  rig();
  const inv = await guestInventory();
  igb = resolveAddress(inv.devices, "igb");
  const r = await guestWrite(`/sys/bus/pci/devices/${igb}/sriov_numvfs`, "0");
  expect(r.ok, JSON.stringify(r.error)).toBe(true);
  netdev = (await guestInventory()).devices.find((d) => d.address === igb)!.netdevs[0]!;
});

describe("privilege separation in the guest", () => {
  it("the web server and the probe agent run as uid 1500 with no capability; the helper as root with three", async () => {
    const web = await processFacts("scripts/serve.mjs");
    expect([web.uid, web.gid, web.capEff, web.capBnd === "0000000000000000" ? "no bounding caps" : "full bounding set"]).toEqual([
      "1500",
      "1500",
      "0000000000000000",
      "full bounding set",
    ]);
    const agent = await processFacts("passdeck.mjs probe-agent");
    expect([agent.uid, agent.capEff]).toEqual(["1500", "0000000000000000"]);
    const helper = await processFacts("passdeck.mjs helper");
    expect([helper.uid, helper.capBnd, helper.capEff]).toEqual(["0", HELPER_CAPS, HELPER_CAPS]);
    expect((await guestRun(["stat", "-c", "%a %u %g %F", SOCKET])).trim()).toBe("660 0 1500 socket");
    // the host records are root's, readable by the web group; the web tier's own data is the web user's
    expect(
      (
        await guestRun([
          "stat",
          "-c",
          "%a %u %g",
          "/var/lib/passdeck",
          "/var/lib/passdeck/host",
          "/var/lib/passdeck/host/passdeck-host.db",
          "/var/lib/passdeck/web",
        ])
      )
        .trim()
        .split("\n"),
    ).toEqual(["750 0 1500", "750 0 1500", "640 0 1500", "750 1500 1500"]);
  });

  it("an apply from the web goes through the helper: the journal entry is the helper's", async () => {
    const token = { authorization: `Bearer ${rig().auth.token}` };
    const preview = await trpc<{ outcome: { kind: string; plan?: { id: string } } }>(
      "plans.preview",
      { kind: "sriov", pf: igb, count: 2, autoprobe: true, vfs: [], confirm: true },
      token,
    );
    expect(preview.outcome.kind, JSON.stringify(preview.outcome)).toBe("plan");
    const applied = await trpc<{ entryId: number; result: { ok: boolean } }>("plans.execute", { planId: preview.outcome.plan!.id }, token);
    expect(applied.result.ok).toBe(true);
    expect((await guestRun(["cat", `/sys/bus/pci/devices/${igb}/sriov_numvfs`])).trim()).toBe("2");
    const helper = await processFacts("passdeck.mjs helper");
    const journal = JSON.parse(await guestRun(["node", "dist/passdeck.mjs", "journal", "--json"])) as { id: number; pid: number; actor: string }[];
    expect(journal.find((e) => e.id === applied.entryId)).toMatchObject({ pid: helper.pid, actor: "token rig tests (10.0.2.2)" });
    await guestWrite(`/sys/bus/pci/devices/${igb}/sriov_numvfs`, "0");
  });

  it("a browser session that ends after taking a NIC that carries traffic gets the NIC back when the window closes", async () => {
    // The igb port carries an address: taking its driver could cut someone off.
    await guestRun(["ip", "addr", "replace", "192.0.2.10/24", "dev", netdev]);
    await guestRun(["ip", "link", "set", "dev", netdev, "up"]);
    const login = await fetch(`${rig().serverUrl}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: rig().serverUrl },
      body: JSON.stringify(rig().auth.admin),
    });
    const cookie = `passdeck_session=${/passdeck_session=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")![1]}`;
    const session = { cookie, origin: rig().serverUrl };
    const preview = await trpc<{ outcome: { kind: string; plan?: { id: string } } }>(
      "plans.preview",
      { kind: "device", address: igb, confirm: true, force: true },
      session,
    );
    expect(preview.outcome.kind, JSON.stringify(preview.outcome)).toBe("plan");
    const applied = await trpc<{ result: { ok: boolean }; confirmation: { windowMs: number; reasons: string[] } | null; entryId: number }>(
      "plans.execute",
      { planId: preview.outcome.plan!.id },
      session,
    );
    expect(applied.result.ok).toBe(true);
    const carries = `${igb}, which carries ${netdev} (192.0.2.10)`;
    expect(applied.confirmation).toMatchObject({
      windowMs: 20_000,
      reasons: [`unbinds the driver of ${carries}`, `overrides the driver of ${carries}`, `binds a driver to ${carries}`],
    });
    expect(await driverOf(igb)).toBe("vfio-pci");
    const appliedAt = Date.now();
    // The browser goes away: its session ends, nobody confirms.
    await fetch(`${rig().serverUrl}/api/auth/logout`, { method: "POST", headers: { ...session, "content-type": "application/json" }, body: "{}" });
    await waitFor(
      "igb back on its driver",
      () => driverOf(igb),
      (d) => d === "igb",
      90_000,
      500,
    );
    const waited = Date.now() - appliedAt;
    expect(waited).toBeGreaterThanOrEqual(15_000);
    const journal = JSON.parse(await guestRun(["node", "dist/passdeck.mjs", "journal", "--json"])) as { title: string; source: string; status: string }[];
    expect(journal[0]).toMatchObject({ source: "dead-man", status: "applied", title: `Undo #${applied.entryId} (not confirmed within 20 s of applying)` });
    const audit = JSON.parse(await guestRun(["node", "dist/passdeck.mjs", "audit", "--json"])) as { action: string; actor: string }[];
    expect(audit[0]).toMatchObject({ action: "plan-rolled-back", actor: "dead-man switch" });
    console.log(`dead-man: applied, then the NIC was back on igb after ${(waited / 1000).toFixed(1)} s (window 20 s)`);
  });

  it("the helper refuses a hand-crafted plan naming an attribute outside the allow-list; uid 1501 cannot open the socket", async () => {
    const script = `
      const net = require("node:net");
      const plan = { id: "evil", title: "remove the NIC", createdAt: new Date().toISOString(),
        steps: [{ step: { kind: "write-attribute", device: ${JSON.stringify(igb)}, attribute: "remove", value: "1" }, summary: "x", inverse: null }] };
      const c = net.createConnection(${JSON.stringify(SOCKET)});
      c.on("connect", () => c.write(JSON.stringify({ op: "apply", plan, meta: { actor: "hand-crafted", origin: null } }) + "\\n"));
      c.on("error", (e) => { console.log(JSON.stringify({ connectError: e.code })); });
      let out = ""; c.on("data", (d) => (out += d)); c.on("end", () => console.log(out.trim()));`;
    const asWeb = await guestRun(["setpriv", "--reuid=1500", "--regid=1500", "--clear-groups", "node", "-e", script]);
    expect(JSON.parse(asWeb)).toMatchObject({
      type: "error",
      name: "PlanRejected",
      issues: [expect.stringMatching(/^steps\.0\.step\.attribute: Invalid option/)],
    });
    expect(await driverOf(igb)).toBe("igb");
    expect((await guestRun(["ls", "/sys/bus/pci/devices"])).split(/\s+/)).toContain(igb);
    const journal = JSON.parse(await guestRun(["node", "dist/passdeck.mjs", "journal", "--json"])) as {
      title: string;
      status: string;
      actor: string;
      peer: string;
    }[];
    expect(journal[0]).toMatchObject({
      status: "refused",
      title: "remove the NIC",
      actor: "hand-crafted",
      peer: expect.stringMatching(/^uid 1500 \(passdeck\) pid \d+ node$/),
    });

    const stranger = await guestRun(["setpriv", "--reuid=1501", "--regid=1501", "--clear-groups", "node", "-e", script]);
    expect(JSON.parse(stranger)).toEqual({ connectError: "EACCES" });
  });

  it("the helper itself refuses the web user's hand-crafted plan that unbinds a host-critical device, journaling the socket peer", async () => {
    // A plan a compromised web tier could send: its shape passes the allow-list; only the helper's own scan stops it.
    const inv = await guestInventory();
    const critical = inv.devices.find((d) => d.hostCritical.length > 0 && d.driver !== null && d.sriov === null)!;
    expect(critical, "the guest has a host-critical device with a driver (its network or root disk)").toBeTruthy();
    const script = `
      const net = require("node:net");
      const plan = { id: "pwn-critical", title: "unbind what the host runs on", createdAt: new Date().toISOString(),
        steps: [{ step: { kind: "unbind-driver", device: ${JSON.stringify(critical.address)}, driver: ${JSON.stringify(critical.driver)} }, summary: "x", inverse: null }] };
      const c = net.createConnection(${JSON.stringify(SOCKET)});
      c.on("connect", () => c.write(JSON.stringify({ op: "apply", plan, meta: { actor: "admin (192.0.2.7)", origin: "192.0.2.7" } }) + "\\n"));
      let out = ""; c.on("data", (d) => (out += d)); c.on("end", () => console.log(out.trim()));`;
    const answer = JSON.parse(await guestRun(["setpriv", "--reuid=1500", "--regid=1500", "--clear-groups", "node", "-e", script])) as {
      name: string;
      refusals: { code: string; reason: string }[];
    };
    expect(answer).toMatchObject({ name: "PlanUnsafe", refusals: [{ code: "host-critical" }] });
    expect(answer.refusals[0]!.reason).toMatch(new RegExp(`^${critical.address} is host-critical \\(.+\\): the plan must carry the typed override naming it$`));
    expect(await driverOf(critical.address)).toBe(critical.driver);
    const journal = JSON.parse(await guestRun(["node", "dist/passdeck.mjs", "journal", "--json"])) as {
      title: string;
      status: string;
      actor: string;
      peer: string;
    }[];
    expect(journal[0]).toMatchObject({
      status: "refused",
      title: "unbind what the host runs on",
      actor: "admin (192.0.2.7)",
      peer: expect.stringMatching(/^uid 1500 \(passdeck\) pid \d+ node$/),
    });
    // and the web user cannot rewrite that record afterwards
    const write = await guestExec([
      "setpriv",
      "--reuid=1500",
      "--regid=1500",
      "--clear-groups",
      "node",
      "-e",
      'require("node:fs").openSync("/var/lib/passdeck/host/passdeck-host.db", "r+")',
    ]);
    expect(write.stderr).toContain("EACCES");
  });
});
