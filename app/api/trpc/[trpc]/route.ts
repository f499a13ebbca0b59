import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/server/api/root";
import { getContext } from "@/server/context";

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    // Next's server sets x-forwarded-for to the client's address; the journal records it as the origin.
    createContext: () => getContext(req.headers.get("x-forwarded-for")?.split(",")[0]?.trim() || null),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path ?? "?"}: ${error.message}`);
    },
  });
}

export { handler as GET, handler as POST };
