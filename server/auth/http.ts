/**
 * The sign-in, setup and sign-out endpoints (plain HTTP, because they set the session cookie), written once here
 * and mounted by app/api/auth/*\/route.ts. JSON in, JSON out, every refusal with a message that says what to do.
 */
import { z } from "zod";
import type { Role } from "./accounts";
import { allowed } from "./access";
import { type Caller, clientAddress, crossOriginRefusal, servedOverTls, sessionCookie, sessionToken } from "./request";
import type { AuthOutcome, AuthService } from "./service";
import { databaseUnavailable } from "./unavailable";

const MAX_BODY_BYTES = 8 * 1024;

const loginBody = z.object({ name: z.string().min(1).max(1024), password: z.string().min(1).max(1024) }).strict();
const setupBody = loginBody.extend({ code: z.string().min(1).max(64) }).strict();

interface Services {
  auth: () => { ok: true; service: AuthService } | { ok: false; reason: string };
  listensBeyondLoopback: boolean;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "cache-control": "no-store", ...headers } });

async function readBody<T>(req: Request, schema: z.ZodType<T>): Promise<{ ok: true; value: T } | { ok: false; response: Response }> {
  if (!(req.headers.get("content-type") ?? "").startsWith("application/json"))
    return { ok: false, response: json(415, { error: "send JSON (content-type: application/json)" }) };
  const declared = Number(req.headers.get("content-length") ?? "0");
  const tooLarge = () => ({ ok: false as const, response: json(413, { error: `the body is larger than ${MAX_BODY_BYTES} bytes` }) });
  if (declared > MAX_BODY_BYTES) return tooLarge();
  const text = await readLimited(req, MAX_BODY_BYTES);
  if (text === null) return tooLarge();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, response: json(400, { error: "the body is not JSON" }) };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    return { ok: false, response: json(400, { error: parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ") }) };
  return { ok: true, value: parsed.data };
}

/**
 * The body as text, or null once it passes `limit` bytes (bytes, not characters): read chunk by chunk and abandoned
 * there, so the handler never holds more than the limit of a chunked body that declares no length.
 */
async function readLimited(req: Request, limit: number): Promise<string | null> {
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function outcomeResponse(outcome: AuthOutcome, req: Request, service: AuthService): Response {
  if (!outcome.ok) return json(outcome.status, { error: outcome.message }, outcome.retryAfterS ? { "retry-after": String(outcome.retryAfterS) } : {});
  const secure = servedOverTls(req.headers);
  return json(
    200,
    { name: outcome.user.name, role: outcome.user.role },
    { "set-cookie": sessionCookie(outcome.sessionToken, { maxAgeS: service.sessionMaxAgeS, secure }) },
  );
}

/** Shared preamble: the database, and the same-origin rule (a forged sign-in would log the victim into our account). */
function precheck(req: Request, services: Services): { ok: true; service: AuthService } | { ok: false; response: Response } {
  const refusal = crossOriginRefusal(req.headers);
  if (refusal) return { ok: false, response: json(403, { error: refusal }) };
  const auth = services.auth();
  // Nobody here is signed in yet: the reason (paths, errors) goes to the server's log only.
  if (!auth.ok) return { ok: false, response: json(503, { error: databaseUnavailable(auth.reason) }) };
  return { ok: true, service: auth.service };
}

export async function handleLogin(req: Request, services: Services): Promise<Response> {
  const pre = precheck(req, services);
  if (!pre.ok) return pre.response;
  const body = await readBody(req, loginBody);
  if (!body.ok) return body.response;
  return outcomeResponse(await pre.service.login(body.value.name, body.value.password, clientAddress(req.headers)), req, pre.service);
}

export async function handleSetup(req: Request, services: Services): Promise<Response> {
  const pre = precheck(req, services);
  if (!pre.ok) return pre.response;
  if (services.listensBeyondLoopback)
    return json(403, { error: "this server listens beyond loopback: create the first admin on the host with `passdeck user add <name> --role admin`" });
  const body = await readBody(req, setupBody);
  if (!body.ok) return body.response;
  return outcomeResponse(await pre.service.setup(body.value.name, body.value.password, body.value.code, clientAddress(req.headers)), req, pre.service);
}

export function handleLogout(req: Request, services: Services): Response {
  const pre = precheck(req, services);
  if (!pre.ok) return pre.response;
  const token = sessionToken(req.headers);
  if (token) pre.service.logout(token, pre.service.caller(req.headers, clientAddress(req.headers)));
  const secure = servedOverTls(req.headers);
  return json(200, { signedOut: true }, { "set-cookie": sessionCookie("", { maxAgeS: 0, secure }) });
}

/**
 * For the plain-HTTP routes (/metrics, the export): the caller, or a 401/403 to send back. Prometheus sends its
 * token as a bearer token (authorization.credentials_file in its scrape config).
 */
export function requireRole(req: Request, services: Pick<Services, "auth">, role: Role): { ok: true; caller: Caller } | { ok: false; response: Response } {
  const auth = services.auth();
  if (!auth.ok) return { ok: false, response: json(503, { error: databaseUnavailable(auth.reason) }) };
  const caller = auth.service.caller(req.headers, clientAddress(req.headers));
  if (!caller)
    return {
      ok: false,
      response: json(
        401,
        { error: `sign in, or send an API token (passdeck token create --role ${role}) as Authorization: Bearer` },
        { "www-authenticate": 'Bearer realm="passdeck"' },
      ),
    };
  if (!allowed(role, caller.role)) return { ok: false, response: json(403, { error: `this needs the ${role} role; ${caller.name} is a ${caller.role}` }) };
  return { ok: true, caller };
}
