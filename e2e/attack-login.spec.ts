/**
 * Password guessing against a real production server, over raw HTTP from several loopback addresses (node:http with
 * localAddress 127.0.x.y, each a source of its own): a parallel burst from one source is counted before any hashing;
 * one account guessed from many sources slows down but its owner still gets in; the process-wide scrypt bound
 * answers 429 "busy" instead of queueing; an expired API token is refused; and a signed-out caller of a server whose
 * database cannot be opened learns no path.
 */
import { execFileSync } from "node:child_process";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { expect, test } from "@playwright/test";
import { cpuTicks, startAttackServer, type AttackServer } from "./attack-server";
import { scryptConcurrency } from "../server/auth/passwords";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on its own connection from `from` (a loopback address), so the server sees that address as the source. */
function send(
  server: AttackServer,
  method: "GET" | "POST",
  path: string,
  body: unknown,
  from = "127.0.0.1",
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: "127.0.0.1",
        port: server.port,
        path,
        method,
        localAddress: from,
        agent: false,
        headers: { ...(payload ? { "content-type": "application/json", origin: server.base } : {}), ...headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const login = (server: AttackServer, name: string, password: string, from: string) => send(server, "POST", "/api/auth/login", { name, password }, from);
const errorOf = (r: Reply) => (JSON.parse(r.body) as { error: string }).error;
const tally = (replies: Reply[]) => replies.reduce<Record<number, number>>((t, r) => ({ ...t, [r.status]: (t[r.status] ?? 0) + 1 }), {});

const HAL = { name: "hal", password: "hal's password, long" };
const ADA = { name: "ada", password: "ada's password, long" };
// Enough parallel sign-ins to overflow the bound (running + waiting) twice over, as the server computes it on this machine.
const BOUND = scryptConcurrency();
const CROWD = Array.from({ length: 2 * (BOUND + BOUND) + 2 }, (_, i) => ({ name: `user${i}`, password: `user ${i}'s long password` }));

let server: AttackServer;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  // The probe agent off: the CPU measured is the web server's own, and nothing but the web server opens the database.
  // 40 parallel connections from one address: above the default per-source cap (attack-http tests that one)
  // Ready when the warm-up answers: a page (even /login) would open the web database through the top bar's "who am I",
  // and the first test needs a server that has not opened it yet.
  server = await startAttackServer({
    env: { PASSDECK_PROBE_AGENT: "0", PASSDECK_MAX_CONNECTIONS_PER_SOURCE: "100" },
    readyPath: "/api/warm-up",
  });
  for (const u of [HAL, ADA, ...CROWD]) server.cli(["user", "add", u.name, "--role", u === HAL || u === ADA ? "admin" : "viewer"], `${u.password}\n`);
});

test.afterAll(async () => {
  await server?.stop();
});

// First, while the web server has not opened its database yet (the readiness probe and the CLI do not make it).
test("a server whose database cannot be opened tells the signed-out no path (the log has it)", async () => {
  // The data directory becomes a regular file: every attempt to open the database fails, naming the path. The
  // directory is put back afterwards, and the server opens it on the next request (it retries a failed open).
  renameSync(server.dataDir, `${server.dataDir}.aside`);
  writeFileSync(server.dataDir, "not a directory\n");
  try {
    const me = await send(server, "GET", "/api/trpc/session.me", undefined);
    expect(me.status).toBe(200);
    const shown = (JSON.parse(me.body) as { result: { data: { json: { caller: null; unavailable: string | null } } } }).result.data.json;
    expect(shown).toMatchObject({ caller: null, unavailable: "the server's database is unavailable: the server's log says why" });
    expect(me.body).not.toContain("/");
    const signIn = await login(server, HAL.name, HAL.password, "127.0.0.1");
    expect(signIn.status).toBe(503);
    expect(signIn.body).toBe(JSON.stringify({ error: "the server's database is unavailable: the server's log says why" }));
    const scrape = await send(server, "GET", "/metrics", undefined);
    expect(scrape.status).toBe(503);
    expect(scrape.body).not.toContain("/");
    // the server's own log has the reason, with the path
    await expect.poll(() => server.log()).toContain(`cannot open the Passdeck database at ${server.dataDir}/web/passdeck-web.db`);
  } finally {
    rmSync(server.dataDir, { force: true });
    renameSync(`${server.dataDir}.aside`, server.dataDir);
  }
  const me = await send(server, "GET", "/api/trpc/session.me", undefined);
  expect((JSON.parse(me.body) as { result: { data: { json: { unavailable: string | null } } } }).result.data.json.unavailable).toBeNull();
});

test("40 parallel wrong passwords from one source: at most the free 5 are checked, the rest 429 at once, CPU bounded", async () => {
  // Warm the route and open the database with a name that cannot exist (refused without hashing), from elsewhere.
  expect((await login(server, "Not A Name", "whatever it is", "127.0.1.250")).status).toBe(401);
  // The yardstick: what one wrong password costs the server, in this run.
  const before = cpuTicks(server.pid);
  expect((await login(server, HAL.name, "one wrong password", "127.0.1.1")).status).toBe(401);
  const one = cpuTicks(server.pid) - before;

  const start = cpuTicks(server.pid);
  const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => login(server, HAL.name, `wrong password ${i}`, "127.0.1.2")));
  const forty = cpuTicks(server.pid) - start;

  const checked = burst.filter((r) => r.status === 401);
  const refused = burst.filter((r) => r.status === 429);
  const throttled = refused.filter((r) => /^too many failed logins from 127\.0\.1\.2: try again in [12] s$/.test(errorOf(r)));
  const busy = refused.filter((r) => errorOf(r) === "the server is busy checking other sign-ins: try again in 1 s");
  console.log(
    `40 parallel wrong passwords: ${checked.length} checked (401), ${throttled.length} throttled + ${busy.length} busy (429); ` +
      `server CPU ${forty} ticks for the burst vs ${one} for one wrong login (ratio ${(forty / one).toFixed(2)})`,
  );
  test.info().annotations.push({ type: "cpu", description: `one wrong login ${one} ticks, burst of 40 ${forty} ticks` });
  expect(checked.length).toBeGreaterThanOrEqual(1);
  expect(checked.length).toBeLessThanOrEqual(5);
  // the rest were refused before any hashing, by the source's wait or by the scrypt bound (whichever came first)
  expect(checked.length + throttled.length + busy.length).toBe(40);
  for (const r of refused) expect(Number(r.headers["retry-after"])).toBeGreaterThanOrEqual(1);
  expect(one).toBeGreaterThan(0);
  // ≤ 5 scrypt checks and 35 cheap refusals: at most ~6–7 logins' worth of CPU
  expect(forty / one).toBeLessThanOrEqual(7);

  // A busy refusal was no check, so it used none of the source's 5 free failures; those left are checked one by one
  // and the source is then throttled: never more than 5 checks before the wait, however the guesses are sent.
  const left = 5 - checked.length;
  for (let i = 0; i < left; i++) expect((await login(server, HAL.name, `wrong again ${i}`, "127.0.1.2")).status).toBe(401);
  const sixth = await login(server, HAL.name, HAL.password, "127.0.1.2");
  expect(sixth.status).toBe(429);
  expect(errorOf(sixth)).toMatch(/^too many failed logins from 127\.0\.1\.2: try again in [12] s$/);
  expect(sixth.headers["retry-after"]).toMatch(/^[12]$/);
  // and 40 more at once while it waits: refused by the source's wait, before any hashing (one may be checked if
  // the 2 s ran out during the burst on a slow machine, and then the wait doubles for the rest)
  const again = await Promise.all(Array.from({ length: 40 }, (_, i) => login(server, HAL.name, `wrong while waiting ${i}`, "127.0.1.2")));
  const slipped = again.filter((r) => r.status === 401).length;
  expect(slipped).toBeLessThanOrEqual(1);
  expect(again.filter((r) => r.status === 429 && errorOf(r).startsWith("too many failed logins from 127.0.1.2")).length).toBeGreaterThanOrEqual(39 - slipped);
  expect(again.every((r) => r.status === 401 || r.status === 429)).toBe(true);
  // the audit has a line per checked password and one per wait, not one per refusal
  const audit = JSON.parse(server.cli(["audit", "--json"])) as { action: string; source: string }[];
  expect(audit.filter((e) => e.action === "login-failed" && e.source === "127.0.1.2")).toHaveLength(5 + slipped);
  expect(audit.filter((e) => e.action === "login-throttled" && e.source === "127.0.1.2").length).toBeLessThanOrEqual(2 + slipped);
});

test("one account guessed from many sources slows down; its owner from a clean source still gets in after the wait", async () => {
  // 10 wrong passwords from 10 sources, one each (far below any source's 5 free failures): the account's free ones.
  for (let i = 1; i <= 10; i++) expect((await login(server, ADA.name, `guess ${i}`, `127.0.2.${i}`)).status).toBe(401);
  const slowed = await login(server, ADA.name, "guess 11", "127.0.2.1");
  expect(slowed.status).toBe(429);
  expect(errorOf(slowed)).toBe("too many failed logins for this user name (from several places): try again in 1 s");
  expect(slowed.headers["retry-after"]).toBe("1");
  // Two more guesses, each as soon as the account lets one through (the refusals meanwhile cost nothing, count nothing).
  let refusedWhileWaiting = 0;
  for (const from of ["127.0.2.11", "127.0.2.12"])
    await expect
      .poll(
        async () => {
          const r = await login(server, ADA.name, `guess from ${from}`, from);
          if (r.status === 429) refusedWhileWaiting++;
          return r.status;
        },
        { timeout: 15_000, intervals: [200] },
      )
      .toBe(401);
  // 12 failures: the account's wait is 4 s now, for a clean source too.
  const owner = await login(server, ADA.name, ADA.password, "127.0.2.100");
  expect(owner.status).toBe(429);
  const wait = Number(owner.headers["retry-after"]);
  expect(wait).toBeGreaterThanOrEqual(1);
  expect(wait).toBeLessThanOrEqual(4);
  let ownerTries = 1;
  await expect
    .poll(
      async () => {
        ownerTries++;
        return (await login(server, ADA.name, ADA.password, "127.0.2.100")).status;
      },
      { timeout: 15_000, intervals: [250] },
    )
    .toBe(200);
  console.log(
    `per-account backoff: 10 wrong passwords from 10 sources checked, the 11th refused (429, Retry-After 1); ` +
      `2 more let through one per wait (${refusedWhileWaiting} refused meanwhile); the owner from a clean source waited ${wait} s (Retry-After) and got in on try ${ownerTries}`,
  );
  // the owner's source is now trusted for this account and skips its wait; another clean source still waits
  expect((await login(server, ADA.name, ADA.password, "127.0.2.101")).status).toBe(429);
  expect((await login(server, ADA.name, ADA.password, "127.0.2.100")).status).toBe(200);
});

test("the scrypt bound: parallel sign-ins beyond it get 429 busy with Retry-After, none 500, and the server keeps answering", async () => {
  const me = async () => {
    const t = performance.now();
    const r = await send(server, "GET", "/api/trpc/session.me", undefined, "127.0.3.250");
    return { status: r.status, ms: performance.now() - t };
  };
  const logins = Promise.all(CROWD.map((u, i) => login(server, u.name, u.password, `127.0.3.${i + 1}`)));
  const during = await me();
  const replies = await logins;
  const busy = replies.filter((r) => r.status === 429);
  console.log(
    `scrypt bound ${BOUND} running + ${BOUND} waiting: ${CROWD.length} parallel sign-ins → ${JSON.stringify(tally(replies))}; session.me during the burst ${during.ms.toFixed(0)} ms`,
  );
  expect(replies.filter((r) => r.status !== 200 && r.status !== 429)).toEqual([]);
  expect(busy.length).toBeGreaterThanOrEqual(1);
  expect(replies.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
  for (const r of busy) {
    expect(errorOf(r)).toBe("the server is busy checking other sign-ins: try again in 1 s");
    expect(r.headers["retry-after"]).toBe("1");
  }
  expect(during.status).toBe(200);
  expect(during.ms).toBeLessThan(1_000);
  // a busy answer did not count as a failure: each refused user signs in at once now
  for (const [i, r] of replies.entries())
    if (r.status === 429) expect((await login(server, CROWD[i]!.name, CROWD[i]!.password, `127.0.3.${i + 1}`)).status).toBe(200);
});

test("an API token with an expiry works until then and gets 401 after; one without keeps working", async () => {
  const lasting = JSON.parse(server.cli(["token", "create", "--role", "viewer", "--label", "lasting", "--json"])) as { token: string; expiresAt: null };
  const short = JSON.parse(server.cli(["token", "create", "--role", "viewer", "--label", "short", "--expires", "4s", "--json"])) as {
    id: number;
    token: string;
    expiresAt: string;
  };
  expect(Date.parse(short.expiresAt)).toBeGreaterThan(Date.now());
  expect(lasting.expiresAt).toBeNull();
  const metrics = (token: string) => send(server, "GET", "/metrics", undefined, "127.0.4.1", { authorization: `Bearer ${token}` });
  expect((await metrics(short.token)).status).toBe(200);
  await expect.poll(async () => (await metrics(short.token)).status, { timeout: 10_000, intervals: [250] }).toBe(401);
  expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(short.expiresAt));
  expect((await metrics(lasting.token)).status).toBe(200);
  // kept for the audit, listed as expired
  const listed = JSON.parse(server.cli(["token", "list", "--json"])) as { id: number; expiresAt: number | null; revokedAt: number | null }[];
  expect(listed.find((t) => t.id === short.id)).toMatchObject({ expiresAt: Date.parse(short.expiresAt), revokedAt: null });
  expect(server.cli(["token", "list"])).toMatch(new RegExp(`#${short.id} +short +viewer +expired `));
  // a duration that is not one is refused with the reason
  let refusal = "";
  try {
    execFileSync(process.execPath, ["dist/passdeck.mjs", "token", "create", "--role", "viewer", "--expires", "soon"], {
      encoding: "utf8",
      env: { ...process.env, PASSDECK_DATA_DIR: server.dataDir },
      stdio: "pipe",
    });
  } catch (err) {
    refusal = String((err as { stderr: string }).stderr);
  }
  expect(refusal).toContain('--expires: the expiry "soon" is not a duration: give one like 90d, 12h or 30m');
});
