// The production web server: Next's request handler behind Node's own HTTP(S) server, so that the client address
// Passdeck records and rate-limits is the socket's peer (a client-sent X-Forwarded-For is discarded unless the peer
// is a trusted proxy), so that a request for a name that is not this host's is refused before Next runs (DNS
// rebinding), and so that TLS needs no separate proxy. scripts/start.mjs runs this; so does passdeck-web.service.
// Reads PASSDECK_HOST, PASSDECK_PORT, PASSDECK_TLS*, PASSDECK_ALLOWED_HOSTS, PASSDECK_TRUSTED_PROXY,
// PASSDECK_MAX_CONNECTIONS_PER_SOURCE and PASSDECK_DATA_DIR through server/env-spec.mjs (their defaults and checks).
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { createServer as createTlsServer, request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import next from "next";
import { EnvError, MAX_CONNECTIONS, publishHostPolicy, readEnv } from "../server/env-spec.mjs";
import {
  buildHostPolicy,
  forwardedView,
  HostConfigError,
  hostFacts,
  hostRefusal,
  isLoopbackHost,
  isWildcardHost,
  misdirectedText,
  normalizeAddress,
  tlsChoice,
} from "../server/http/hosts.mjs";

// What this server creates (the TLS key, the databases) is not writable by its group nor readable by others.
process.umask(0o027);

/** @typedef {import("../server/http/hosts.mjs").HostPolicy} HostPolicy */
/** @typedef {import("node:http").ServerResponse} ServerResponse */

/**
 * A setting that cannot work: say which and how to fix it, and stop before serving anything.
 * @param {string} message
 * @returns {never}
 */
function refuse(message) {
  console.error(`passdeck: ${message}`);
  process.exit(2);
}

/** @type {import("../server/env-spec.mjs").PassdeckEnv} every PASSDECK_* variable, checked, defaults filled in */
let settings;
try {
  settings = readEnv();
} catch (err) {
  if (err instanceof EnvError) refuse(err.problems.join("; "));
  throw err;
}
const host = settings.PASSDECK_HOST;
const port = settings.PASSDECK_PORT;
const loopback = isLoopbackHost(host);

/**
 * Bounds on what a client can hold open. A browser opens at most 6 connections to one origin (the live charts' and
 * plan progress' Server-Sent Events among them), so 32 from one address leaves room for a few browsers behind one
 * NAT; a trusted proxy is exempt (every client comes through it) and PASSDECK_MAX_CONNECTIONS_PER_SOURCE raises it.
 * No socket inactivity timeout is set: an SSE stream is quiet for as long as nothing happens (tRPC sends no pings
 * unless configured) and must stay open. requestTimeout bounds receiving a request, not sending the response.
 */
const LIMITS = {
  /** a connection that has not sent a complete request head this long after it opened (or its TLS handshake) is closed */
  firstRequestMs: 10_000,
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  /** how often Node checks headersTimeout/requestTimeout (30 s by default, which would stretch both) */
  connectionsCheckingInterval: 1_000,
  maxConnections: MAX_CONNECTIONS,
};
const maxPerSource = settings.PASSDECK_MAX_CONNECTIONS_PER_SOURCE;

/** @type {import("../server/http/hosts.mjs").TlsMode} */
let mode;
/** @type {HostPolicy} */
let policy;
try {
  // TLS unless the server listens on loopback only: passwords and session cookies must not cross the LAN in the clear.
  mode = tlsChoice(host, settings.PASSDECK_TLS);
  policy = makePolicy();
} catch (err) {
  if (err instanceof HostConfigError) refuse(err.message);
  throw err;
}

function makePolicy() {
  return buildHostPolicy({
    bindHost: host,
    port,
    scheme: mode === "off" ? "http" : "https",
    facts: hostFacts(),
    allowedHosts: settings.PASSDECK_ALLOWED_HOSTS,
    trustedProxies: settings.PASSDECK_TRUSTED_PROXY,
  });
}

/**
 * Next's code (the Origin check in server/auth/request.ts) runs in this process and reads the list from here.
 * @param {HostPolicy} p
 */
function publish(p) {
  publishHostPolicy(p);
}
publish(policy);

/** Where the self-signed certificate lives: one place, so the data directory's layout can change in one line. */
function tlsDir() {
  return resolve(settings.PASSDECK_DATA_DIR, "web", "tls");
}

/** Generates (once) a self-signed certificate in the data directory with openssl, for every name on the allow-list. */
function selfSigned() {
  const dir = tlsDir();
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  if (!existsSync(cert) || !existsSync(key)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    /** @type {(name: string) => string} */
    const literal = (n) => (n.startsWith("[") ? n.slice(1, -1) : n);
    const ips = policy.names.map(literal).filter((n) => isIP(n) !== 0);
    const dns = policy.names.filter((n) => isIP(literal(n)) === 0);
    const san = [...dns.map((n) => `DNS:${n}`), ...ips.map((ip) => `IP:${ip}`)].join(",");
    try {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-days",
          "825",
          "-subj",
          `/CN=${hostname()}`,
          "-addext",
          `subjectAltName=${san}`,
          "-keyout",
          key,
          "-out",
          cert,
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
    } catch (caught) {
      const err = /** @type {Error & { stderr?: Buffer }} */ (caught);
      refuse(
        `cannot make a self-signed TLS certificate in ${dir} with openssl (${String(err.stderr ?? err.message).trim()}): ` +
          "install openssl, or give your own with PASSDECK_TLS=files, PASSDECK_TLS_CERT and PASSDECK_TLS_KEY",
      );
    }
  }
  return { cert, key };
}

function tlsFiles() {
  if (mode === "self-signed") return selfSigned();
  if (mode === "files") {
    const cert = settings.PASSDECK_TLS_CERT;
    const key = settings.PASSDECK_TLS_KEY;
    if (!cert || !key) refuse("PASSDECK_TLS=files needs PASSDECK_TLS_CERT and PASSDECK_TLS_KEY (PEM files)");
    return { cert, key };
  }
  return null;
}

// Whoever reaches the port must sign in. Beyond loopback only once an admin exists: an unclaimed server on the LAN
// could be claimed by anyone. On loopback the first-run page asks for the one-time code printed here.
/** @type {unknown} */
const setupJson = JSON.parse(execFileSync(process.execPath, ["dist/passdeck.mjs", "setup-code", "--json"], { encoding: "utf8" }));
const setup = /** @type {{ needsSetup: boolean; code: string }} */ (setupJson);
if (setup.needsSetup && !loopback) {
  console.error(
    `passdeck: refusing to serve on ${host}: there is no admin account yet, and anyone on the network could claim it.\n` +
      "  Create one on the host first:  passdeck user add <name> --role admin   (the password on standard input)\n" +
      "  or start on 127.0.0.1 and finish the first-run setup in the browser.",
  );
  process.exit(2);
}

const files = tlsFiles();
const tls = files ? { cert: readFileSync(files.cert), key: readFileSync(files.key) } : null;

const app = next({ dev: false, hostname: host, port, dir: process.cwd() });
const handle = app.getRequestHandler();
await app.prepare();

/** The host's addresses change (DHCP, a new bridge): a refused name is looked up again, at most every 5 s. */
let refreshedAt = Date.now();
function refreshPolicy() {
  if (Date.now() - refreshedAt < 5_000) return false;
  refreshedAt = Date.now();
  const fresh = makePolicy();
  if (fresh.names.join() === policy.names.join()) return false;
  policy = fresh;
  publish(policy);
  return true;
}

/**
 * @param {ServerResponse} res
 * @param {string | undefined} value
 * @param {string} reason
 */
function misdirected(res, value, reason) {
  res.writeHead(421, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff", connection: "close" });
  res.end(misdirectedText(value, reason, policy));
}

// What a client says about where it is from is a claim; the socket is the fact (or a trusted proxy's word).
const CLAIMED = ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-real-ip", "forwarded", "x-nonce"];
const FIRST_REQUEST = Symbol("first request timer");
/** @typedef {import("node:net").Socket & { [FIRST_REQUEST]?: NodeJS.Timeout }} TimedSocket */
/**
 * @param {import("node:http").IncomingMessage} req
 * @param {ServerResponse} res
 */
function onRequest(req, res) {
  clearTimeout(/** @type {TimedSocket} */ (req.socket)[FIRST_REQUEST]);
  const view = forwardedView({ peer: req.socket.remoteAddress, headers: req.headers, tls: Boolean(tls), policy });
  const check = () => hostRefusal(view.host, policy, { scheme: view.scheme, proxied: view.proxied });
  let refusal = check();
  if (refusal && refreshPolicy()) refusal = check();
  // Nothing else runs for a name that is not this host's: no Next, no audit, no login limiter.
  if (refusal) return misdirected(res, view.host, refusal);
  // A path only: Next answers an absolute-form target (GET http://elsewhere/ HTTP/1.1) with a redirect to it.
  if (!req.url?.startsWith("/")) {
    res.writeHead(400, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", connection: "close" });
    return res.end("400 Bad Request: the request target must be a path (/...), not an absolute URL or *.\n");
  }
  for (const name of CLAIMED) delete req.headers[name];
  req.headers.host = view.host;
  req.headers["x-forwarded-for"] = view.client;
  req.headers["x-forwarded-proto"] = view.scheme;
  void handle(req, res);
}

const options = {
  headersTimeout: LIMITS.headersTimeout,
  requestTimeout: LIMITS.requestTimeout,
  keepAliveTimeout: LIMITS.keepAliveTimeout,
  connectionsCheckingInterval: LIMITS.connectionsCheckingInterval,
};
const server = tls
  ? createTlsServer({ ...tls, ...options, minVersion: "TLSv1.2", handshakeTimeout: LIMITS.firstRequestMs }, onRequest)
  : createServer(options, onRequest);
server.maxConnections = LIMITS.maxConnections;

/**
 * Node's headersTimeout only starts with a request's first byte: a socket that never sends one would stay open for
 * ever. Closed here unless a request arrives first; after that keepAliveTimeout and headersTimeout take over.
 * @param {TimedSocket} socket
 */
function armFirstRequest(socket) {
  const timer = setTimeout(() => socket.destroy(), LIMITS.firstRequestMs);
  timer.unref();
  socket[FIRST_REQUEST] = timer;
  socket.once("close", () => clearTimeout(timer));
}

// Open connections per source address, so one client cannot take every slot (maxConnections) from the others.
/** @type {Map<string, number>} */
const open = new Map();
// When each source was last named in the log: once a minute per source, so a flood neither fills the log nor hides
// a second offender behind the first. Bounded at 1,024 sources.
/** @type {Map<string, number>} */
const warnedAt = new Map();
server.on("connection", (/** @type {import("node:net").Socket} */ socket) => {
  const source = normalizeAddress(socket.remoteAddress) ?? "unknown";
  if (!policy.trustedProxies.includes(source)) {
    const count = open.get(source) ?? 0;
    if (count >= maxPerSource) {
      socket.destroy();
      const now = Date.now();
      if (now - (warnedAt.get(source) ?? 0) > 60_000) {
        if (warnedAt.size >= 1024) {
          for (const [old, at] of warnedAt) if (now - at > 60_000) warnedAt.delete(old);
          if (warnedAt.size >= 1024) warnedAt.clear();
        }
        warnedAt.set(source, now);
        console.error(`passdeck: refusing connections from ${source}: it holds ${count} open already (PASSDECK_MAX_CONNECTIONS_PER_SOURCE=${maxPerSource})`);
      }
      return;
    }
    open.set(source, count + 1);
    socket.once("close", () => {
      const left = (open.get(source) ?? 1) - 1;
      if (left > 0) open.set(source, left);
      else open.delete(source);
    });
  }
  if (!tls) armFirstRequest(socket);
});
if (tls) server.on("secureConnection", armFirstRequest);

// A burst of connections (a scanner, a flood from one address) is accepted and refused by the per-source cap, not
// left to overflow the accept queue: with Node's default of 511, the kernel drops a handshake's last ACK and the
// client holds a connection the server never sees. The kernel caps this at net.core.somaxconn (4096 by default).
/**
 * Pages render their first screen with data only once a route handler has built the services (server/context.ts),
 * so the first page after a start came without it. One call to app/api/warm-up, made as soon as the server listens,
 * builds them without opening a database (this server's own certificate needs no check).
 */
function warmUp() {
  const v6 = host.includes(":");
  const req = (tls ? httpsRequest : httpRequest)(
    {
      host: isWildcardHost(host) ? (v6 ? "::1" : "127.0.0.1") : host,
      port,
      path: "/api/warm-up",
      headers: { host: `localhost:${port}` },
      ...(tls ? { rejectUnauthorized: false, servername: "localhost" } : {}),
    },
    (res) => res.resume(),
  );
  req.on("error", (err) => console.error(`passdeck: warming up (building the services) failed: ${err.message}`));
  req.end();
}

server.listen({ port, host, backlog: 4096 }, () => {
  warmUp();
  const shown = host.includes(":") ? `[${host}]` : host;
  console.log(`passdeck: serving ${tls ? "https" : "http"}://${shown}:${port}`);
  if (tls) {
    const fingerprint = new X509Certificate(tls.cert).fingerprint256;
    console.log(`passdeck: TLS certificate ${files?.cert} (SHA-256 ${fingerprint}): check it when the browser asks`);
  }
  if (!tls && !loopback) {
    const line = "!".repeat(100);
    console.error(
      `${line}\n` +
        `passdeck: WARNING: PASSDECK_TLS=off while listening on ${shown} (beyond loopback): passwords and session cookies cross the\n` +
        "  network in the clear, readable and replayable by anyone on the path. Unset PASSDECK_TLS to serve TLS with a\n" +
        "  self-signed certificate, give your own (PASSDECK_TLS=files), or listen on 127.0.0.1 behind a TLS reverse proxy\n" +
        "  (PASSDECK_TRUSTED_PROXY).\n" +
        line,
    );
  }
  console.log(`passdeck: answering to ${[...policy.names, ...policy.extra.map((e) => `${e.name}:${e.port}`)].join(", ")} (more with PASSDECK_ALLOWED_HOSTS)`);
  if (policy.trustedProxies.length) console.log(`passdeck: X-Forwarded-For/-Proto/-Host believed from ${policy.trustedProxies.join(", ")} only`);
  if (setup.needsSetup)
    console.log(
      `passdeck: first run: open ${tls ? "https" : "http"}://${shown}:${port}/setup and enter the setup code ${setup.code} (passdeck setup-code prints it again)`,
    );
});
for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, () => {
    server.close(() => process.exit(0));
    // Open SSE streams keep the server from closing: give them a moment.
    setTimeout(() => process.exit(0), 2000).unref();
  });
