/**
 * The first screen rendered on the server: a page's or the layout's server component fetches its first queries
 * through the tRPC server caller, with the context the tRPC route would build from the same request (the session
 * cookie or token from next/headers), and hands the results to the client's QueryClient under the very query keys
 * the client's hooks use, so the markup arrives with data and the browser does not ask again at once.
 * A query the caller may not make (signed out, not an admin) or that fails is left out: the client asks for it as
 * before and gets the same refusal or error, so nothing is rendered that an HTTP call would not have returned.
 */
import "server-only";
import { defaultShouldDehydrateQuery, dehydrate, HydrationBoundary, type QueryClient } from "@tanstack/react-query";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { headers } from "next/headers";
import { cache, type ReactNode } from "react";
import { makeQueryClient } from "@/lib/trpc/query-client";
import { existingContext } from "@/server/context";
import { appRouter, type AppRouter } from "./root";

/** One QueryClient per request (React's cache lasts one server render), shared by the layout and the page. */
const requestQueryClient = cache(makeQueryClient);

/**
 * How old a host reading may be for a page's first screen. The page is not held for a new scan; when the reading was
 * past the usual 2 s its data goes to the browser as stale, which fetches it again at once (a new scan).
 */
const FIRST_SCREEN_MAX_AGE_MS = 60_000;

/**
 * The caller as the tRPC route sees it (the same cookie, token and address), read once per request, with the
 * inventory's recent reading; `olderReading` says whether one past the usual age served.
 */
const requestContext = cache(async () => {
  const ctx = existingContext(await headers());
  if (!ctx) return null;
  const served = { olderReading: false };
  return { ctx: { ...ctx, inventory: ctx.inventory.recent(FIRST_SCREEN_MAX_AGE_MS, () => (served.olderReading = true)) }, served };
});

const trpc = createTRPCOptionsProxy<AppRouter>({
  router: appRouter,
  // Only reached once requestContext() gave a context (Prefetched checks first).
  ctx: async () => (await requestContext())!.ctx,
  queryClient: requestQueryClient,
});

export type ServerQueries = typeof trpc;
/** What `trpc.<router>.<procedure>.queryOptions(input)` returns, as far as prefetching needs: its key and its fetch. */
interface Prefetch {
  queryKey: readonly unknown[];
  queryFn?: unknown;
}
type FetchOptions = Parameters<QueryClient["prefetchQuery"]>[0];

/**
 * Renders its children with the given queries' results in the client's cache. It waits for them (the page streams
 * behind app/loading.tsx meanwhile); everything else on the page is still fetched by the browser.
 */
export async function Prefetched({ queries, children }: { queries: (trpc: ServerQueries) => Prefetch[]; children: ReactNode }) {
  // Before any route built the services, the browser fetches the data itself, as it did before pages prefetched.
  const request = await requestContext();
  if (!request) return children;
  const queryClient = requestQueryClient();
  const wanted = queries(trpc);
  // No retry on the server: a failing query is the client's to retry (and report), not a reason to hold the page.
  await Promise.all(wanted.map((q) => queryClient.prefetchQuery({ ...(q as FetchOptions), retry: false })));
  // Read from an older reading: shown at once, and stale for the browser, which asks again as it mounts.
  if (request.served.olderReading)
    for (const q of wanted) {
      const state = queryClient.getQueryState(q.queryKey);
      if (state?.status === "success") queryClient.setQueryData(q.queryKey, state.data, { updatedAt: 0 });
    }
  // Only this boundary's queries: the layout's and the page's share the request's QueryClient, and each handing over
  // everything in it sent the page's data twice (megabytes on a large host).
  const mine = new Set(wanted.map((q) => queryClient.getQueryCache().find({ queryKey: q.queryKey, exact: true })));
  const state = dehydrate(queryClient, { shouldDehydrateQuery: (query) => mine.has(query) && defaultShouldDehydrateQuery(query) });
  return <HydrationBoundary state={state}>{children}</HydrationBoundary>;
}
