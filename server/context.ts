import { readEnv } from "@/server/env";
import type { Context } from "@/server/api/trpc";
import { clientAddress, type HeaderSource } from "@/server/auth/request";
import { apiServices, createServices, type ApiServices } from "@/server/services";

/**
 * Next bundles the route handlers and the pages' server components apart, each with its own copy of this module:
 * a module variable would build the services twice (two simulated kernels rewriting one demo tree, two database
 * handles), so the one set lives on the process.
 */
const SERVICES = Symbol.for("passdeck.web-services");
const processSlot = globalThis as typeof globalThis & { [SERVICES]?: ApiServices };

/** Built once per server process from the environment; the caller and its address are per request. */
export function getContext(req: Request | null = null): Context {
  return contextFor(req?.headers ?? null);
}

/**
 * The context from a request's headers alone: the tRPC route hands over its Request's, a server-rendered page the
 * headers next/headers gives it (server/api/prefetch.tsx), so both see the same caller from the same cookie.
 */
export function contextFor(headers: HeaderSource | null): Context {
  const services = (processSlot[SERVICES] ??= apiServices(createServices({ env: readEnv(), entry: "web" })));
  if (!headers) return { ...services, origin: null, caller: null };
  const origin = clientAddress(headers);
  const auth = services.auth();
  return { ...services, origin, caller: auth.ok ? auth.service.caller(headers, origin) : null };
}
