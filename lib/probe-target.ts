/**
 * What a latency target is, validated the same way in the browser form, the tRPC input and the CLI. An address is
 * handed to `ping` as an argument (never through a shell), and it can never be mistaken for an option.
 */
import { z } from "zod";

export const PROBE_KINDS = ["icmp", "tcp"] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

/** Fastest probing the store is sized for: 100 probes/s is 17 M raw rows per target in the 48 h raw retention. */
export const MIN_INTERVAL_MS = 10;
/** A TCP probe opens a connection each time: a target's service should not see more than 10 per second. */
export const MIN_TCP_INTERVAL_MS = 100;
export const MAX_INTERVAL_MS = 60_000;
export const DEFAULT_INTERVAL_MS = 200;
export const DEFAULT_TIMEOUT_MS = 1_000;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:]+(%[A-Za-z0-9_.-]+)?$/;
const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** null when `address` is an IPv4/IPv6 address or a DNS host name; otherwise what is wrong with it. */
export function addressProblem(address: string): string | null {
  if (address.length === 0) return "the address is empty: give an IP address (10.0.0.5, fd00::5) or a host name";
  if (address.length > 253) return "the address is longer than a host name can be (253 characters)";
  if (IPV4.test(address)) return null;
  if (address.includes(":")) return IPV6.test(address) && address.split("::").length <= 2 ? null : `"${address}" is not an IPv6 address`;
  if (/^[\d.]+$/.test(address)) return `"${address}" is not an IPv4 address (four numbers 0–255 separated by dots)`;
  const labels = address.replace(/\.$/, "").split(".");
  if (labels.every((l) => HOST_LABEL.test(l))) return null;
  return `"${address}" is neither an IP address nor a host name (letters, digits, hyphens and dots; no spaces, no leading hyphen)`;
}

export const probeTargetInput = z
  .object({
    address: z
      .string()
      .trim()
      .superRefine((a, ctx) => {
        const problem = addressProblem(a);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    kind: z.enum(PROBE_KINDS).default("icmp"),
    port: z.number().int().min(1, "a TCP port is 1–65535").max(65535, "a TCP port is 1–65535").optional(),
    intervalMs: z
      .number()
      .int("the interval is whole milliseconds")
      .min(MIN_INTERVAL_MS, `the interval must be at least ${MIN_INTERVAL_MS} ms (100 probes per second)`)
      .max(MAX_INTERVAL_MS, `the interval must be at most ${MAX_INTERVAL_MS / 1000} s`)
      .default(DEFAULT_INTERVAL_MS),
    timeoutMs: z.number().int().min(10, "the timeout must be at least 10 ms").max(60_000, "the timeout must be at most 60 s").default(DEFAULT_TIMEOUT_MS),
    label: z
      .string()
      .trim()
      .max(64, "a label is at most 64 characters")
      .regex(/^[^\u0000-\u001f\u007f]*$/, "a label has no control characters")
      .optional(),
    vmUuid: z.string().uuid().optional(),
  })
  .superRefine((t, ctx) => {
    if (t.kind === "tcp" && t.port === undefined) ctx.addIssue({ code: "custom", path: ["port"], message: "a TCP probe needs a port (--kind tcp:22)" });
    if (t.kind === "icmp" && t.port !== undefined)
      ctx.addIssue({ code: "custom", path: ["port"], message: "an ICMP probe has no port (use --kind tcp:<port> for TCP)" });
    if (t.kind === "tcp" && t.intervalMs < MIN_TCP_INTERVAL_MS)
      ctx.addIssue({
        code: "custom",
        path: ["intervalMs"],
        message: `a TCP probe opens a connection each time: the interval must be at least ${MIN_TCP_INTERVAL_MS} ms`,
      });
  });

export type ProbeTargetInput = z.input<typeof probeTargetInput>;
export type ProbeTargetSpec = z.output<typeof probeTargetInput>;

/** "icmp", "tcp:22" → kind and port, for the CLI's --kind. */
export function parseKind(text: string): { kind: ProbeKind; port?: number } | string {
  if (text === "icmp") return { kind: "icmp" };
  const m = /^tcp:(\d{1,5})$/.exec(text);
  if (m) return { kind: "tcp", port: Number(m[1]) };
  return `--kind must be icmp or tcp:<port> (e.g. tcp:22), not "${text}"`;
}

export function targetName(t: { address: string; kind: ProbeKind; port: number | null | undefined; label?: string | null }): string {
  const where = t.kind === "tcp" ? `${t.address.includes(":") ? `[${t.address}]` : t.address}:${t.port} (tcp)` : t.address;
  return t.label ? `${t.label} — ${where}` : where;
}

/** Durations the CLI and the URL accept: 30s, 5m, 2h, 7d, 1y (one parser, shared with the environment's). */
export { parseDuration } from "./duration.mjs";
