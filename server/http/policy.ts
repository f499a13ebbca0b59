/**
 * The Host allow-list as Next's code sees it: scripts/serve.mjs builds it at start (and again when the host's
 * addresses change) and publishes it in PASSDECK_HOST_POLICY, in the same process. Without serve.mjs in front
 * (`next dev`, unit tests) it is built here from the same variables by the same code.
 */
import { publishedHostPolicy, readEnv, type EnvSource } from "@/server/env";
import { buildHostPolicy, hostFacts, tlsChoice, type HostPolicy } from "./hosts.mjs";

let published: { raw: string; policy: HostPolicy } | null = null;
let fallback: HostPolicy | null = null;

/** source: the environment (this process's unless a test gives its own). */
export function currentHostPolicy(source?: EnvSource): HostPolicy {
  const raw = publishedHostPolicy(source);
  if (raw) {
    if (published?.raw !== raw) published = { raw, policy: JSON.parse(raw) as HostPolicy };
    return published.policy;
  }
  if (fallback) return fallback;
  const env = readEnv(source);
  fallback = buildHostPolicy({
    bindHost: env.PASSDECK_HOST,
    port: env.PASSDECK_PORT,
    scheme: tlsChoice(env.PASSDECK_HOST, env.PASSDECK_TLS) === "off" ? "http" : "https",
    facts: hostFacts(),
    allowedHosts: env.PASSDECK_ALLOWED_HOSTS,
    trustedProxies: env.PASSDECK_TRUSTED_PROXY,
  });
  return fallback;
}
