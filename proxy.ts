/**
 * Runs before every page and API request (Next 16's proxy): security headers with a per-request CSP nonce, and
 * pages without a session cookie go to the sign-in page. The cookie's validity is checked where data is served
 * (tRPC and the routes); this only saves a signed-out browser a page of errors.
 */
import { NextResponse, type NextRequest } from "next/server";
import { servedOverTls, sessionToken } from "@/server/auth/request";
const OPEN_PAGES = ["/login", "/setup"];

function contentSecurityPolicy(nonce: string, tls: boolean): string {
  return [
    "default-src 'self'",
    // Next's own inline bootstrap scripts carry the nonce; 'strict-dynamic' lets them load the chunks.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${process.env.NODE_ENV === "development" ? " 'unsafe-eval'" : ""}`,
    // React and Recharts set style attributes, which nonces cannot cover.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(tls ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  const isPage = !pathname.startsWith("/api/") && pathname !== "/metrics";
  if (isPage && !OPEN_PAGES.includes(pathname) && !sessionToken(request.headers)) {
    const to = new URL("/login", request.url);
    if (pathname !== "/") to.searchParams.set("next", `${pathname}${search}`);
    return withHeaders(NextResponse.redirect(to, 303), null, request);
  }
  const nonce = Buffer.from(crypto.randomUUID()).toString("base64");
  const csp = contentSecurityPolicy(nonce, servedOverTls(request.headers));
  // Next reads the nonce for its scripts from the request's CSP header.
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("content-security-policy", csp);
  return withHeaders(NextResponse.next({ request: { headers: requestHeaders } }), csp, request);
}

function withHeaders(response: NextResponse, csp: string | null, request: NextRequest): NextResponse {
  if (csp) response.headers.set("content-security-policy", csp);
  response.headers.set("x-content-type-options", "nosniff");
  response.headers.set("x-frame-options", "DENY");
  response.headers.set("referrer-policy", "no-referrer");
  response.headers.set("cross-origin-opener-policy", "same-origin");
  response.headers.set("cross-origin-resource-policy", "same-origin");
  response.headers.set("permissions-policy", "camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=()");
  if (servedOverTls(request.headers)) response.headers.set("strict-transport-security", "max-age=31536000");
  return response;
}

export const config = {
  // Everything but the static build output (whose headers come from next.config.ts).
  matcher: ["/((?!_next/static|_next/image|icon.svg).*)"],
};
