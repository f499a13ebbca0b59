import { getErrorShape, transformTRPCResponse, TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { batchCallCount, MAX_BATCH_CALLS } from "@/lib/trpc/limits";
import { retryAfterSeconds } from "@/server/api/errors";
import { appRouter } from "@/server/api/root";
import { getContext } from "@/server/context";

const ENDPOINT = "/api/trpc";

/**
 * A batch over the limit is refused here, before the context (a session lookup) or any procedure runs, in tRPC's
 * own error envelope so clients read it like any other error; tRPC's maxBatchSize is the same limit behind it.
 */
function batchTooLarge(calls: number): Response {
  const error = new TRPCError({
    code: "PAYLOAD_TOO_LARGE",
    message: `this batch has ${calls} calls; a batch holds at most ${MAX_BATCH_CALLS} (MAX_BATCH_CALLS): send the calls in smaller batches`,
  });
  const config = appRouter._def._config;
  const shape = getErrorShape({ config, error, type: "unknown", path: undefined, input: undefined, ctx: undefined });
  return new Response(JSON.stringify(transformTRPCResponse(config, { error: shape })), {
    status: getHTTPStatusCodeFromError(error),
    headers: { "content-type": "application/json" },
  });
}

function handler(req: Request) {
  const calls = batchCallCount(new URL(req.url), ENDPOINT);
  if (calls !== null && calls > MAX_BATCH_CALLS) return batchTooLarge(calls);
  return fetchRequestHandler({
    endpoint: ENDPOINT,
    req,
    router: appRouter,
    maxBatchSize: MAX_BATCH_CALLS,
    // The caller (session cookie or API token) and its address come from the request.
    createContext: () => getContext(req),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path ?? "?"}: ${error.message}`);
    },
    // A call refused for its rate (previews, virsh busy) says when to come back, as HTTP does.
    responseMeta({ errors }) {
      const wait = Math.max(0, ...errors.map((e) => retryAfterSeconds(e.cause) ?? 0));
      return wait > 0 ? { headers: new Headers({ "retry-after": String(wait) }) } : {};
    },
  });
}

export { handler as GET, handler as POST };
