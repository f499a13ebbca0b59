import { z } from "zod";
import { parseDuration } from "@/lib/probe-target";
import { DEFAULT_PROC_ROOT, DEFAULT_SYS_ROOT } from "@/server/host/roots";
import { HostConfigError, parseAllowedHosts, parseTrustedProxies } from "@/server/http/hosts.mjs";

/**
 * The one place that knows the real host's paths. Everything else receives the roots as values,
 * so a scenario tree or an unpacked capture is read by the same code as the live host.
 */
const duration = (fallback: string) =>
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

/** A list checked by server/http/hosts.mjs, the code scripts/serve.mjs runs, so both give the same message. */
const hostList = (parse: (text: string) => unknown) =>
  z
    .string()
    .optional()
    .superRefine((text, ctx) => {
      try {
        if (text !== undefined) parse(text);
      } catch (err) {
        if (!(err instanceof HostConfigError)) throw err;
        ctx.addIssue({ code: "custom", message: err.message.replace(/^PASSDECK_\w+: /, "") });
      }
    });

const envSchema = z.object({
  PASSDECK_SYS_ROOT: z.string().min(1).default(DEFAULT_SYS_ROOT),
  PASSDECK_PROC_ROOT: z.string().min(1).default(DEFAULT_PROC_ROOT),
  PASSDECK_PCI_IDS: z.string().min(1).optional(),
  /** set by `npm run demo`: the scenario name, shown as a banner so nobody mistakes it for their host */
  PASSDECK_DEMO: z.string().min(1).optional(),
  /**
   * With PASSDECK_DEMO: the directory the server writes the scenario's tree into and then owns through a simulated
   * kernel, so the demo applies real plans. Without it a demo tree (PASSDECK_SYS_ROOT) is read-only.
   */
  PASSDECK_DEMO_DIR: z.string().min(1).optional(),
  /** Passdeck's state: host/ (the journal, desired state and audit; root's) and web/ (accounts, latency; the web user's) */
  PASSDECK_DATA_DIR: z.string().min(1).default("/var/lib/passdeck"),
  PASSDECK_HOST: z.string().min(1).default("127.0.0.1"),
  /**
   * Names and addresses the dashboard also answers to, comma-separated, each optionally with :port (a port forward):
   * a DNS name users type, a reverse proxy's public name. Always allowed: PASSDECK_HOST, this host's addresses and
   * host name, localhost, 127.0.0.1, [::1]. Any other Host header gets 421 (DNS rebinding), and the Origin of a
   * signed-in change must name one of these.
   */
  PASSDECK_ALLOWED_HOSTS: hostList(parseAllowedHosts),
  /**
   * Reverse proxies' addresses (comma-separated): only from these peers are X-Forwarded-For (the client, for the
   * audit trail and the login limiter), X-Forwarded-Proto and X-Forwarded-Host believed. Unset: none is.
   */
  PASSDECK_TRUSTED_PROXY: hostList(parseTrustedProxies),
  /** Open connections one client address may hold (default 32; a trusted proxy is exempt); more are closed at once. */
  PASSDECK_MAX_CONNECTIONS_PER_SOURCE: z.coerce.number().int().min(1).max(1024).default(32),
  /** Internal: the allow-list scripts/serve.mjs computed, for Next's code in the same process. Not for users. */
  PASSDECK_HOST_POLICY: z.string().optional(),
  /**
   * The user the web server and the probe agent run as (a name, or uid:gid) when root starts Passdeck (npm start,
   * or the helper's unit): it owns <data dir>/web, and its group may read the host records and open the helper's
   * socket. Unset: root serves alone.
   */
  PASSDECK_WEB_USER: z
    .string()
    .regex(/^([a-z_][a-z0-9_.-]{0,31}|\d+:\d+)$/, "is a user name or uid:gid")
    .optional(),
  /** the privileged helper's socket; the web server applies plans through it when it exists */
  PASSDECK_HELPER_SOCKET: z.string().min(1).default("/run/passdeck/helper.sock"),
  /** the dead-man switch: seconds to confirm a plan that touches networking before it is undone */
  PASSDECK_CONFIRM_WINDOW_S: z.coerce.number().int().min(5).max(3600).default(60),
  /**
   * TLS for the dashboard: "self-signed" generates a certificate in the data directory on first start (its SHA-256
   * fingerprint is printed); "files" uses PASSDECK_TLS_CERT and PASSDECK_TLS_KEY (PEM files); "off" serves plain
   * HTTP. Unset: self-signed when PASSDECK_HOST is beyond loopback, plain HTTP on loopback. "off" beyond loopback
   * prints a warning at every start (passwords and cookies in the clear); behind a TLS reverse proxy, listen on
   * 127.0.0.1 instead. Under TLS the session cookie is __Host-passdeck_session.
   */
  PASSDECK_TLS: z.enum(["self-signed", "files", "off"], { message: 'PASSDECK_TLS is "self-signed", "files" or "off"' }).optional(),
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
  PASSDECK_PORT: z.coerce.number().int().min(1).max(65535).default(7878),
  /**
   * Latency retention (durations such as 48h, 30d, 1y): raw samples, 10 s, 1 min and 1 h rollups. Longer keeps more
   * detail for the before/after verdict (raw) and for history, at the cost of disk (raw: ~40 bytes per probe).
   */
  PASSDECK_KEEP_RAW: duration("48h"),
  PASSDECK_KEEP_10S: duration("30d"),
  PASSDECK_KEEP_1M: duration("1y"),
  PASSDECK_KEEP_1H: duration("5y"),
});

export type PassdeckEnv = z.infer<typeof envSchema>;

export function readEnv(source: Record<string, string | undefined> = process.env): PassdeckEnv {
  // An empty variable (PASSDECK_DEMO= in a unit file) means unset, as shells and systemd users expect.
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid Passdeck environment: ${detail}`);
  }
  return parsed.data;
}
