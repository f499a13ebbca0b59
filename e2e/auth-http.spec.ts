/**
 * The server's doors over raw HTTP (Node's fetch: no browser, no cookie jar): what is refused without a session,
 * to a viewer, from another origin, to a password guesser; the cookie's flags; API tokens; security headers.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { expectedInventory } from "./fixtures";
import { journalDir } from "./journal-dir";
import { AUTH } from "../playwright.config";

const BASE = "http://127.0.0.1:7907";
const DATA = journalDir("auth");
const ADMIN = { name: "hal", password: "hal's password, long" };
const VIEWER = { name: "vic", password: "vic's password, long" };

const cli = (args: string[], input?: string) =>
  execFileSync(process.execPath, ["dist/passdeck.mjs", ...args], { input, encoding: "utf8", env: { ...process.env, PASSDECK_DATA_DIR: DATA } });

type Json = Record<string, unknown>;
const trpcGet = (path: string, headers: Record<string, string> = {}) => fetch(`${BASE}/api/trpc/${path}`, { headers, redirect: "manual" });
const trpcPost = (path: string, input: unknown, headers: Record<string, string> = {}) =>
  fetch(`${BASE}/api/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ json: input }) });
const errorOf = async (res: Response) => ((await res.json()) as { error: { json: { message: string; data: { code: string } } } }).error.json;

async function login(user: { name: string; password: string }, headers: Record<string, string> = { origin: BASE }) {
  return fetch(`${BASE}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(user) });
}
async function sessionOf(user: { name: string; password: string }): Promise<string> {
  const res = await login(user);
  expect(res.status, await res.clone().text()).toBe(200);
  return /passdeck_session=([^;]+)/.exec(res.headers.get("set-cookie") ?? "")![1]!;
}

test.describe.configure({ mode: "serial" });

test.beforeAll(() => {
  // An admin and a viewer made on the host, as a scripted install would (the password on standard input).
  for (const [u, role] of [
    [ADMIN, "admin"],
    [VIEWER, "viewer"],
  ] as const)
    cli(["user", "add", u.name, "--role", role], `${u.password}\n`);
});

test("without a session: reads and mutations are 401, the scrape and export need a token, pages go to sign-in", async () => {
  const read = await trpcGet("host.summary");
  expect(read.status).toBe(401);
  expect(await errorOf(read)).toMatchObject({ message: "sign in first (or send an API token as Authorization: Bearer)", data: { code: "UNAUTHORIZED" } });
  for (const [path, input] of [
    ["plans.execute", { planId: "x" }],
    ["targets.add", { address: "127.0.0.1" }],
    ["users.add", { name: "eve", role: "admin", password: "x".repeat(12) }],
  ] as const) {
    const res = await trpcPost(path, input, { origin: BASE });
    expect(res.status, path).toBe(401);
  }
  const metrics = await fetch(`${BASE}/metrics`);
  expect(metrics.status).toBe(401);
  expect(metrics.headers.get("www-authenticate")).toBe('Bearer realm="passdeck"');
  expect((await fetch(`${BASE}/api/latency/export?target=1`)).status).toBe(401);
  expect((await fetch(`${BASE}/api/audit/export`)).status).toBe(401);
  const page = await fetch(`${BASE}/journal?x=1`, { redirect: "manual" });
  expect(page.status).toBe(303);
  expect(page.headers.get("location")).toBe("/login?next=%2Fjournal%3Fx%3D1");
  // only "who am I" answers
  const me = await trpcGet("session.me");
  expect(((await me.json()) as { result: { data: { json: Json } } }).result.data.json).toMatchObject({ caller: null, needsSetup: false });
});

test("pages rendered on the server carry host data only for a live session: a forged or ended cookie gets none", async () => {
  // Every PCI address of the auth server's demo host: a page that carries host data names some of them.
  const addresses = expectedInventory(AUTH.scenario).devices.map((d) => d.address);
  const named = (html: string) => addresses.filter((a) => html.includes(a));
  const page = (cookie: string) => fetch(`${BASE}/iommu`, { headers: { cookie }, redirect: "manual" });

  const session = await sessionOf(ADMIN);
  const live = await page(`passdeck_session=${session}`);
  expect(live.status).toBe(200);
  expect(named(await live.text()).length).toBeGreaterThan(0);

  // A made-up session id of the right shape, and the signed-in session once it has signed out.
  const forged = await page(`passdeck_session=${"A".repeat(43)}`);
  expect(forged.status === 303 ? [] : named(await forged.text())).toEqual([]);
  const out = await fetch(`${BASE}/api/auth/logout`, { method: "POST", headers: { cookie: `passdeck_session=${session}`, origin: BASE } });
  expect(out.status).toBeLessThan(400);
  const ended = await page(`passdeck_session=${session}`);
  expect(ended.status === 303 ? [] : named(await ended.text())).toEqual([]);
});

test("the session cookie is HttpOnly, SameSite=Strict, for 12 h, not Secure over plain HTTP", async () => {
  const res = await login(ADMIN);
  expect(res.status).toBe(200);
  expect(res.headers.get("set-cookie")).toMatch(/^passdeck_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
  expect(await res.json()).toEqual({ name: ADMIN.name, role: "admin" });
});

test("a viewer reads but cannot change anything; an admin can", async () => {
  const viewer = { cookie: `passdeck_session=${await sessionOf(VIEWER)}`, origin: BASE };
  expect((await trpcGet("host.summary", viewer)).status).toBe(200);
  const refused = await trpcPost("targets.add", { address: "127.0.0.1", intervalMs: 1000 }, viewer);
  expect(refused.status).toBe(403);
  expect((await errorOf(refused)).message).toBe("targets.add needs the admin role; vic is a viewer");
  expect((await trpcGet("audit.list", viewer)).status).toBe(403);

  const admin = { cookie: `passdeck_session=${await sessionOf(ADMIN)}`, origin: BASE };
  const added = await trpcPost("markers.annotate", { atMs: Date.now(), text: "admin was here" }, admin);
  expect(added.status, await added.clone().text()).toBe(200);
});

test("a cookie-borne mutation from another origin, or with no Origin at all, is refused; so is a forged sign-in", async () => {
  const cookie = `passdeck_session=${await sessionOf(ADMIN)}`;
  const input = { atMs: Date.now(), text: "forged" };
  const evil = await trpcPost("markers.annotate", input, { cookie, origin: "http://evil.example" });
  expect(evil.status).toBe(403);
  expect((await errorOf(evil)).message).toMatch(/^this request comes from http:\/\/evil\.example, not from Passdeck's own pages at http:\/\/127\.0\.0\.1:7907/);
  const bare = await trpcPost("markers.annotate", input, { cookie });
  expect(bare.status).toBe(403);
  expect((await errorOf(bare)).message).toMatch(/no Origin header/);
  const crossSite = await trpcPost("markers.annotate", input, { cookie, "sec-fetch-site": "cross-site" });
  expect(crossSite.status).toBe(403);
  const forgedLogin = await login(ADMIN, { origin: "http://evil.example" });
  expect(forgedLogin.status).toBe(403);
  expect(forgedLogin.headers.get("set-cookie")).toBeNull();
});

test("API tokens: a viewer token scrapes /metrics and cannot mutate; an admin token mutates (audited); revoked tokens stop", async () => {
  const admin = { cookie: `passdeck_session=${await sessionOf(ADMIN)}`, origin: BASE };
  const created = await trpcPost("tokens.create", { name: "prometheus", role: "viewer" }, admin);
  const viewerToken = ((await created.json()) as { result: { data: { json: { id: number; token: string } } } }).result.data.json;
  expect(viewerToken.token).toMatch(/^pdk_/);
  const scrape = await fetch(`${BASE}/metrics`, { headers: { authorization: `Bearer ${viewerToken.token}` } });
  expect(scrape.status).toBe(200);
  expect(await scrape.text()).toContain("# TYPE passdeck_probe_agent_up gauge");
  const viewerMutation = await trpcPost("markers.annotate", { atMs: Date.now(), text: "x" }, { authorization: `Bearer ${viewerToken.token}` });
  expect(viewerMutation.status).toBe(403);

  // A script's admin token, made on the host; no Origin needed (a browser never sends a token by itself).
  const adminToken = JSON.parse(cli(["token", "create", "--role", "admin", "--label", "ci script", "--json"])) as { id: number; token: string };
  const scripted = await trpcPost("markers.annotate", { atMs: Date.now(), text: "from ci" }, { authorization: `Bearer ${adminToken.token}` });
  expect(scripted.status, await scripted.clone().text()).toBe(200);
  const audit = JSON.parse(cli(["audit", "--json"])) as { action: string; actor: string; detail: string; source: string }[];
  expect(audit.find((e) => e.action === "token-mutation")).toMatchObject({ actor: "token ci script", detail: "markers.annotate", source: "127.0.0.1" });

  expect(cli(["token", "revoke", String(adminToken.id)]).trim()).toBe(`Revoked token #${adminToken.id}.`);
  const revoked = await trpcPost("markers.annotate", { atMs: Date.now(), text: "after revoke" }, { authorization: `Bearer ${adminToken.token}` });
  expect(revoked.status).toBe(401);
  const revokeViewer = await trpcPost("tokens.revoke", { id: viewerToken.id }, admin);
  expect(revokeViewer.status).toBe(200);
  expect((await fetch(`${BASE}/metrics`, { headers: { authorization: `Bearer ${viewerToken.token}` } })).status).toBe(401);
});

test("pages carry a nonce CSP that forbids framing, and the no-sniff and no-frame headers", async () => {
  const res = await fetch(`${BASE}/login`);
  const csp = res.headers.get("content-security-policy") ?? "";
  const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
  expect(nonce).toBeTruthy();
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("x-frame-options")).toBe("DENY");
  // every script the page loads carries this request's nonce
  const scripts = [...(await res.text()).matchAll(/<script[^>]*>/g)].map((m) => m[0]);
  expect(scripts.length).toBeGreaterThan(0);
  expect(scripts.filter((s) => !s.includes(`nonce="${nonce}"`))).toEqual([]);
  // a second load gets another nonce
  const again = /'nonce-([A-Za-z0-9+/=]+)'/.exec((await fetch(`${BASE}/login`)).headers.get("content-security-policy") ?? "")?.[1];
  expect(again).not.toBe(nonce);
});

test("password guessing is slowed per source, and a forged X-Forwarded-For does not make a new source", async () => {
  for (let i = 0; i < 5; i++) expect((await login({ name: ADMIN.name, password: `guess ${i}` })).status).toBe(401);
  const slowed = await login(ADMIN);
  expect(slowed.status).toBe(429);
  expect(Number(slowed.headers.get("retry-after"))).toBe(2);
  expect(((await slowed.json()) as { error: string }).error).toMatch(/^too many failed logins from 127\.0\.0\.1: try again in 2 s$/);
  const spoofed = await login(ADMIN, { origin: BASE, "x-forwarded-for": "198.51.100.23" });
  expect(spoofed.status).toBe(429);
  // The wait passes and the right password works again (which clears the count for the specs after this one).
  await expect.poll(async () => (await login(ADMIN)).status, { timeout: 10_000, intervals: [500] }).toBe(200);
  const audit = JSON.parse(cli(["audit", "--json"])) as { action: string; source: string }[];
  expect(audit.filter((e) => e.action === "login-throttled").every((e) => e.source === "127.0.0.1")).toBe(true);
});

test("PASSDECK_TLS=self-signed: a certificate for 127.0.0.1 is made on first start, and the cookie is Secure", async () => {
  // a production server of its own starts in here (openssl, then Next): up to 60 s on a busy machine
  test.setTimeout(90_000);
  // its own port: 7901–7907 and 7909 are the demo servers of playwright.config.ts
  const port = 7908;
  const data = journalDir("auth");
  const server = spawn(process.execPath, ["scripts/serve.mjs"], {
    env: {
      ...process.env,
      PASSDECK_PORT: String(port),
      PASSDECK_HOST: "127.0.0.1",
      PASSDECK_TLS: "self-signed",
      PASSDECK_DATA_DIR: data,
      PASSDECK_DEMO: "server",
      PASSDECK_DEMO_DIR: join(data, "..", "auth-tls-host"),
      NEXT_TELEMETRY_DISABLED: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  server.stdout.on("data", (d: Buffer) => (log += d.toString()));
  server.stderr.on("data", (d: Buffer) => (log += d.toString()));
  try {
    await expect.poll(() => existsSync(join(data, "web/tls/cert.pem")), { timeout: 30_000 }).toBe(true);
    const ca = readFileSync(join(data, "web/tls/cert.pem"));
    // Verified against the generated certificate itself: it must name 127.0.0.1.
    const request = (path: string, method = "GET", body?: string) =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
        const req = httpsRequest(
          { host: "127.0.0.1", port, path, method, ca, headers: body ? { "content-type": "application/json", origin: `https://127.0.0.1:${port}` } : {} },
          (res) => {
            let text = "";
            res.on("data", (d: Buffer) => (text += d.toString()));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    await expect.poll(async () => (await request("/login").catch(() => ({ status: 0 }))).status, { timeout: 60_000, intervals: [500] }).toBe(200);
    const page = await request("/login");
    expect(page.headers["strict-transport-security"]).toBe("max-age=31536000");
    expect(page.headers["content-security-policy"]).toContain("upgrade-insecure-requests");
    const signedIn = await request("/api/auth/login", "POST", JSON.stringify(ADMIN));
    expect(signedIn.status, signedIn.body).toBe(200);
    expect(String(signedIn.headers["set-cookie"])).toMatch(
      /^__Host-passdeck_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/,
    );
    expect(log).toMatch(/TLS certificate .*cert\.pem \(SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}\)/);
  } finally {
    server.kill("SIGTERM");
  }
});
