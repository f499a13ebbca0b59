import { readEnv } from "@/server/env";
import type { Context } from "@/server/api/trpc";
import { bearerToken, clientAddress, sessionToken, type HeaderSource } from "@/server/auth/request";
import { apiServices, createServices, type ApiServices } from "@/server/services";

/**
 * Next bundles the route handlers and the pages' server components apart, each with its own copy of every module:
 * the services live on the process, built by the route handlers' copy only. The pages' copy never builds them (a
 * second set would mean a second simulated kernel rewriting the demo tree, second database handles, and errors whose
 * classes the route handlers' error mapping does not recognise); it borrows the set once a route has built it.
 */
const SERVICES = Symbol.for("passdeck.web-services");
const processSlot = globalThis as typeof globalThis & { [SERVICES]?: ApiServices };

/** Built once per server process from the environment; the caller and its address are per request. */
export function getContext(req: Request | null = null): Context {
  const services = (processSlot[SERVICES] ??= apiServices(createServices({ env: readEnv(), entry: "web" })));
  return contextWith(services, req?.headers ?? null);
}

/**
 * For a server-rendered page (server/api/prefetch.tsx): the context the tRPC route would build from the same
 * request headers (the same cookie, token and address), or null while no route has built the services yet (the
 * first page after the server starts is then rendered without data, and the browser fetches it as before).
 */
export function existingContext(headers: HeaderSource): Context | null {
  const services = processSlot[SERVICES];
  return services ? contextWith(services, headers) : null;
}

function contextWith(services: ApiServices, headers: HeaderSource | null): Context {
  if (!headers) return { ...services, origin: null, caller: null };
  const origin = clientAddress(headers);
  // No cookie and no token: nobody to look up, so a signed-out request (the sign-in page, a health probe) does not
  // open the web database; a database that cannot be opened is told to whoever needs it (session.me, sign-in).
  if (sessionToken(headers) === null && bearerToken(headers) === null) return { ...services, origin, caller: null };
  const auth = services.auth();
  return { ...services, origin, caller: auth.ok ? auth.service.caller(headers, origin) : null };
}
