/**
 * Every PASSDECK_* environment variable: its name, its default and its check, in one place. Plain ESM with JSDoc
 * types so that scripts/start.mjs and scripts/serve.mjs, which node runs without TypeScript, read the same values
 * as the server and the CLI (server/env.ts re-exports this with its TypeScript types). No other file reads
 * process.env.PASSDECK_* (server/env-spec.test.ts checks). An empty variable (PASSDECK_DEMO= in a unit file) means
 * unset, as shells and systemd users expect.
 *
 * This is also the one place that knows the real host's paths (/sys, /proc). Everything else receives the roots as
 * values, so a scenario tree or an unpacked capture is read by the same code as the live host.
 */
import { resolve } from "node:path";
import { z } from "zod";
import { parseDuration } from "../lib/duration.mjs";
import { DEFAULT_PROC_ROOT, DEFAULT_SYS_ROOT } from "./env-roots.mjs";
import { HostConfigError, parseAllowedHosts, parseTrustedProxies, tlsChoice } from "./http/hosts.mjs";

/** @typedef {Record<string, string | undefined>} EnvSource */

/** The most connections the production server holds open at once; one client address gets at most this many. */
export const MAX_CONNECTIONS = 1024;

/**
 * Settings that cannot work: every bad variable named with what it takes instead (problems, one sentence each, the
 * way scripts/serve.mjs and scripts/start.mjs print them before they stop).
 */
export class EnvError extends Error {
  /** @param {string[]} problems */
  constructor(problems) {
    super(`Invalid Passdeck environment: ${problems.join("; ")}`);
    /** @readonly */
    this.problems = problems;
  }
}

// An issue's message is what follows the variable's name: "is a port number (1-65535), not "0"" reads
// "PASSDECK_PORT is a port number…"; any other message follows "NAME: ".
/** @param {{ path: PropertyKey[]; message: string }} issue */
const problemOf = (issue) => {
  const name = issue.path.map(String).join(".");
  return issue.message.startsWith("is ") ? `${name} ${issue.message}` : `${name}: ${issue.message}`;
};

/**
 * A retention: a duration of at least an hour, in milliseconds.
 * @param {string} fallback
 */
const duration = (fallback) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === null || ms < 3_600_000) {
        ctx.addIssue({ code: "custom", message: `"${text}" is not a duration of at least an hour (e.g. 48h, 30d, 1y)` });
        return z.NEVER;
      }
      return ms;
    });

/**
 * A whole number from min to max (what: "a port number (1-65535)", ...), fallback when unset. digitsOnly: nothing but
 * digits (no "1e2", " 32" or "0x20", which Number() would take).
 * @param {{ fallback: number; min: number; max: number; what: string; digitsOnly?: boolean }} options
 */
const wholeNumber = ({ fallback, min, max, what, digitsOnly = false }) =>
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return fallback;
      const n = Number(text);
      if ((digitsOnly && !/^\d+$/.test(text)) || !Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `is ${what}, not "${text}"` });
        return z.NEVER;
      }
      return n;
    });

/**
 * A setting checked by server/http/hosts.mjs, the code scripts/serve.mjs builds the Host allow-list with, in its words.
 * @param {(text: string) => unknown} parse
 */
const hostSetting = (parse) =>
  z
    .string()
    .optional()
    .superRefine((text, ctx) => {
      try {
        if (text !== undefined) parse(text);
      } catch (err) {
        if (!(err instanceof HostConfigError)) throw err;
        ctx.addIssue({ code: "custom", message: err.message.replace(/^PASSDECK_\w+:? /, "") });
      }
    });

export const envSchema = z.object({
  PASSDECK_SYS_ROOT: z.string().min(1).default(DEFAULT_SYS_ROOT),
  PASSDECK_PROC_ROOT: z.string().min(1).default(DEFAULT_PROC_ROOT),
  PASSDECK_PCI_IDS: z.string().min(1).optional(),
  /** set by `npm run demo`: the scenario name, shown as a banner so nobody mistakes it for their host */
  PASSDECK_DEMO: z.string().min(1).optional(),
  /**
   * With PASSDECK_DEMO: the directory the server writes the scenario's tree into and then owns through a simulated
   * kernel, so the demo applies real plans. Without it a demo tree (PASSDECK_SYS_ROOT) is read-only. `npm run demo`
   * defaults it (demoDirs below).
   */
  PASSDECK_DEMO_DIR: z.string().min(1).optional(),
  /** Passdeck's state: host/ (the journal, desired state and audit; root's) and web/ (accounts, latency; the web user's) */
  PASSDECK_DATA_DIR: z.string().min(1).default("/var/lib/passdeck"),
  PASSDECK_HOST: z.string().min(1).default("127.0.0.1"),
  PASSDECK_PORT: wholeNumber({ fallback: 7878, min: 1, max: 65535, what: "a port number (1-65535)" }),
  /**
   * Names and addresses the dashboard also answers to, comma-separated, each optionally with :port (a port forward):
   * a DNS name users type, a reverse proxy's public name. Always allowed: PASSDECK_HOST, this host's addresses and
   * host name, localhost, 127.0.0.1, [::1]. Any other Host header gets 421 (DNS rebinding), and the Origin of a
   * signed-in change must name one of these.
   */
  PASSDECK_ALLOWED_HOSTS: hostSetting(parseAllowedHosts),
  /**
   * Reverse proxies' addresses (comma-separated): only from these peers are X-Forwarded-For (the client, for the
   * audit trail and the login limiter), X-Forwarded-Proto and X-Forwarded-Host believed. Unset: none is.
   */
  PASSDECK_TRUSTED_PROXY: hostSetting(parseTrustedProxies),
  /** Open connections one client address may hold (default 32; a trusted proxy is exempt); more are closed at once. */
  PASSDECK_MAX_CONNECTIONS_PER_SOURCE: wholeNumber({
    fallback: 32,
    min: 1,
    max: MAX_CONNECTIONS,
    what: `a whole number of connections from 1 to ${MAX_CONNECTIONS}`,
    digitsOnly: true,
  }),
  /** Internal: the allow-list scripts/serve.mjs computed, for Next's code in the same process. Not for users. */
  PASSDECK_HOST_POLICY: z.string().optional(),
  /**
   * The user the web server and the probe agent run as (a name, or uid:gid) when root starts Passdeck (npm start,
   * or the helper's unit): it owns <data dir>/web, and its group may read the host records and open the helper's
   * socket. Unset: root serves alone.
   */
  PASSDECK_WEB_USER: z
    .string()
    .optional()
    .superRefine((text, ctx) => {
      if (text !== undefined && !/^([a-z_][a-z0-9_.-]{0,31}|\d+:\d+)$/.test(text))
        ctx.addIssue({ code: "custom", message: `is a user name (e.g. passdeck) or uid:gid (e.g. 997:997), not "${text}"` });
    }),
  /**
   * the group that may open the helper's socket when no PASSDECK_WEB_USER is given (passdeck helper). Exact-optional
   * (never present as undefined) because runHelper's type adds it as `PASSDECK_HELPER_GROUP?: string`.
   */
  PASSDECK_HELPER_GROUP: z.string().min(1).exactOptional(),
  /** the privileged helper's socket; the web server applies plans through it when it exists */
  PASSDECK_HELPER_SOCKET: z.string().min(1).default("/run/passdeck/helper.sock"),
  /** the dead-man switch: seconds to confirm a plan that touches networking before it is undone */
  PASSDECK_CONFIRM_WINDOW_S: wholeNumber({ fallback: 60, min: 5, max: 3600, what: "a whole number of seconds from 5 to 3600" }),
  /** npm start runs the probe agent unless this is 0 (any other value, or none, runs it): true when it runs */
  PASSDECK_PROBE_AGENT: z
    .string()
    .optional()
    .transform((text) => text !== "0"),
  /**
   * TLS for the dashboard: "self-signed" generates a certificate in the data directory on first start (its SHA-256
   * fingerprint is printed); "files" uses PASSDECK_TLS_CERT and PASSDECK_TLS_KEY (PEM files); "off" serves plain
   * HTTP. Unset: self-signed when PASSDECK_HOST is beyond loopback, plain HTTP on loopback (server/http/hosts.mjs
   * tlsChoice). "off" beyond loopback prints a warning at every start (passwords and cookies in the clear); behind a
   * TLS reverse proxy, listen on 127.0.0.1 instead. Under TLS the session cookie is __Host-passdeck_session.
   */
  PASSDECK_TLS: hostSetting((text) => tlsChoice("127.0.0.1", text)).transform((text) => /** @type {"self-signed" | "files" | "off" | undefined} */ (text)),
  PASSDECK_TLS_CERT: z.string().min(1).optional(),
  PASSDECK_TLS_KEY: z.string().min(1).optional(),
  /**
   * The libvirt connection VMs live on (default qemu:///system on a real host). A demo host has none unless this is
   * set: a simulated host's addresses must never be attached to the real VMs of the machine running the demo.
   */
  PASSDECK_LIBVIRT_URI: z.string().min(1).optional(),
  /**
   * Where libvirt keeps its saved VM definitions (default /etc/libvirt/qemu with qemu:///system): read only when
   * libvirtd does not answer, to name the stopped VMs a plan's devices are configured in.
   */
  PASSDECK_LIBVIRT_CONFIG_DIR: z.string().min(1).optional(),
  /**
   * Latency retention (durations such as 48h, 30d, 1y): raw samples, 10 s, 1 min and 1 h rollups. Longer keeps more
   * detail for the before/after verdict (raw) and for history, at the cost of disk (raw: ~40 bytes per probe).
   */
  PASSDECK_KEEP_RAW: duration("48h"),
  PASSDECK_KEEP_10S: duration("30d"),
  PASSDECK_KEEP_1M: duration("1y"),
  PASSDECK_KEEP_1H: duration("5y"),
});

/** @typedef {z.infer<typeof envSchema>} PassdeckEnv */

/**
 * The variables that are set (an empty one is not).
 * @param {EnvSource} source
 * @returns {Record<string, string>}
 */
function present(source) {
  return /** @type {Record<string, string>} */ (Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== "")));
}

/**
 * The environment, checked, with the defaults filled in. Throws an EnvError naming every bad variable and what it
 * takes.
 * @param {EnvSource} [source]
 * @returns {PassdeckEnv}
 */
export function readEnv(source = process.env) {
  const parsed = envSchema.safeParse(present(source));
  if (!parsed.success) throw new EnvError(parsed.error.issues.map(problemOf));
  return parsed.data;
}

/**
 * Where `npm run demo <scenario>` keeps the simulated host: PASSDECK_DEMO_DIR, else .cache/demo/<scenario> in the
 * checkout; its data directory is PASSDECK_DATA_DIR when that is set, else data/ inside the demo's directory.
 * @param {string} scenario
 * @param {EnvSource} [source]
 * @returns {{ demoDir: string; dataDir: string }}
 */
export function demoDirs(scenario, source = process.env) {
  const given = present(source);
  const demoDir = resolve(given.PASSDECK_DEMO_DIR ?? resolve(".cache/demo", scenario));
  return { demoDir, dataDir: given.PASSDECK_DATA_DIR ?? resolve(demoDir, "data") };
}

/**
 * The Host allow-list scripts/serve.mjs published for Next's code in the same process (JSON), if it did.
 * @param {EnvSource} [source]
 * @returns {string | undefined}
 */
export function publishedHostPolicy(source = process.env) {
  const raw = source.PASSDECK_HOST_POLICY;
  return raw === "" ? undefined : raw;
}

/**
 * Publishes the Host allow-list (serve.mjs, at start and when the host's addresses change).
 * @param {import("./http/hosts.mjs").HostPolicy} policy
 * @param {EnvSource} [target]
 */
export function publishHostPolicy(policy, target = process.env) {
  target.PASSDECK_HOST_POLICY = JSON.stringify(policy);
}
