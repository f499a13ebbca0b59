import { QueryClient } from "@tanstack/react-query";

/**
 * One QueryClient per browser tab. The server re-reads the host at most every 2 s, so a few seconds of
 * staleness are honest; the top bar shows the data age and has a Refresh button.
 */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        refetchInterval: 30_000,
        refetchOnWindowFocus: true,
        retry: 1,
      },
    },
  });
}
