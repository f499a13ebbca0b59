import { readEnv } from "@/server/env";
import type { Context } from "@/server/api/trpc";
import { clientAddress } from "@/server/auth/request";
import { apiServices, createServices, type ApiServices } from "@/server/services";

let services: ApiServices | null = null;

/** Built once per server process from the environment; the caller and its address are per request. */
export function getContext(req: Request | null = null): Context {
  services ??= apiServices(createServices({ env: readEnv(), entry: "web" }));
  if (!req) return { ...services, origin: null, caller: null };
  const origin = clientAddress(req.headers);
  const auth = services.auth();
  return { ...services, origin, caller: auth.ok ? auth.service.caller(req.headers, origin) : null };
}
