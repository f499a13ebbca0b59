/**
 * The latency page on its own "server" demo host, whose probe agent really pings (iputils ping against
 * 127.0.0.1): a target is added through the form and streams live, a plan applied through the API the wizard uses
 * becomes a change marker, and its before/after verdict is read back against the same API. The tests run in order
 * and build on each other's state, as a user's session would; the last one removes the target.
 */
import { spawn } from "node:child_process";
import { readlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { demoHostDir } from "./journal-dir";

const ADDRESS = "127.0.0.1";
const LABEL = "e2e loopback";
// X710 port 1's VF 3 (iavf), which no wizard spec touches: passed to vfio-pci and given back, so the host ends as it began.
const VF = "0000:3b:02.3";
const driverOf = (address: string) => basename(readlinkSync(join(demoHostDir("latency"), "sys/bus/pci/devices", address, "driver")));

interface TargetRow {
  id: number;
  address: string;
  kind: string;
  state: string;
}

/** A tRPC query over plain HTTP (superjson envelope), as the page's client makes it. */
async function query<T>(request: APIRequestContext, path: string, input?: unknown): Promise<T> {
  const qs = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const res = await request.get(`/api/trpc/${path}${qs}`);
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

async function mutate<T>(request: APIRequestContext, path: string, input: unknown): Promise<T> {
  // A browser sends Origin with every POST; the server refuses a cookie-borne mutation without it (CSRF).
  const res = await request.post(`/api/trpc/${path}`, { data: { json: input }, headers: { origin: test.info().project.use.baseURL! } });
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

const targets = async (request: APIRequestContext) => (await query<{ targets: TargetRow[] }>(request, "targets.list")).targets;

/** Previews and applies a plan through the wizard's API; returns the journal entry (its marker is plan-<entry>). */
async function applyPlan(request: APIRequestContext, input: Record<string, unknown>): Promise<number> {
  const preview = await mutate<{ outcome: { kind: string; plan?: { id: string } } }>(request, "plans.preview", { ...input, confirm: true });
  expect(preview.outcome.kind, JSON.stringify(preview.outcome)).toBe("plan");
  const applied = await mutate<{ entryId: number; result: { ok: boolean } }>(request, "plans.execute", { planId: preview.outcome.plan!.id });
  expect(applied.result.ok).toBe(true);
  return applied.entryId;
}

let targetId = 0;

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ request }) => {
  // A run that stopped half-way leaves its target behind: remove it, or the form's add would be a conflict.
  for (const t of await targets(request)) if (t.address === ADDRESS && t.kind === "icmp") await mutate(request, "targets.remove", { id: t.id });
});

test("adds 127.0.0.1 every 50 ms through the form: it is probed, and its live chart streams with N and a p50 in µs", async ({ page, request }) => {
  test.setTimeout(60_000);
  await page.goto("/latency");
  await expect(page.getByRole("link", { name: "Latency" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByTestId("agent-alive")).toBeVisible();
  const form = page.getByRole("form", { name: "Add target" });
  await form.getByLabel("Address").fill(ADDRESS);
  await form.getByLabel("Interval (ms)").fill("50");
  await form.getByLabel("Label (optional)").fill(LABEL);
  await form.getByRole("button", { name: "Add target" }).click();

  await expect.poll(async () => (await targets(request)).find((t) => t.address === ADDRESS)?.id ?? 0).toBeGreaterThan(0);
  targetId = (await targets(request)).find((t) => t.address === ADDRESS)!.id;
  const row = page.getByTestId(`target-${targetId}`);
  await expect(row).toContainText(`${LABEL} — ${ADDRESS}`);
  await expect(row).toContainText("every 50 ms");
  await expect(row.getByTestId("target-state")).toHaveText("probing", { timeout: 20_000 });
  await expect(form.getByLabel("Address")).toHaveValue(""); // the form is ready for the next one

  const chart = page.getByTestId(`latency-chart-${targetId}`);
  await expect(chart).toBeVisible();
  await expect(chart.getByTestId("chart-source")).toContainText("raw samples");
  const points = async () => Number(await chart.getAttribute("data-points"));
  await expect.poll(points, { timeout: 15_000 }).toBeGreaterThan(0);
  const first = await points();
  const firstNewest = Number(await chart.getAttribute("data-last-sent-ms"));
  // 50 ms probes in 500 ms points: two new points a second while it is watched.
  await expect.poll(points, { timeout: 30_000 }).toBeGreaterThanOrEqual(first + 20);
  expect(Number(await chart.getAttribute("data-last-sent-ms"))).toBeGreaterThan(firstNewest);

  const n = async () => Number((await chart.getByTestId("stat-n").textContent())!.replace(/,/g, ""));
  await expect.poll(n).toBeGreaterThan(0);
  // Loopback through kernel-timestamped ping: tens of µs, well under the 10,000 µs where ms take over.
  await expect(chart.getByTestId("stat-p50")).toHaveText(/^\d[\d,]* µs$/);
  await expect(chart.getByTestId("stat-loss")).toHaveText("0 %");
  // The smoke is drawn: its bands and the loss-coloured median.
  await expect(chart.locator(".recharts-area-area").first()).toBeVisible();
  await expect(chart.locator(`linearGradient#median-loss-${targetId} stop`).first()).toHaveAttribute("stop-color", "#16a34a");
});

test("a bad address and a 5 ms interval are named on their fields, and nothing is added", async ({ page, request }) => {
  await page.goto("/latency");
  const before = (await targets(request)).map((t) => t.id);
  const form = page.getByRole("form", { name: "Add target" });
  await form.getByLabel("Address").fill("bad host!");
  await form.getByLabel("Interval (ms)").fill("5");
  await form.getByRole("button", { name: "Add target" }).click();
  await expect(form.getByTestId("field-error-address")).toHaveText(
    '"bad host!" is neither an IP address nor a host name (letters, digits, hyphens and dots; no spaces, no leading hyphen)',
  );
  await expect(form.getByTestId("field-error-intervalMs")).toHaveText("the interval must be at least 10 ms (100 probes per second)");
  await expect(form.getByLabel("Address")).toHaveAttribute("aria-invalid", "true");
  // The page is still alive and nothing reached the server.
  await expect(page.getByTestId(`target-${targetId}`)).toBeVisible();
  expect((await targets(request)).map((t) => t.id)).toEqual(before);

  // Fixing a field clears its message on the next try; the server's own conflict is shown on the field as well.
  await form.getByLabel("Address").fill(ADDRESS);
  await form.getByLabel("Interval (ms)").fill("100");
  await form.getByRole("button", { name: "Add target" }).click();
  await expect(form.getByTestId("field-error-intervalMs")).toHaveCount(0);
  await expect(form.getByTestId("field-error-address")).toHaveText(
    `${LABEL} — ${ADDRESS} is already a target (id ${targetId}): remove it first to change its interval`,
  );
  expect((await targets(request)).map((t) => t.id)).toEqual(before);
});

test("an applied plan is a marker on the chart and in the list; its verdict compares 10 s before and after", async ({ page, request }) => {
  test.setTimeout(120_000);
  expect(driverOf(VF)).toBe("iavf");
  await page.goto("/latency");
  const chart = page.getByTestId(`latency-chart-${targetId}`);
  // The before window needs 10 s of samples ahead of the change.
  await expect.poll(async () => Date.now() - Number(await chart.getAttribute("data-first-sent-ms")), { timeout: 30_000 }).toBeGreaterThan(12_000);

  const entry = await applyPlan(request, { kind: "device", address: VF });
  expect(driverOf(VF)).toBe("vfio-pci");
  const key = `plan-${entry}`;
  const item = page.getByTestId(`marker-${key}`);
  await expect(item).toBeVisible();
  await expect(item).toContainText(VF);
  // One line per chart of the group: smoke, jitter and loss.
  await expect(chart.getByTestId(`chart-marker-${key}`)).toHaveCount(3);

  await chart.getByTestId(`chart-marker-${key}`).first().click();
  await expect(page).toHaveURL(new RegExp(`[?&]marker=${key}(&|$)`));
  await expect(item).toHaveAttribute("aria-pressed", "true");
  const verdict = page.getByTestId("verdict");
  await verdict.getByLabel("Window (s)").fill("10");
  await verdict.getByLabel("Settle (s)").fill("0");
  await expect(page).toHaveURL(/[?&]window=10(&|$)/);
  await expect(page).toHaveURL(/[?&]settle=0(&|$)/);

  const mine = verdict.getByTestId(`verdict-${targetId}`);
  // Re-read every 2 s while the after window fills; whole 10 s after the change.
  await expect(mine).toHaveAttribute("data-pending", "false", { timeout: 40_000 });
  await expect(mine.getByTestId("verdict-pending")).toHaveCount(0);
  const headline = (await mine.getByTestId("verdict-headline").textContent())!;
  expect(headline).toMatch(/^p99 \d[\d,]* µs → \d[\d,]* µs, (?:[+−]\d+|0) %, (?:not )?significant$/);
  const nBefore = Number(await mine.getByTestId("verdict-n-before").getAttribute("data-n"));
  const nAfter = Number(await mine.getByTestId("verdict-n-after").getAttribute("data-n"));
  expect(nBefore).toBeGreaterThan(0);
  expect(nAfter).toBeGreaterThan(0);
  // The headline's p99s are the table's.
  const [, p99Before, p99After] = /^p99 (.+?) → (.+?),/.exec(headline)!;
  await expect(mine.getByTestId("verdict-row-p99").locator("td").nth(1)).toHaveText(p99Before!);
  await expect(mine.getByTestId("verdict-row-p99").locator("td").nth(2)).toHaveText(p99After!);

  // The before window was complete when the page asked: the server's own answer now has the same N and p99 before.
  const markers = await query<{ key: string; atMs: number }[]>(request, "markers.list", { fromMs: Date.now() - 600_000, toMs: Date.now() });
  const atMs = markers.find((m) => m.key === key)!.atMs;
  const api = await query<{ ok: true; verdict: { before: { summary: { n: number; p99: number } } } }>(request, "latency.compare", {
    targetId,
    atMs,
    windowMs: 10_000,
    settleMs: 0,
    thresholdUs: 100,
  });
  expect(api.ok).toBe(true);
  expect(nBefore).toBe(api.verdict.before.summary.n);
  expect(p99Before).toBe(`${api.verdict.before.summary.p99.toLocaleString("en-US")} µs`);
  await expect(mine.getByTestId("verdict-mann-whitney")).toContainText(/^p /);
  await expect(mine.getByTestId("verdict-cdf").locator(".recharts-line-curve")).toHaveCount(2);

  // Give the VF back, so the wizard specs find the host as booted.
  await applyPlan(request, { kind: "restore", address: VF });
  expect(driverOf(VF)).toBe("iavf");
});

test("a note becomes a marker in the list and on the chart", async ({ page, request }) => {
  await page.goto("/latency");
  const text = `e2e: moved the VM to a VF (${Date.now()})`;
  const notes = page.getByTestId("markers");
  await notes.getByLabel("Note", { exact: true }).fill(text);
  await notes.getByRole("button", { name: "Add note" }).click();
  const item = notes.getByTestId(/^marker-note-\d+$/).filter({ hasText: text });
  await expect(item).toBeVisible();
  const listed = await query<{ key: string; kind: string; title: string }[]>(request, "markers.list", {
    fromMs: Date.now() - 600_000,
    toMs: Date.now() + 60_000,
  });
  const note = listed.find((m) => m.kind === "note" && m.title === text)!;
  expect(note.key).toMatch(/^note-\d+$/);
  await expect(item).toHaveAttribute("data-testid", `marker-${note.key}`);
  await expect(page.getByTestId(`latency-chart-${targetId}`).getByTestId(`chart-marker-${note.key}`)).toHaveCount(3);
});

test("iperf3 against a loopback server: the run's rate, J and loss become a note; no server is named as such", async ({ page }) => {
  test.setTimeout(60_000);
  // A real one-shot iperf3 server on the default port (the form has no port field: users run iperf3 -s as is).
  const server = spawn("iperf3", ["-s", "-1", "--forceflush", "-B", "127.0.0.1"], { stdio: ["ignore", "pipe", "ignore"] });
  try {
    await new Promise<void>((resolve, reject) => {
      server.on("exit", (code) => reject(new Error(`iperf3 -s exited (${code}): is port 5201 taken?`)));
      server.stdout.setEncoding("utf8").on("data", (d: string) => d.includes("listening") && resolve());
    });
    await page.goto("/latency");
    const form = page.getByRole("form", { name: "Run iperf3" });
    await form.getByLabel("iperf3 server (runs iperf3 -s)").fill("127.0.0.1");
    await form.getByLabel("Seconds").fill("2");
    await form.getByRole("button", { name: "Run iperf3" }).click();
    const result = form.getByTestId("iperf-result");
    await expect(result).toHaveText(/^iperf3 UDP ← 127\.0\.0\.1: \d+\.\d\d Mbit\/s, J \d+ µs, loss [\d.]+ %, 2 s$/, { timeout: 30_000 });
    const text = (await result.textContent())!;
    await expect(
      page
        .getByTestId("markers")
        .getByTestId(/^marker-note-\d+$/)
        .filter({ hasText: text }),
    ).toBeVisible();
  } finally {
    server.kill();
  }
  // The one-shot server is gone: iperf3's own refusal, with what to check.
  const form = page.getByRole("form", { name: "Run iperf3" });
  await form.getByRole("button", { name: "Run iperf3" }).click();
  await expect(form.getByTestId("iperf-error")).toContainText("unable to connect to server");
  await expect(form.getByTestId("iperf-error")).toContainText("is `iperf3 -s` running on 127.0.0.1?");
});

test("the CSV export link returns the visible range's raw samples of the target", async ({ page }) => {
  await page.goto("/latency");
  const chart = page.getByTestId(`latency-chart-${targetId}`);
  await expect.poll(async () => Number(await chart.getAttribute("data-points"))).toBeGreaterThan(0);
  const href = (await chart.getByTestId("export-csv").getAttribute("href"))!;
  const url = new URL(href, "http://x");
  expect(url.pathname).toBe("/api/latency/export");
  expect(url.searchParams.get("target")).toBe(String(targetId));
  const from = Number(url.searchParams.get("from"));
  const to = Number(url.searchParams.get("to"));
  expect(to - from).toBe(5 * 60_000); // Live: the last 5 minutes

  const res = await page.request.get(href);
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toContain("text/csv");
  const [header, ...rows] = (await res.text()).trim().split("\n");
  expect(header).toBe("seq,sent,sent_us,rtt_us,lost,prober_lag_us");
  expect(rows.length).toBeGreaterThan(100); // > 5 s of 50 ms probes
  let lastSeq = -1;
  for (const row of rows) {
    const [seq, sent, sentUs, rttUs, lost] = row.split(",");
    expect(Number(seq)).toBeGreaterThan(lastSeq);
    lastSeq = Number(seq);
    expect(Number(sentUs) / 1000).toBeGreaterThanOrEqual(from);
    expect(Number(sentUs) / 1000).toBeLessThanOrEqual(to);
    expect(new Date(sent!).getTime()).toBe(Math.floor(Number(sentUs) / 1000));
    expect(lost).toBe(rttUs === "" ? "1" : "0");
  }
});

test("removing the target takes it off the list and its charts off the page", async ({ page, request }) => {
  await page.goto("/latency");
  const row = page.getByTestId(`target-${targetId}`);
  await row.getByRole("button", { name: `Remove ${LABEL} — ${ADDRESS}` }).click();
  await expect(row).toHaveCount(0);
  await expect(page.getByTestId(`latency-chart-${targetId}`)).toHaveCount(0);
  expect((await targets(request)).some((t) => t.id === targetId)).toBe(false);
});
