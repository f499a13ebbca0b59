/**
 * iperf3 on demand, against a server the user names: a UDP run with -R (the client receives, so iperf3 reports the
 * RFC 3550 jitter it measured) or a TCP run, parsed from `iperf3 -J`. The result becomes a note on every latency
 * chart at the run's time, so throughput and jitter sit beside the latency of the same period.
 */
import { execFile } from "node:child_process";
import { addressProblem } from "@/lib/probe-target";

export interface IperfRequest {
  server: string;
  port?: number;
  protocol: "udp" | "tcp";
  seconds: number;
  /** UDP target bitrate, e.g. "10M" (iperf3's own default is 1 Mbit/s) */
  bitrate?: string;
}

export interface IperfResult {
  protocol: "udp" | "tcp";
  server: string;
  seconds: number;
  bitsPerSecond: number;
  /** UDP only: RFC 3550 J at the receiver, µs */
  jitterUs: number | null;
  lostPercent: number | null;
  packets: number | null;
  /** the sender's retransmits (TCP) */
  retransmits: number | null;
}

export class IperfError extends Error {}

/** A request's problems, or null; the server is handed to iperf3 as an argument, never through a shell. */
export function iperfRequestProblem(req: IperfRequest): string | null {
  const addr = addressProblem(req.server);
  if (addr) return `iperf3 server: ${addr}`;
  if (!Number.isInteger(req.seconds) || req.seconds < 1 || req.seconds > 60) return "an iperf3 run lasts 1–60 s";
  if (req.port !== undefined && (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535)) return "the iperf3 port is 1–65535";
  if (req.bitrate !== undefined && !/^\d+(\.\d+)?[KMG]?$/.test(req.bitrate)) return 'the bitrate is a number with an optional K, M or G, e.g. "10M"';
  return null;
}

export function iperfArgs(req: IperfRequest): string[] {
  return [
    "-c",
    req.server,
    ...(req.port ? ["-p", String(req.port)] : []),
    "-J",
    "-t",
    String(req.seconds),
    ...(req.protocol === "udp" ? ["-u", "-R", "-b", req.bitrate ?? "10M"] : []),
  ];
}

/** `iperf3 -J` output → the figures; its own "error" field becomes an IperfError with iperf3's words. */
export function parseIperfJson(text: string, req: IperfRequest): IperfResult {
  let doc: { error?: string; end?: { sum?: Record<string, number>; sum_received?: Record<string, number>; sum_sent?: Record<string, number> } };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    throw new IperfError(`iperf3 printed no JSON: ${text.slice(0, 200)}`);
  }
  if (doc.error) throw new IperfError(`iperf3: ${doc.error}${doc.error.includes("connect") ? ` (is \`iperf3 -s\` running on ${req.server}?)` : ""}`);
  const end = doc.end ?? {};
  if (req.protocol === "udp") {
    const sum = end.sum ?? {};
    return {
      protocol: "udp",
      server: req.server,
      seconds: sum.seconds ?? req.seconds,
      bitsPerSecond: sum.bits_per_second ?? 0,
      jitterUs: sum.jitter_ms === undefined ? null : sum.jitter_ms * 1000,
      lostPercent: sum.lost_percent ?? null,
      packets: sum.packets ?? null,
      retransmits: null,
    };
  }
  return {
    protocol: "tcp",
    server: req.server,
    seconds: end.sum_received?.seconds ?? req.seconds,
    bitsPerSecond: end.sum_received?.bits_per_second ?? 0,
    jitterUs: null,
    lostPercent: null,
    packets: null,
    retransmits: end.sum_sent?.retransmits ?? null,
  };
}

export function runIperf(req: IperfRequest, command = "iperf3"): Promise<IperfResult> {
  const problem = iperfRequestProblem(req);
  if (problem) return Promise.reject(new IperfError(problem));
  return new Promise((resolve, reject) => {
    // The binary is a parameter for tests; nothing under it belongs in the build trace.
    execFile(/*turbopackIgnore: true*/ command, iperfArgs(req), { timeout: (req.seconds + 15) * 1000, env: { ...process.env, LC_ALL: "C" } }, (err, stdout) => {
      if (err && (err as NodeJS.ErrnoException).code === "ENOENT") return reject(new IperfError("iperf3 is not installed (apt install iperf3)"));
      try {
        resolve(parseIperfJson(stdout, req));
      } catch (parseErr) {
        reject(parseErr instanceof IperfError ? parseErr : new IperfError(String(parseErr)));
      }
    });
  });
}

/** The note drawn on the charts: "iperf3 UDP ← 10.0.0.5: 9.99 Mbit/s, J 12 µs, loss 0 %, 10 s". */
export function iperfNote(r: IperfResult): string {
  const rate = r.bitsPerSecond >= 1e9 ? `${(r.bitsPerSecond / 1e9).toFixed(2)} Gbit/s` : `${(r.bitsPerSecond / 1e6).toFixed(2)} Mbit/s`;
  if (r.protocol === "udp")
    return `iperf3 UDP ← ${r.server}: ${rate}, J ${r.jitterUs === null ? "—" : `${Math.round(r.jitterUs)} µs`}, loss ${r.lostPercent ?? "—"} %, ${Math.round(r.seconds)} s`;
  return `iperf3 TCP → ${r.server}: ${rate}, ${r.retransmits ?? 0} retransmits, ${Math.round(r.seconds)} s`;
}
