// The production web server: Next's request handler behind Node's own HTTP(S) server, so that the client address
// Passdeck records and rate-limits is the socket's peer (a client-sent X-Forwarded-For is discarded) and so that
// TLS needs no separate proxy. scripts/start.mjs runs this; it reads PASSDECK_HOST, PASSDECK_PORT, PASSDECK_TLS*.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import next from "next";

const host = process.env.PASSDECK_HOST ?? "127.0.0.1";
const port = Number(process.env.PASSDECK_PORT ?? "7878");
const tlsMode = process.env.PASSDECK_TLS || null;

/** Generates (once) a self-signed certificate for this host name in the data directory, with openssl. */
function selfSigned() {
  const dir = resolve(process.env.PASSDECK_DATA_DIR ?? "/var/lib/passdeck", "tls");
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  if (!existsSync(cert) || !existsSync(key)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const name = hostname();
    const ips = ["127.0.0.1", ...(host !== "0.0.0.0" && host !== "::" && /^[\d.]+$/.test(host) ? [host] : [])];
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "825", "-subj", `/CN=${name}`,
        "-addext", `subjectAltName=${[`DNS:${name}`, "DNS:localhost", ...ips.map((ip) => `IP:${ip}`)].join(",")}`, "-keyout", key, "-out", cert],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
  }
  return { cert, key };
}

function tlsFiles() {
  if (tlsMode === "self-signed") return selfSigned();
  if (tlsMode === "files") {
    const cert = process.env.PASSDECK_TLS_CERT;
    const key = process.env.PASSDECK_TLS_KEY;
    if (!cert || !key) throw new Error("PASSDECK_TLS=files needs PASSDECK_TLS_CERT and PASSDECK_TLS_KEY (PEM files)");
    return { cert, key };
  }
  if (tlsMode) throw new Error(`PASSDECK_TLS is "self-signed" or "files", not "${tlsMode}"`);
  return null;
}

// Whoever reaches the port must sign in. Beyond loopback only once an admin exists: an unclaimed server on the LAN
// could be claimed by anyone. On loopback the first-run page asks for the one-time code printed here.
const loopback = ["127.0.0.1", "localhost", "::1"].includes(host);
const setup = JSON.parse(execFileSync(process.execPath, ["dist/passdeck.mjs", "setup-code", "--json"], { encoding: "utf8" }));
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

// What a client says about where it is from is a claim; the socket is the fact.
const CLAIMED = ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-real-ip", "forwarded", "x-nonce"];
function onRequest(req, res) {
  for (const name of CLAIMED) delete req.headers[name];
  req.headers["x-forwarded-for"] = req.socket.remoteAddress ?? "";
  req.headers["x-forwarded-proto"] = tls ? "https" : "http";
  void handle(req, res);
}

const server = tls ? createTlsServer({ ...tls, minVersion: "TLSv1.2" }, onRequest) : createServer(onRequest);
server.listen(port, host, () => {
  const shown = host.includes(":") ? `[${host}]` : host;
  console.log(`passdeck: serving ${tls ? "https" : "http"}://${shown}:${port}`);
  if (tls) {
    const fingerprint = new X509Certificate(tls.cert).fingerprint256;
    console.log(`passdeck: TLS certificate ${files.cert} (SHA-256 ${fingerprint}): check it when the browser asks`);
  }
  if (setup.needsSetup) console.log(`passdeck: first run: open ${tls ? "https" : "http"}://${shown}:${port}/setup and enter the setup code ${setup.code} (passdeck setup-code prints it again)`);
});
for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, () => {
    server.close(() => process.exit(0));
    // Open SSE streams keep the server from closing: give them a moment.
    setTimeout(() => process.exit(0), 2000).unref();
  });
