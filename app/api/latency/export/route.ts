import { requireRole } from "@/server/auth/http";
import { getContext } from "@/server/context";
import { exportRange, parseExportRange } from "@/server/probes/export";
import { TargetConflict } from "@/server/probes/target-store";

export const dynamic = "force-dynamic";

const bad = (message: string, status = 400) => new Response(`${message}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

/**
 * GET /api/latency/export?target=<id|address>&from=<ISO|ms>&to=<ISO|ms>&format=csv|json: at most a year, streamed
 * (chunked) as the client reads it. x-passdeck-export-kind/-source say whether the rows are raw samples or rollup
 * points, as the file itself does.
 */
export function GET(req: Request): Response {
  const url = new URL(req.url);
  const context = getContext();
  const access = requireRole(req, context, "viewer");
  if (!access.ok) return access.response;
  const opened = context.latency();
  if (!opened.ok) return bad(`the latency store cannot be opened: ${opened.reason}`, 503);
  const ref = url.searchParams.get("target");
  if (!ref) return bad("target is missing: ?target=<id or address>");
  const range = parseExportRange(url.searchParams, Date.now());
  if (!range.ok) return bad(range.message);
  const format = url.searchParams.get("format") ?? "csv";
  if (format !== "csv" && format !== "json") return bad('format is "csv" or "json"');
  let target;
  try {
    target = opened.store.targets.find(ref);
  } catch (err) {
    if (err instanceof TargetConflict) return bad(err.message);
    throw err;
  }
  if (!target) return bad(`no latency target "${ref}"`, 404);
  const out = exportRange(opened.store, { target, fromMs: range.fromMs, toMs: range.toMs, format });
  return new Response(out.body, {
    headers: {
      "content-type": out.contentType,
      "content-disposition": `attachment; filename="${out.fileName}"`,
      "cache-control": "no-store",
      "x-passdeck-export-kind": out.kind,
      "x-passdeck-export-source": out.source,
    },
  });
}
