// Test-only control agent for the kernel rig. It runs INSIDE the throwaway QEMU guest only (started by
// guest-init.sh); the host reaches it through a QEMU user-network forward bound to 127.0.0.1. Never run it on a host.
//
//   GET  /health                                  -> { ok, ready, kernel, uptime }; ready once guest-init.sh has
//                                                    loaded every driver (/run/rig-ready)
//   POST /exec  { argv: [..], timeoutMs?, cwd?, env?, input? }
//                                                 -> { code, signal, timedOut, stdout, stderr, ms }
//        argv is an argument array run with execFile: there is no shell unless argv[0] is one.
//   POST /read  { path, encoding?: "utf8"|"base64" }  -> { ok: true, content } | { ok: false, error }
//   POST /write { path, content, encoding?, flag? }   -> { ok: true } | { ok: false, error: { code, errno, message } }
//        the kernel's answer to a sysfs write is kept as the errno code (EBUSY, ERANGE, EINVAL ...).
//   POST /sysfs-truth                              -> { ok: true, devices: [...] }: every function in every IOMMU
//        group with its driver/physfn/virtfn links, read with plain fs calls (no Passdeck code). One walk in this
//        process, not a shell loop: under TCG every fork+exec costs tens of milliseconds, and the tests poll this.
//   POST /poweroff                                 -> { ok: true }, then the guest powers off
import { execFile } from "node:child_process";
import { existsSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { basename } from "node:path";
import { release, uptime } from "node:os";

const port = Number(process.env.RIG_AGENT_PORT ?? 7879);
const MAX_BODY = 64 * 1024 * 1024;

/**
 * @param {import("node:http").ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 */
function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** @param {unknown} caught what a node:fs call threw */
function fsError(caught) {
  const err = /** @type {NodeJS.ErrnoException} */ (caught);
  return { code: err.code ?? null, errno: err.errno ?? null, message: err.message };
}

/**
 * The request's JSON body ({} when empty).
 * @param {import("node:http").IncomingMessage} req
 * @returns {Promise<any>} JSON as the host sent it, checked by each route
 */
function readBody(req) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    req.on("data", (/** @type {Buffer} */ c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error("request body too large"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => {
      try {
        resolve(size ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {});
      } catch (e) {
        reject(new Error(`invalid JSON: ${/** @type {Error} */ (e).message}`));
      }
    });
    req.on("error", reject);
  });
}

/**
 * @param {any} body the /exec request: { argv, timeoutMs?, cwd?, env?, input? }, argv checked here
 * @returns {Promise<{ code: number | null; signal: string | null; timedOut: boolean; spawnError: string | null; stdout: string; stderr: string; ms: number }>}
 */
function runExec(body) {
  const { argv, timeoutMs = 60_000, cwd, env, input } = body;
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === "string")) {
    throw Object.assign(new Error("argv must be a non-empty array of strings"), { status: 400 });
  }
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(
      /** @type {string} */ (argv[0]), // non-empty, checked above
      argv.slice(1),
      {
        timeout: Math.max(1, Math.min(Number(timeoutMs) || 60_000, 30 * 60_000)),
        killSignal: "SIGKILL",
        maxBuffer: 32 * 1024 * 1024,
        cwd: cwd ?? process.cwd(),
        env: { ...process.env, ...(env ?? {}) },
        encoding: "utf8",
      },
      (err, stdout, stderr) => {
        const timedOut = Boolean(err && err.killed && err.signal === "SIGKILL");
        resolve({
          code: err ? (typeof err.code === "number" ? err.code : null) : 0,
          signal: err?.signal ?? null,
          timedOut,
          spawnError: err && typeof err.code === "string" ? `${err.code}: ${err.message}` : null,
          stdout,
          stderr,
          ms: Date.now() - started,
        });
      },
    );
    if (typeof input === "string") child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/** @param {string} path the file's trimmed text, or null when it does not exist (or cannot be read) */
function readOrNull(path) {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
}

/** @param {string} path the last component of a symlink's target, or null when there is no such link */
function linkName(path) {
  try {
    return basename(readlinkSync(path));
  } catch {
    return null;
  }
}

/** Every function of every IOMMU group as sysfs shows it (the rig tests' independent truth). */
function sysfsTruth() {
  const root = "/sys/kernel/iommu_groups";
  const hex = (/** @type {string | null} */ s) => (s ?? "").replace(/^0x/, "").toLowerCase();
  const num = (/** @type {string | null} */ s) => (s === null || s === "" ? null : Number(s));
  const groups = readdirSync(root).sort();
  return groups.flatMap((group) =>
    readdirSync(`${root}/${group}/devices`)
      .sort()
      .map((address) => {
        const d = `${root}/${group}/devices/${address}`;
        /** @type {string[]} */
        const vfs = [];
        for (let i = 0; ; i++) {
          const vf = linkName(`${d}/virtfn${i}`);
          if (vf === null) break;
          vfs.push(vf);
        }
        return {
          group: Number(group),
          address,
          vendor: hex(readOrNull(`${d}/vendor`)),
          device: hex(readOrNull(`${d}/device`)),
          class: hex(readOrNull(`${d}/class`)),
          driver: linkName(`${d}/driver`),
          physfn: linkName(`${d}/physfn`),
          totalVfs: num(readOrNull(`${d}/sriov_totalvfs`)),
          numVfs: num(readOrNull(`${d}/sriov_numvfs`)),
          vfs,
        };
      }),
  );
}

// The handler answers every request itself, errors included: nothing is left for node:http to catch.
const server = createServer(
  (req, res) =>
    void (async () => {
      try {
        const url = new URL(req.url ?? "/", "http://agent");
        if (req.method === "GET" && url.pathname === "/health") {
          return send(res, 200, { ok: true, ready: existsSync("/run/rig-ready"), kernel: release(), uptime: uptime() });
        }
        if (req.method !== "POST") return send(res, 404, { ok: false, error: { message: `no ${req.method} ${url.pathname}` } });
        const body = await readBody(req);
        switch (url.pathname) {
          case "/exec":
            return send(res, 200, await runExec(body));
          case "/read":
            try {
              const buf = readFileSync(body.path);
              return send(res, 200, { ok: true, content: body.encoding === "base64" ? buf.toString("base64") : buf.toString("utf8") });
            } catch (e) {
              return send(res, 200, { ok: false, error: fsError(e) });
            }
          case "/write":
            try {
              const data = body.encoding === "base64" ? Buffer.from(body.content ?? "", "base64") : String(body.content ?? "");
              writeFileSync(body.path, data, { flag: body.flag ?? "w" });
              return send(res, 200, { ok: true });
            } catch (e) {
              return send(res, 200, { ok: false, error: fsError(e) });
            }
          case "/sysfs-truth":
            return send(res, 200, { ok: true, devices: sysfsTruth() });
          case "/poweroff":
            send(res, 200, { ok: true });
            setTimeout(() => {
              try {
                writeFileSync("/proc/sysrq-trigger", "o");
              } catch {
                process.exit(0);
              }
            }, 100);
            return;
          default:
            return send(res, 404, { ok: false, error: { message: `no POST ${url.pathname}` } });
        }
      } catch (e) {
        const err = /** @type {Error & { status?: number }} */ (e);
        return send(res, err.status ?? 500, { ok: false, error: { message: err.message } });
      }
    })(),
);

server.listen(port, "0.0.0.0", () => console.log(`rig-agent: listening on :${port} (guest only)`));
