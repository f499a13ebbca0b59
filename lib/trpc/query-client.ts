import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import superjson from "superjson";

/** A call refused because the session ended (expired, signed out elsewhere): back to the sign-in page. */
function onAuthError(error: unknown): void {
  if (typeof window === "undefined") return;
  const code = (error as { data?: { code?: string } } | null)?.data?.code;
  if (code !== "UNAUTHORIZED") return;
  const here = window.location.pathname;
  if (here === "/login" || here === "/setup") return;
  window.location.assign(`/login?next=${encodeURIComponent(here + window.location.search)}`);
}

/**
 * One QueryClient per browser tab. The server re-reads the host at most every 2 s, so a few seconds of
 * staleness are honest; the top bar shows the data age and has a Refresh button.
 */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({ onError: onAuthError }),
    mutationCache: new MutationCache({ onError: onAuthError }),
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        refetchInterval: 30_000,
        refetchOnWindowFocus: true,
        // A refused sign-in does not get better by asking again.
        retry: (count, error) => (error as { data?: { code?: string } } | null)?.data?.code !== "UNAUTHORIZED" && count < 1,
      },
      // The first screen's data comes with the page (server/api/prefetch.tsx) in tRPC's own encoding: Dates, Maps
      // and undefined arrive as the HTTP link would have delivered them.
      dehydrate: { serializeData: superjson.serialize },
      hydrate: { deserializeData: superjson.deserialize },
    },
  });
}
