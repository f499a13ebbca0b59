/**
 * The Host allow-list as Next's code sees it: scripts/serve.mjs builds it at start (and again when the host's
 * addresses change) and publishes it in PASSDECK_HOST_POLICY, in the same process. Without serve.mjs in front
 * (`next dev`, unit tests) it is built here from the same variables by the same code.
 */
import { buildHostPolicy, hostFacts, tlsChoice, type HostPolicy } from "./hosts.mjs";

let published: { raw: string; policy: HostPolicy } | null = null;
let fallback: HostPolicy | null = null;

export function currentHostPolicy(env: Record<string, string | undefined> = process.env): HostPolicy {
  const raw = env.PASSDECK_HOST_POLICY;
  if (raw) {
    if (published?.raw !== raw) published = { raw, policy: JSON.parse(raw) as HostPolicy };
    return published.policy;
  }
  const bindHost = env.PASSDECK_HOST || "127.0.0.1";
  fallback ??= buildHostPolicy({
    bindHost,
    port: Number(env.PASSDECK_PORT || "7878"),
    scheme: tlsChoice(bindHost, env.PASSDECK_TLS) === "off" ? "http" : "https",
    facts: hostFacts(),
    allowedHosts: env.PASSDECK_ALLOWED_HOSTS,
    trustedProxies: env.PASSDECK_TRUSTED_PROXY,
  });
  return fallback;
}
