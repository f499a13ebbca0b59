/**
 * The first screen rendered on the server: a page's or the layout's server component fetches its first queries
 * through the tRPC server caller, with the context the tRPC route would build from the same request (the session
 * cookie or token from next/headers), and hands the results to the client's QueryClient under the very query keys
 * the client's hooks use, so the markup arrives with data and the browser does not ask again at once.
 * A query the caller may not make (signed out, not an admin) or that fails is left out: the client asks for it as
 * before and gets the same refusal or error, so nothing is rendered that an HTTP call would not have returned.
 */
import "server-only";
import { dehydrate, HydrationBoundary, type QueryClient } from "@tanstack/react-query";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { headers } from "next/headers";
import { cache, type ReactNode } from "react";
import { makeQueryClient } from "@/lib/trpc/query-client";
import { existingContext } from "@/server/context";
import { appRouter, type AppRouter } from "./root";

/** One QueryClient per request (React's cache lasts one server render), shared by the layout and the page. */
const requestQueryClient = cache(makeQueryClient);

/** The caller as the tRPC route sees it (the same cookie, token and address), read once per request. */
const requestContext = cache(async () => existingContext(await headers()));

const trpc = createTRPCOptionsProxy<AppRouter>({
  router: appRouter,
  // Only reached once requestContext() gave a context (Prefetched checks first).
  ctx: async () => (await requestContext())!,
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
  if (!(await requestContext())) return children;
  const queryClient = requestQueryClient();
  // No retry on the server: a failing query is the client's to retry (and report), not a reason to hold the page.
  await Promise.all(queries(trpc).map((q) => queryClient.prefetchQuery({ ...(q as FetchOptions), retry: false })));
  return <HydrationBoundary state={dehydrate(queryClient)}>{children}</HydrationBoundary>;
}
