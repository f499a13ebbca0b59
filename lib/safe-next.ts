/**
 * Where the sign-in form goes after a successful sign-in: `?next=` resolved against this page's origin, as the
 * browser itself will resolve it, and kept only if it stays on that origin and was written as a path. Prefix checks
 * on the raw text are not enough: URLSearchParams decodes /%09/evil.example to "/<tab>/evil.example", which passes
 * them, and the URL parser drops the tab and goes to //evil.example. The absolute URL is returned so that what the
 * browser loads is exactly what was checked (a path such as /.//evil.example normalizes to //evil.example).
 */
export function safeNext(raw: string | null, origin: string): string {
  const home = new URL("/", origin).href;
  if (!raw?.startsWith("/")) return home;
  let url: URL;
  try {
    url = new URL(raw, origin);
  } catch {
    return home;
  }
  return url.origin === new URL(origin).origin ? url.href : home;
}
