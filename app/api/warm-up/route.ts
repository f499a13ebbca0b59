import { getContext } from "@/server/context";

/**
 * Called once by scripts/serve.mjs as the server starts listening. The web services are built by the route handlers
 * (server/context.ts) and only borrowed by the pages, so until a route has run, a page renders without its data.
 * No caller is looked up: that would open the web database, which stays unopened until a request needs it (a
 * database that cannot be opened is then told to that request, e2e/attack-login.spec.ts). Answers nothing.
 */
export function GET(): Response {
  getContext();
  return new Response(null, { status: 204 });
}
