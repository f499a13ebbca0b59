/**
 * How many calls one batched tRPC request may carry. The server refuses a larger batch before any procedure runs
 * (app/api/trpc/[trpc]/route.ts) and the dashboard's batch link splits its calls at the same number, so a page never
 * sends a batch the server refuses. 16 is more than the busiest page asks for at once.
 */
export const MAX_BATCH_CALLS = 16;

/**
 * The calls a tRPC request names, counted as tRPC itself reads its URL: with `?batch=1` the path after the endpoint
 * is a comma-separated (possibly percent-encoded) list; otherwise it is one call. Null when the path cannot be
 * decoded (tRPC answers that itself).
 */
export function batchCallCount(url: URL, endpoint = "/api/trpc"): number | null {
  if (url.searchParams.get("batch") !== "1") return 1;
  const trim = (p: string) => p.replace(/^\/+|\/+$/g, "");
  const path = trim(trim(url.pathname).slice(trim(endpoint).length));
  try {
    return decodeURIComponent(path).split(",").length;
  } catch {
    return null;
  }
}
