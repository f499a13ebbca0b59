// Benchmark: how soon each page shows its first real content after navigation, in Debian's Chromium against the
// production build on demo hosts: the first IOMMU group card at 1,000 functions (bench-1000), and each page's first
// data-bearing element on the default demo host (server). Next to them, in the same run and interleaved, a yardstick:
// the sign-in page (server-rendered, no host data), so the ratio still means something on a noisy shared machine.
// Usage: npm run bench:first-screen  (after npm run build); BENCH_RUNS=N (default 7), BENCH_PORT=first port (7951).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "@playwright/test";

const runs = Number(process.env.BENCH_RUNS ?? 7);
const firstPort = Number(process.env.BENCH_PORT ?? 7951);
const ADMIN = { name: "bench-admin", password: "bench admin password, long enough" };

if (!existsSync(".next/BUILD_ID") || !existsSync("dist/passdeck.mjs")) {
  console.error("bench-first-screen: no production build here. Run `npm run build` first.");
  process.exit(2);
}

/**
 * What is measured: a page on a demo host and the selector of its first element that carries host data (not a
 * heading or a "Loading…" line). `signedOut` loads it without the session cookie.
 * @typedef {{ id: string; host: "bench-1000" | "server"; path: string; selector: string; signedOut?: boolean }} Probe
 */
/** @type {Probe[]} */
const PROBES = [
  { id: "yardstick /login", host: "server", path: "/login", selector: 'input[name="name"]', signedOut: true },
  { id: "/iommu @1000 first group card", host: "bench-1000", path: "/iommu", selector: '[data-testid^="group-card-"]' },
  { id: "/ overview", host: "server", path: "/", selector: '[data-testid="overview-group-count"]' },
  { id: "/iommu", host: "server", path: "/iommu", selector: '[data-testid^="group-card-"]' },
  { id: "/readiness", host: "server", path: "/readiness", selector: '[data-testid="readiness-verdict"]' },
  { id: "/wizard", host: "server", path: "/wizard", selector: 'tr[data-testid^="pf-"], [data-testid="no-pfs"]' },
  { id: "/vms", host: "server", path: "/vms", selector: '[data-testid="vms-unavailable"], [data-testid="vms-empty"], [data-testid^="vm-"]' },
  { id: "/desired", host: "server", path: "/desired", selector: '[data-testid="desired-empty"], [data-testid="drift-summary"]' },
  { id: "/journal", host: "server", path: "/journal", selector: '[data-testid="journal-empty"], [data-testid^="journal-entry-"]' },
  { id: "/latency", host: "server", path: "/latency", selector: '[data-testid="targets"]' },
];

const work = mkdtempSync(join(tmpdir(), "passdeck-bench-first-screen-"));
/** @type {import("node:child_process").ChildProcess[]} */
const servers = [];

/**
 * Starts `scripts/start.mjs --demo <scenario>` with its own host tree and data directory, gives it an admin (with
 * the CLI, as e2e/sign-in.setup.ts does) and signs in.
 * @param {string} scenario
 * @param {number} port
 * @returns {Promise<{ base: string; cookie: { name: string; value: string } }>}
 */
async function startDemo(scenario, port) {
  const dataDir = join(work, `${scenario}-data`);
  const env = {
    ...process.env,
    PASSDECK_PORT: String(port),
    PASSDECK_HOST: "127.0.0.1",
    NEXT_TELEMETRY_DISABLED: "1",
    PASSDECK_DEMO_DIR: join(work, `${scenario}-host`),
    PASSDECK_DATA_DIR: dataDir,
  };
  const child = spawn(process.execPath, ["scripts/start.mjs", "--demo", scenario], { env, stdio: ["ignore", "ignore", "inherit"], detached: true });
  servers.push(child);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the ${scenario} server exited (${child.exitCode})`);
    const ok = await fetch(`${base}/login`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`the ${scenario} server did not answer within 90 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  execFileSync(process.execPath, ["dist/passdeck.mjs", "user", "add", ADMIN.name, "--role", "admin", "--json"], {
    input: `${ADMIN.password}\n`,
    env: { ...process.env, PASSDECK_DATA_DIR: dataDir },
    stdio: ["pipe", "ignore", "inherit"],
  });
  const res = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: base },
    body: JSON.stringify({ name: ADMIN.name, password: ADMIN.password }),
  });
  if (!res.ok) throw new Error(`sign-in on the ${scenario} server: HTTP ${res.status} ${await res.text()}`);
  const set = res.headers.getSetCookie().find((c) => c.startsWith("passdeck_session="));
  if (!set) throw new Error(`sign-in on the ${scenario} server set no session cookie`);
  const value = set.slice("passdeck_session=".length).split(";")[0] ?? "";
  return { base, cookie: { name: "passdeck_session", value } };
}

/** @type {(xs: number[]) => number} */
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

/**
 * One load in a fresh tab: milliseconds from the navigation's start (performance.timeOrigin) to the first animation
 * frame in which the selector's element has a box, and how many tRPC requests the tab sent until then and in the
 * half second after (0 once the first screen comes with the page).
 * @param {import("@playwright/test").BrowserContext} context
 * @param {string} url
 * @param {string} selector
 */
async function load(context, url, selector) {
  const page = await context.newPage();
  try {
    let trpcBefore = 0;
    let trpcAfter = 0;
    let seen = false;
    page.on("request", (req) => {
      if (!new URL(req.url()).pathname.startsWith("/api/trpc")) return;
      if (seen) trpcAfter++;
      else trpcBefore++;
    });
    // Checked before every frame from the document's start: the time is the frame that first shows the element.
    await page.addInitScript((sel) => {
      const w = /** @type {Window & { __firstSeenMs?: number }} */ (window);
      const check = () => {
        const el = document.querySelector(sel);
        const box = el?.getBoundingClientRect();
        if (box && box.width > 0 && box.height > 0) w.__firstSeenMs = performance.now();
        else requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    }, selector);
    await page.goto(url, { waitUntil: "commit" });
    await page.waitForFunction(() => /** @type {Window & { __firstSeenMs?: number }} */ (window).__firstSeenMs !== undefined, null, {
      timeout: 30_000,
      polling: 20,
    });
    seen = true;
    const ms = await page.evaluate(() => /** @type {number} */ (/** @type {Window & { __firstSeenMs?: number }} */ (window).__firstSeenMs));
    await page.waitForTimeout(500);
    return { ms, trpcBefore, trpcAfter };
  } finally {
    await page.close();
  }
}

try {
  const hosts = {
    "bench-1000": await startDemo("bench-1000", firstPort),
    server: await startDemo("server", firstPort + 1),
  };
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const viewport = { width: 1440, height: 900 };
  /** @type {Record<string, import("@playwright/test").BrowserContext>} */
  const contexts = {};
  for (const [name, h] of Object.entries(hosts)) {
    const signedIn = await browser.newContext({ viewport });
    await signedIn.addCookies([{ ...h.cookie, url: h.base }]);
    contexts[name] = signedIn;
    contexts[`${name}:signed-out`] = await browser.newContext({ viewport });
  }
  /** @param {Probe} p */
  const once = (p) =>
    load(
      /** @type {import("@playwright/test").BrowserContext} */ (contexts[p.signedOut ? `${p.host}:signed-out` : p.host]),
      `${hosts[p.host].base}${p.path}`,
      p.selector,
    );

  // One pass not counted: the browser's cache holds the scripts and styles afterwards, as it does for a user.
  for (const p of PROBES) await once(p);
  /** @type {Map<string, { ms: number[]; trpcBefore: number[]; trpcAfter: number[] }>} */
  const results = new Map(PROBES.map((p) => [p.id, { ms: [], trpcBefore: [], trpcAfter: [] }]));
  for (let i = 0; i < runs; i++) {
    // Interleaved: a burst of load on the shared machine hits every probe in a round alike.
    for (const p of PROBES) {
      const r = await once(p);
      const acc = /** @type {{ ms: number[]; trpcBefore: number[]; trpcAfter: number[] }} */ (results.get(p.id));
      acc.ms.push(r.ms);
      acc.trpcBefore.push(r.trpcBefore);
      acc.trpcAfter.push(r.trpcAfter);
    }
  }
  await browser.close();

  const yard = median(/** @type {{ ms: number[] }} */ (results.get(/** @type {Probe} */ (PROBES[0]).id)).ms);
  const rows = PROBES.map((p) => {
    const r = /** @type {{ ms: number[]; trpcBefore: number[]; trpcAfter: number[] }} */ (results.get(p.id));
    return {
      probe: p.id,
      host: p.host,
      medianMs: Math.round(median(r.ms)),
      minMs: Math.round(Math.min(...r.ms)),
      maxMs: Math.round(Math.max(...r.ms)),
      ratio: +(median(r.ms) / yard).toFixed(2),
      trpcBefore: median(r.trpcBefore),
      trpcAfter: median(r.trpcAfter),
    };
  });
  const pad = (/** @type {unknown} */ v, /** @type {number} */ n) => String(v).padEnd(n);
  console.log(`first meaningful content, median of ${runs} interleaved loads (ms from navigation start; ratio to the yardstick)`);
  console.log(`${pad("probe", 32)}${pad("host", 12)}${pad("median", 8)}${pad("min", 7)}${pad("max", 7)}${pad("ratio", 7)}trpc calls before / 0.5 s after`);
  for (const r of rows)
    console.log(
      `${pad(r.probe, 32)}${pad(r.host, 12)}${pad(r.medianMs, 8)}${pad(r.minMs, 7)}${pad(r.maxMs, 7)}${pad(r.ratio, 7)}${r.trpcBefore} / ${r.trpcAfter}`,
    );
  console.log(JSON.stringify({ bench: "first-screen", runs, yardstickMs: Math.round(yard), rows }));
} finally {
  for (const s of servers) {
    // start.mjs stops its children (web server, agent) on SIGTERM; its process group catches what it leaves behind.
    if (s.pid !== undefined && s.exitCode === null) {
      try {
        process.kill(-s.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
  }
  await new Promise((r) => setTimeout(r, 500));
  rmSync(work, { recursive: true, force: true });
}
