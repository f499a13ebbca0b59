import { auditCsv } from "@/server/auth/audit";
import { requireRole } from "@/server/auth/http";
import { getContext } from "@/server/context";

export const dynamic = "force-dynamic";

/** GET /api/audit/export?since=<ISO|ms>: the audit trail as CSV, for admins. */
export function GET(req: Request): Response {
  const context = getContext();
  const access = requireRole(req, context, "admin");
  if (!access.ok) return access.response;
  const auth = context.auth();
  if (!auth.ok) return new Response(`${auth.reason}\n`, { status: 503 });
  const raw = new URL(req.url).searchParams.get("since");
  const since = raw === null ? 0 : /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(since))
    return new Response(`since=${(raw ?? "").slice(0, 40)} is not a time: give an ISO 8601 time or milliseconds since 1970\n`, { status: 400 });
  return new Response(auditCsv(auth.service.audit.list({ since, limit: 10_000 })), {
    headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="passdeck-audit.csv"`, "cache-control": "no-store" },
  });
}
