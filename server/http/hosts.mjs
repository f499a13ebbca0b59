/**
 * Which names this server answers to, and who may speak for the client: the one implementation of the Host
 * allow-list, the Origin rule and the X-Forwarded-* rule. The production server (scripts/serve.mjs) builds the
 * policy at start, answers any other Host with 421 before Next runs, and publishes the policy to Next's code in the
 * same process (PASSDECK_HOST_POLICY), where server/auth/request.ts checks the Origin of cookie-borne mutations.
 * Plain ESM because serve.mjs runs without TypeScript; JSDoc gives the types (tsc checks this file).
 */
import { isIP } from "node:net";
import { hostname, networkInterfaces } from "node:os";

/** Addresses that mean "every interface": never a name a browser uses. */
const WILDCARDS = new Set(["0.0.0.0", "[::]"]);
const ALWAYS = ["localhost", "127.0.0.1", "[::1]"];

/** @typedef {"http" | "https"} Scheme */
/** @typedef {"self-signed" | "files" | "off"} TlsMode */
/**
 * @typedef {object} Authority
 * @property {string} name lower case, IPv6 in brackets
 * @property {number | null} port
 */
/**
 * @typedef {object} HostPolicy
 * @property {Scheme} scheme how this server itself serves (TLS or not)
 * @property {number} port the port it listens on
 * @property {string[]} names names allowed on `port`
 * @property {{ name: string; port: number }[]} extra name:port pairs from PASSDECK_ALLOWED_HOSTS (port forwards)
 * @property {string[]} trustedProxies normalized addresses whose X-Forwarded-* headers are believed
 */
/**
 * @typedef {object} HostFacts
 * @property {string[]} addresses
 * @property {string[]} hostnames
 */
/**
 * @typedef {object} ForwardedView
 * @property {string} client
 * @property {Scheme} scheme
 * @property {string | undefined} host
 * @property {boolean} proxied
 */

export class HostConfigError extends Error {}

/** @type {(scheme: string) => number} */
export const defaultPort = (scheme) => (scheme === "https" ? 443 : 80);

/**
 * An IP address as one canonical string (IPv4-mapped IPv6 as IPv4, IPv6 compressed), or null if it is none.
 * @param {unknown} text
 * @returns {string | null}
 */
export function normalizeAddress(text) {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a header or config value; anything else fails the parse below
  let a = String(text ?? "").trim();
  if (a.startsWith("[") && a.endsWith("]")) a = a.slice(1, -1);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(a);
  if (mapped?.[1] !== undefined) a = mapped[1];
  const version = isIP(a);
  if (version === 4) return a;
  if (version !== 6) return null;
  // A zone (fe80::1%eth0) is no part of a URL: keep it as written.
  return a.includes("%") ? a.toLowerCase() : new URL(`http://[${a}]/`).hostname.slice(1, -1);
}

/**
 * A host name or IP literal as a browser would send it in Host and Origin (lower case, IPv6 in brackets), or null.
 * @param {string} text
 * @returns {string | null}
 */
function canonicalName(text) {
  try {
    const name = new URL(`http://${text}/`).hostname.replace(/\.$/, "");
    return name === "" || name.startsWith(".") ? null : name;
  } catch {
    return null;
  }
}

/**
 * "name", "name:port", "[v6]" or "[v6]:port" (the form of a Host header) as { name, port }; port null when absent.
 * Null for anything else: user info, a path, a scheme, an empty name, a port out of range.
 * @param {unknown} text
 * @returns {Authority | null}
 */
export function parseAuthority(text) {
  if (typeof text !== "string" || text.length === 0 || text.length > 300) return null;
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m) return null;
  const name = canonicalName(m[1] ?? "");
  if (!name) return null;
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && (port < 1 || port > 65535)) return null;
  return { name, port };
}

/**
 * 127.0.0.0/8, ::1 and localhost: a server listening there is reachable from this host only.
 * @param {string} host
 */
export function isLoopbackHost(host) {
  if (String(host).toLowerCase() === "localhost") return true;
  const a = normalizeAddress(host);
  return a !== null && (a === "::1" || a.startsWith("127."));
}

/** PASSDECK_HOST is a wildcard (every interface)? @type {(host: string) => boolean} */
export const isWildcardHost = (host) => WILDCARDS.has(String(host)) || normalizeAddress(host) === "::" || normalizeAddress(host) === "0.0.0.0";

/**
 * PASSDECK_TLS as the server applies it: unset means TLS (a self-signed certificate) beyond loopback and plain HTTP
 * on loopback; "off" is the explicit opt-out. Throws HostConfigError for anything else.
 * @param {string} bindHost
 * @param {string | undefined | null} raw
 * @returns {TlsMode}
 */
export function tlsChoice(bindHost, raw) {
  if (raw === undefined || raw === null || raw === "") return isLoopbackHost(bindHost) ? "off" : "self-signed";
  if (raw === "self-signed" || raw === "files" || raw === "off") return raw;
  throw new HostConfigError(
    `PASSDECK_TLS is "self-signed" (a certificate made on first start), "files" (with PASSDECK_TLS_CERT and PASSDECK_TLS_KEY) or "off" (plain HTTP), not ${JSON.stringify(raw)}`,
  );
}

/**
 * An address as it appears in a Host header: IPv6 in brackets.
 * @param {unknown} address
 */
function nameOfAddress(address) {
  const a = normalizeAddress(address);
  if (a === null || a.includes("%")) return null;
  return isIP(a) === 6 ? `[${a}]` : a;
}

/** @type {(text: string | undefined) => string[]} */
const splitList = (text) =>
  String(text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * PASSDECK_ALLOWED_HOSTS: the names users give this host (a DNS name, a reverse proxy's public name, a port forward
 * as name:port). A name without a port is allowed on the port Passdeck serves on. Throws HostConfigError naming every
 * bad entry.
 * @param {string | undefined} text
 * @returns {{ names: string[]; extra: { name: string; port: number }[] }}
 */
export function parseAllowedHosts(text) {
  /** @type {string[]} */
  const names = [];
  /** @type {{ name: string; port: number }[]} */
  const extra = [];
  /** @type {string[]} */
  const bad = [];
  for (const entry of splitList(text)) {
    const bare = isIP(entry) === 6 ? nameOfAddress(entry) : null;
    const a = bare ? { name: bare, port: null } : parseAuthority(entry);
    if (!a || WILDCARDS.has(a.name)) {
      bad.push(entry);
      continue;
    }
    if (a.port === null) names.push(a.name);
    else extra.push({ name: a.name, port: a.port });
  }
  if (bad.length)
    throw new HostConfigError(
      `PASSDECK_ALLOWED_HOSTS: ${bad.map((b) => JSON.stringify(b)).join(", ")} ${bad.length === 1 ? "is not a host name" : "are not host names"}: ` +
        "give names or addresses, each optionally with :port, separated by commas, without a scheme, path or wildcard " +
        "(e.g. PASSDECK_ALLOWED_HOSTS=hv.example.lan,192.0.2.10,[2001:db8::10],hv.example.lan:8443)",
    );
  return { names, extra };
}

/**
 * PASSDECK_TRUSTED_PROXY: the reverse proxies' addresses as this server's socket sees them.
 * @param {string | undefined} text
 * @returns {string[]}
 */
export function parseTrustedProxies(text) {
  /** @type {string[]} */
  const out = [];
  /** @type {string[]} */
  const bad = [];
  for (const entry of splitList(text)) {
    const a = normalizeAddress(entry);
    if (a === null) bad.push(entry);
    else out.push(a);
  }
  if (bad.length)
    throw new HostConfigError(
      `PASSDECK_TRUSTED_PROXY: ${bad.map((b) => JSON.stringify(b)).join(", ")} ${bad.length === 1 ? "is not an IP address" : "are not IP addresses"}: ` +
        "give each reverse proxy's address as Passdeck sees it connect, separated by commas (e.g. PASSDECK_TRUSTED_PROXY=127.0.0.1 or 192.0.2.5,2001:db8::5)",
    );
  return out;
}

/**
 * What the policy needs to know about this machine, read once (os.networkInterfaces(), os.hostname()).
 * @returns {HostFacts}
 */
export function hostFacts() {
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((i) => i !== undefined)
    .map((i) => i.address);
  return { addresses, hostnames: [hostname()] };
}

/**
 * The allow-list: PASSDECK_HOST (unless a wildcard), this host's addresses and host name (and its first label when
 * the name is fully qualified), localhost, 127.0.0.1, [::1], and PASSDECK_ALLOWED_HOSTS. Throws HostConfigError.
 * @param {{ bindHost: string; port: number; scheme: Scheme; facts: HostFacts; allowedHosts?: string | undefined; trustedProxies?: string | undefined }} options
 * @returns {HostPolicy}
 */
export function buildHostPolicy({ bindHost, port, scheme, facts, allowedHosts = "", trustedProxies = "" }) {
  const names = new Set(ALWAYS);
  /** @param {string | null | undefined} name */
  const add = (name) => {
    if (name && !WILDCARDS.has(name)) names.add(name);
  };
  if (!isWildcardHost(bindHost)) add(nameOfAddress(bindHost) ?? canonicalName(bindHost));
  for (const address of facts.addresses) add(nameOfAddress(address));
  for (const h of facts.hostnames) {
    const name = canonicalName(h);
    add(name);
    if (name && name.includes(".") && isIP(name) === 0) add(name.split(".")[0]);
  }
  const given = parseAllowedHosts(allowedHosts);
  for (const name of given.names) add(name);
  return { scheme, port, names: [...names], extra: given.extra, trustedProxies: parseTrustedProxies(trustedProxies) };
}

/** @type {(name: string, policy: HostPolicy) => boolean} */
const knownName = (name, policy) => policy.names.includes(name) || policy.extra.some((e) => e.name === name);

/**
 * Null when this server answers to the Host value (an allowed name, on the port it serves on or one given with the
 * name in PASSDECK_ALLOWED_HOSTS; behind a trusted proxy on any port, the proxy's), else why not.
 * @param {string | undefined | null} value
 * @param {HostPolicy} policy
 * @param {{ scheme: Scheme; proxied: boolean }} options
 * @returns {string | null}
 */
export function hostRefusal(value, policy, { scheme, proxied }) {
  if (value === undefined || value === null || value === "") return "the request names no host (it has no Host header)";
  const a = parseAuthority(value);
  if (!a) return `the Host header ${JSON.stringify(String(value).slice(0, 200))} is not a host name or address`;
  if (!knownName(a.name, policy)) return `this server does not answer to the name ${a.name}`;
  const port = a.port ?? defaultPort(scheme);
  if (proxied || port === policy.port || policy.extra.some((e) => e.name === a.name && e.port === port)) return null;
  return `this server answers to ${a.name} on port ${policy.port}, not ${port}`;
}

/**
 * The text of a 421 answer: what was refused and how to allow it if it is a name of this host.
 * @param {string | undefined | null} value
 * @param {string} reason
 * @param {HostPolicy} policy
 * @returns {string}
 */
export function misdirectedText(value, reason, policy) {
  const a = typeof value === "string" ? parseAuthority(value) : null;
  const entry = a && (a.port === null || a.port === policy.port) ? a.name : a ? `${a.name}:${a.port}` : null;
  const hint = a
    ? `If ${a.name} is a name of this host, add it to PASSDECK_ALLOWED_HOSTS (comma-separated, e.g. PASSDECK_ALLOWED_HOSTS=${entry}) and restart Passdeck.`
    : "Open Passdeck by a name or address of this host; other names are added with PASSDECK_ALLOWED_HOSTS (comma-separated).";
  return (
    `421 Misdirected Request: ${reason}.\n` +
    "Passdeck answers only to the names and addresses of its host, so that a web page elsewhere cannot reach it under a name of its own (DNS rebinding).\n" +
    `${hint}\n`
  );
}

/**
 * Whether an Origin header is one of this server's own origins: the scheme and port the request was served on (as
 * the client sees them: through a trusted proxy, the proxy's) and a name on the allow-list.
 * @param {string} origin
 * @param {{ scheme: string; host: string | null | undefined }} served
 * @param {HostPolicy} policy
 * @returns {boolean}
 */
export function originAllowed(origin, { scheme, host }, policy) {
  const served = parseAuthority(host ?? "");
  if (!served) return false;
  let url;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  // A browser sends the serialized origin and nothing else.
  if (url.origin !== origin) return false;
  const originScheme = url.protocol.slice(0, -1);
  if (originScheme !== scheme) return false;
  const originPort = url.port === "" ? defaultPort(originScheme) : Number(url.port);
  if (originPort !== (served.port ?? defaultPort(scheme))) return false;
  return knownName(url.hostname, policy);
}

/**
 * The last element of a comma-separated header: what the nearest proxy (the trusted one) said.
 * @param {string | string[] | undefined} value
 * @returns {string | null}
 */
function last(value) {
  const text = Array.isArray(value) ? value.join(",") : value;
  const parts = splitList(text);
  return parts[parts.length - 1] ?? null;
}

/**
 * "192.0.2.7", "192.0.2.7:5123", "[2001:db8::7]:5123" or "2001:db8::7" as an address; null for anything else.
 * @param {string} entry
 */
function forwardedAddress(entry) {
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(entry);
  const v6 = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry);
  return normalizeAddress(v4 ? v4[1] : v6 ? v6[1] : entry);
}

/**
 * Who the client is, the scheme it used and the host it asked for. Only from a trusted proxy are X-Forwarded-For
 * (the rightmost address that is not itself a trusted proxy: entries further left are the client's own claims),
 * X-Forwarded-Proto and X-Forwarded-Host believed; from any other peer the socket is the fact.
 * @param {{ peer: string | undefined; headers: { host?: string | undefined } & Record<string, string | string[] | undefined>; tls: boolean; policy: HostPolicy }} options
 * @returns {ForwardedView}
 */
export function forwardedView({ peer, headers, tls, policy }) {
  const socketPeer = normalizeAddress(peer) ?? String(peer ?? "");
  /** @type {ForwardedView} */
  const own = { client: socketPeer, scheme: tls ? "https" : "http", host: headers.host, proxied: false };
  if (!policy.trustedProxies.includes(socketPeer)) return own;
  const chain = splitList(Array.isArray(headers["x-forwarded-for"]) ? headers["x-forwarded-for"].join(",") : headers["x-forwarded-for"]);
  let client = socketPeer;
  for (let i = chain.length - 1; i >= 0; i--) {
    const address = forwardedAddress(/** @type {string} */ (chain[i]));
    // A malformed entry from the proxy's side leaves the proxy as the source rather than trusting what lies left of it.
    if (address === null) break;
    client = address;
    if (!policy.trustedProxies.includes(address)) break;
  }
  const proto = last(headers["x-forwarded-proto"])?.toLowerCase();
  const host = last(headers["x-forwarded-host"]) ?? headers.host;
  return { client, scheme: proto === "https" || proto === "http" ? proto : own.scheme, host, proxied: true };
}
