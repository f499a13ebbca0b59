/**
 * CSV/JSON export of a range, streamed: every raw sample while they are kept, else the rollup points (stated in the
 * file and its headers). Rows are read a page at a time (keyset paging over the index) as the client takes them, so
 * a year of samples never sits in the server's memory, and a client that stops reading stops the reads.
 */
import { pointsFromRollups, pointsFromSamples, type SeriesPoint, type SeriesSource } from "./series";
import { type ResolutionS, RESOLUTIONS_S } from "./rollup";
import type { ProbeStores } from "./stores";

/** What an export reads: samples and rollups. */
type ExportStores = Pick<ProbeStores, "samples" | "rollups">;
import type { ProbeTarget } from "./target-store";
import type { SampleCursor, SampleTuple, StoredSample } from "./sample-store";

export interface ExportRequest {
  target: ProbeTarget;
  fromMs: number;
  toMs: number;
  format: "csv" | "json";
}

export interface ExportStream {
  contentType: string;
  fileName: string;
  /** raw samples, or points of rollups (and of the newest raw samples not rolled up yet) */
  kind: "samples" | "points";
  source: SeriesSource;
  body: ReadableStream<Uint8Array>;
}

const DAY_MS = 86_400_000;
/** An export covers at most a year (366 days): longer ones go in parts. */
export const MAX_EXPORT_RANGE_MS = 366 * DAY_MS;
/**
 * Rows per page: one read and one chunk of the response (~60 KB of CSV). Kept below V8's large-object size, so a
 * page's text dies young instead of piling up until a full collection.
 */
export const EXPORT_PAGE_ROWS = 1_000;
/** No sample is older than Passdeck; a "from" before this is a typo or a unit mix-up (seconds for ms). */
export const EARLIEST_EXPORT_MS = Date.UTC(2000, 0, 1);

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * from/to of an export request: ISO times (2026-11-25T10:00:00Z) or ms since the epoch; defaults to the last hour.
 * Each refusal names the parameter, what was wrong and what to send.
 */
export function parseExportRange(
  params: { get(name: string): string | null },
  nowMs: number,
): { ok: true; fromMs: number; toMs: number } | { ok: false; message: string } {
  const time = (name: "from" | "to", fallback: number): number | string => {
    const raw = params.get(name);
    if (raw === null) return fallback;
    const text = raw.trim();
    if (/^-\d+$/.test(text)) return `${name}=${raw} is negative: send an ISO time (2026-11-25T10:00:00Z) or ms since the epoch`;
    const ms = /^\d{1,16}$/.test(text) ? Number(text) : ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
    if (!Number.isFinite(ms)) return `${name}=${raw} is not a time: send an ISO time (2026-11-25T10:00:00Z) or ms since the epoch`;
    if (ms < EARLIEST_EXPORT_MS) return `${name}=${raw} is before 2000-01-01, older than any sample (ms since the epoch, not seconds?)`;
    if (ms > nowMs + DAY_MS) return `${name}=${raw} is more than a day in the future: no samples are there yet`;
    return ms;
  };
  const toMs = time("to", nowMs);
  if (typeof toMs === "string") return { ok: false, message: toMs };
  const fromMs = time("from", toMs - 3_600_000);
  if (typeof fromMs === "string") return { ok: false, message: fromMs };
  if (fromMs >= toMs) return { ok: false, message: `from (${new Date(fromMs).toISOString()}) must be before to (${new Date(toMs).toISOString()})` };
  if (toMs - fromMs > MAX_EXPORT_RANGE_MS)
    return { ok: false, message: `the range is ${Math.ceil((toMs - fromMs) / DAY_MS)} days; an export covers at most 366: export it in parts` };
  return { ok: true, fromMs, toMs };
}

const RAW_HEADER = "seq,sent,sent_us,rtt_us,lost,prober_lag_us";
const POINT_COLUMNS = ["t", "sent", "n", "loss", "min", "p5", "p25", "p50", "p75", "p95", "p99", "max", "pdvP99", "jitter", "lagP99", "gaps"] as const;
const SOURCE_OF: Record<ResolutionS, SeriesSource> = { 10: "10s", 60: "1m", 3600: "1h" };

/** A source of pages (text, or bytes already encoded): each call returns the next, or null when the export is complete. */
type Pages = () => string | Uint8Array | null;

/** A byte stream that asks for the next page only when the client has taken the previous one. */
function streamOf(pages: Pages): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        // An empty page (a stretch with no rows) is skipped, not sent: the loop ends at a page with text or the end.
        for (;;) {
          const page = pages();
          if (page === null) return controller.close();
          if (page.length > 0) return controller.enqueue(typeof page === "string" ? encoder.encode(page) : page);
        }
      },
    },
    { highWaterMark: 1 },
  );
}

/**
 * CSV rows written straight into bytes: no string per field or row, so a year of samples (3 M rows) leaves the
 * collector little to chase and the server's memory stays flat while it streams.
 */
export class CsvBytes {
  private buf = Buffer.allocUnsafe(128 * 1024);
  private at = 0;

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }

  /** an integer in decimal; anything else as JavaScript prints it */
  int(v: number): this {
    if (!Number.isSafeInteger(v)) return this.text(String(v));
    this.room(17);
    if (v < 0) {
      this.buf[this.at++] = 45; // '-'
      v = -v;
    }
    let digits = 1;
    for (let p = 10; p <= v; p *= 10) digits++;
    let i = (this.at += digits);
    do {
      const q = Math.floor(v / 10);
      this.buf[--i] = 48 + (v - q * 10);
      v = q;
    } while (v > 0);
    return this;
  }

  /** ASCII text */
  text(s: string): this {
    this.room(s.length);
    this.at += this.buf.write(s, this.at, "latin1");
    return this;
  }

  byte(b: number): this {
    this.room(1);
    this.buf[this.at++] = b;
    return this;
  }

  /** The bytes written since the last take, as a buffer of their own. */
  take(): Uint8Array {
    const out = Buffer.from(this.buf.subarray(0, this.at));
    this.at = 0;
    return out;
  }
}

const COMMA = 44;
const NEWLINE = 10;

/**
 * Whether the raw samples hold the whole range: they reach back to `from`, or nothing was pruned yet (a target
 * younger than the range has rollups too, but they were built from the same raw samples).
 */
function rawComplete(store: ExportStores, target: ProbeTarget, fromMs: number, toMs: number): boolean {
  if (store.samples.count(target.id, fromMs * 1000, toMs * 1000, 1) === 0) return false;
  const oldestRawUs = store.samples.oldestUs(target.id) ?? Infinity;
  const oldestRollupUs = store.rollups.oldestUs(target.id, 10);
  return oldestRawUs <= fromMs * 1000 + target.intervalMs * 2000 || oldestRollupUs === null || oldestRawUs < oldestRollupUs + 10_000_000;
}

export function exportRange(store: ExportStores, req: ExportRequest, pageRows = EXPORT_PAGE_ROWS): ExportStream {
  const { target, fromMs, toMs } = req;
  const stamp = `${new Date(fromMs).toISOString()}_${new Date(toMs).toISOString()}`.replace(/[:]/g, "");
  const base = `passdeck-${target.address.replace(/[^A-Za-z0-9.-]/g, "_")}-${stamp}`;
  const json = req.format === "json";
  const file = { contentType: json ? "application/json" : "text/csv; charset=utf-8", fileName: `${base}.${json ? "json" : "csv"}` };
  if (rawComplete(store, target, fromMs, toMs)) return { ...file, kind: "samples", source: "raw", body: streamOf(rawPages(store, req, pageRows)) };
  // Rollups: the finest resolution whose retention reaches the range's start (10 s when none does yet).
  const resolution = RESOLUTIONS_S.find((r) => (store.rollups.oldestUs(target.id, r) ?? Infinity) <= fromMs * 1000) ?? 10;
  return { ...file, kind: "points", source: SOURCE_OF[resolution], body: streamOf(pointPages(store, req, resolution, pageRows)) };
}

/**
 * `new Date(us / 1000).toISOString()` for timestamps in send order, without a Date per row: the date, hour and
 * minute are formatted once per minute (a year's export is millions of rows).
 */
export function isoFormatter(): (us: number) => string {
  let minute = Number.NaN;
  let prefix = "";
  return (us) => {
    const ms = Math.floor(us / 1000);
    const m = Math.floor(ms / 60_000);
    if (m !== minute) {
      minute = m;
      prefix = new Date(m * 60_000).toISOString().slice(0, 17); // "2026-11-25T10:04:"
    }
    const rest = ms - m * 60_000;
    const sec = Math.floor(rest / 1000);
    const milli = rest - sec * 1000;
    return `${prefix}${sec < 10 ? "0" : ""}${sec}.${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`;
  };
}

function rawPages(store: ExportStores, req: ExportRequest, pageRows: number): Pages {
  const { target, fromMs, toMs } = req;
  let cursor: SampleCursor | null = null;
  let state: "head" | "rows" | "done" = "head";
  let first = true;
  const iso = isoFormatter();
  const csv = new CsvBytes();
  const csvRows = (page: SampleTuple[]): Uint8Array => {
    for (const [, seq, sentUs, rttUs, lagUs] of page) {
      // seq,sent,sent_us,rtt_us,lost,prober_lag_us
      csv.int(seq).byte(COMMA).text(iso(sentUs)).byte(COMMA).int(sentUs).byte(COMMA);
      if (rttUs !== null) csv.int(rttUs);
      csv
        .byte(COMMA)
        .byte(rttUs === null ? 49 : 48)
        .byte(COMMA);
      if (lagUs !== null) csv.int(lagUs);
      csv.byte(NEWLINE);
    }
    return csv.take();
  };
  const jsonRow = ([, seq, sentUs, rttUs, lagUs]: SampleTuple) => JSON.stringify({ seq, sent: iso(sentUs), sent_us: sentUs, rtt_us: rttUs, lag_us: lagUs });
  return () => {
    if (state === "done") return null;
    if (state === "head") {
      state = "rows";
      return req.format === "json" ? `{"target":${JSON.stringify(target.name)},"unit":"µs","kind":"samples","samples":[` : `${RAW_HEADER}\n`;
    }
    const page = store.samples.rowsPage(target.id, fromMs * 1000, toMs * 1000, cursor, pageRows);
    if (page.length < pageRows) state = "done";
    const last = page.at(-1);
    if (last) cursor = { sentUs: last[2], id: last[0] };
    if (req.format === "csv") return csvRows(page);
    const rows = page.map(jsonRow).join(",");
    const text = (rows && !first ? "," : "") + rows + (state === "done" ? "]}\n" : "");
    if (rows) first = false;
    return text;
  };
}

/**
 * Rollup points, one per rollup of `resolution`, then the newest raw samples the agent has not rolled up yet, in
 * buckets of the same width (epoch-aligned, so they continue the rollups' rows).
 */
function pointPages(store: ExportStores, req: ExportRequest, resolution: ResolutionS, pageRows: number): Pages {
  const { target, fromMs, toMs } = req;
  const stepMs = resolution * 1000;
  const source = SOURCE_OF[resolution];
  const doneUntilMs = Math.min(toMs, Math.max(fromMs, Math.floor((store.rollups.doneUntil(target.id, resolution) ?? fromMs * 1000) / 1000 / stepMs) * stepMs));
  let state: "head" | "rollups" | "tail" | "done" = "head";
  let afterUs: number | null = null;
  let cursor: SampleCursor | null = null;
  /** the tail's last bucket, incomplete until the next page shows where it ends */
  let carry: StoredSample[] = [];
  let first = true;
  const format = (points: SeriesPoint[], end: boolean): string => {
    if (req.format === "csv")
      return points.map((p) => `${[new Date(p.t).toISOString(), ...POINT_COLUMNS.slice(1).map((c) => p[c] ?? "")].join(",")}\n`).join("");
    const rows = points.map((p) => JSON.stringify(p)).join(",");
    const text = (rows && !first ? "," : "") + rows + (end ? "]}\n" : "");
    if (rows) first = false;
    return text;
  };
  return () => {
    switch (state) {
      case "done":
        return null;
      case "head":
        state = doneUntilMs > fromMs ? "rollups" : "tail";
        return req.format === "json"
          ? `{"target":${JSON.stringify(target.name)},"unit":"µs","kind":"points","source":"${source}","stepMs":${stepMs},"points":[`
          : `# ${target.name}: ${source} rollups, ${stepMs / 1000} s per row (the raw samples of this range are no longer kept); times in µs\n${["time", ...POINT_COLUMNS.slice(1)].join(",")}\n`;
      case "rollups": {
        const page = store.rollups.page(target.id, resolution, fromMs * 1000, doneUntilMs * 1000, afterUs, pageRows);
        if (page.length < pageRows) state = "tail";
        if (page.length) afterUs = page.at(-1)!.startUs;
        return format(pointsFromRollups(page, stepMs), false);
      }
      case "tail": {
        const page = store.samples.page(target.id, doneUntilMs * 1000, toMs * 1000, cursor, pageRows);
        const end = page.length < pageRows;
        if (page.length) cursor = { sentUs: page.at(-1)!.sentUs, id: page.at(-1)!.id };
        const rows = [...carry, ...page];
        // Hold back the last bucket unless this is the end: its next samples may be on the next page.
        const lastBucket = rows.length && !end ? Math.floor(rows.at(-1)!.sentUs / 1000 / stepMs) * stepMs : Infinity;
        carry = rows.filter((s) => s.sentUs / 1000 >= lastBucket);
        if (end) state = "done";
        return format(
          pointsFromSamples(
            rows.filter((s) => s.sentUs / 1000 < lastBucket),
            stepMs,
            0,
          ),
          end,
        );
      }
    }
  };
}
