import { requireRole } from "@/server/auth/http";
import { getContext } from "@/server/context";
import { exportRange } from "@/server/probes/export";
import { TargetConflict } from "@/server/probes/store";

export const dynamic = "force-dynamic";

const bad = (message: string, status = 400) => new Response(`${message}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

/** GET /api/latency/export?target=<id|address>&from=<ISO|ms>&to=<ISO|ms>&format=csv|json */
export function GET(req: Request): Response {
  const url = new URL(req.url);
  const context = getContext();
  const access = requireRole(req, context, "viewer");
  if (!access.ok) return access.response;
  const opened = context.latency();
  if (!opened.ok) return bad(`the latency store cannot be opened: ${opened.reason}`, 503);
  const ref = url.searchParams.get("target");
  if (!ref) return bad("target is missing: ?target=<id or address>");
  let target;
  try {
    target = opened.store.findTarget(ref);
  } catch (err) {
    if (err instanceof TargetConflict) return bad(err.message);
    throw err;
  }
  if (!target) return bad(`no latency target "${ref}"`, 404);
  const time = (name: string, fallback: number) => {
    const raw = url.searchParams.get(name);
    if (raw === null) return fallback;
    return /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  };
  const toMs = time("to", Date.now());
  const fromMs = time("from", toMs - 3_600_000);
  if (Number.isNaN(fromMs) || Number.isNaN(toMs)) return bad("from and to are ISO times (2026-11-25T10:00:00Z) or ms since the epoch");
  if (toMs <= fromMs) return bad("to must be after from");
  const format = url.searchParams.get("format") ?? "csv";
  if (format !== "csv" && format !== "json") return bad('format is "csv" or "json"');
  const out = exportRange(opened.store, { target, fromMs, toMs, format });
  return new Response(out.body, { headers: { "content-type": out.contentType, "content-disposition": `attachment; filename="${out.fileName}"` } });
}
