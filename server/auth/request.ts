/**
 * What a request carries about its caller: the session cookie or an API token, and whether a cookie-borne mutation
 * came from Passdeck's own pages. Pure functions over headers, shared by tRPC, the route handlers and the tests.
 */
import type { Role } from "./accounts";
import { originAllowed, type HostPolicy } from "@/server/http/hosts.mjs";
import { currentHostPolicy } from "@/server/http/policy";

/**
 * The session cookie's name, the one place that knows it. Under TLS the __Host- prefix makes the browser refuse the
 * cookie unless it is Secure, for Path=/ and without Domain, so no other host or plain-HTTP page can plant or shadow
 * it; only that name is read then. Over plain HTTP (loopback) the prefix is not allowed.
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? "__Host-passdeck_session" : "passdeck_session";
}

export interface Caller {
  /** the user's name, or "token <name>" */
  name: string;
  role: Role;
  via: "session" | "token";
  /** the client's address as the server's socket saw it */
  source: string | null;
  /** set for a cookie session whose mutation did not come from this origin: why it is refused */
  crossOrigin: string | null;
}

/** Reads headers as a fetch Request has them (lower-case names). */
export interface HeaderSource {
  get(name: string): string | null;
}

export function cookieValue(headers: HeaderSource, name: string): string | null {
  const header = headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

/** Served over TLS as the client sees it (scripts/serve.mjs sets x-forwarded-proto; through a trusted proxy, the proxy's). */
export function servedOverTls(headers: HeaderSource): boolean {
  return headers.get("x-forwarded-proto") === "https";
}

/** The session token the request carries, under the cookie name this request's scheme uses. */
export function sessionToken(headers: HeaderSource): string | null {
  return cookieValue(headers, sessionCookieName(servedOverTls(headers)));
}

export function bearerToken(headers: HeaderSource): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(headers.get("authorization") ?? "");
  return m?.[1] ?? null;
}

/** The client's address: Passdeck's server (scripts/serve.mjs) overwrites x-forwarded-for with the socket's peer. */
export function clientAddress(headers: HeaderSource): string | null {
  // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- "" means no address
  return headers.get("x-forwarded-for")?.split(",")[0]?.trim() || null;
}

/**
 * A browser sends Origin with every POST (and Sec-Fetch-Site since 2023); a page on another site that makes the
 * browser post here with the user's cookie shows its own origin. Null when the request is same-origin, else why not.
 * The Origin must name a host on the allow-list (server/http/hosts.mjs), not merely equal the Host header: a page
 * on a rebinding name sends that name in both. Requests with an API token skip this: a token is never sent by a
 * browser on its own.
 */
export function crossOriginRefusal(headers: HeaderSource, policy: HostPolicy = currentHostPolicy()): string | null {
  const origin = headers.get("origin");
  const host = headers.get("host");
  const proto = servedOverTls(headers) ? "https" : "http";
  if (origin !== null) {
    if (host && originAllowed(origin, { scheme: proto, host }, policy)) return null;
    return `this request comes from ${origin}, not from Passdeck's own pages at ${proto}://${host ?? "?"}: changes are only accepted from the dashboard itself (scripts use an API token)`;
  }
  const site = headers.get("sec-fetch-site");
  if (site === "same-origin") return null;
  if (site !== null) return `the browser says this request is ${site}, not same-origin: changes are only accepted from the dashboard itself`;
  return "this request carries a session cookie but no Origin header, so it cannot be told apart from a forged one: scripts use an API token (passdeck token create) with Authorization: Bearer";
}

export interface CookieOptions {
  /** the cookie's lifetime in seconds; 0 deletes it */
  maxAgeS: number;
  /** served over TLS: the browser then only sends it over TLS */
  secure: boolean;
}

/** HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), Path=/, no Domain. */
export function sessionCookie(value: string, options: CookieOptions): string {
  return [
    `${sessionCookieName(options.secure)}=${options.maxAgeS > 0 ? value : ""}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeS))}`,
    ...(options.secure ? ["Secure"] : []),
  ].join("; ");
}
