/** What the latency commands (targets, stats, compare, annotate, iperf, probe-agent) share. */
import type { CliServices } from "../services";
import type { LatencyFlags } from "../latency-commands";

export const TARGET_NOTE = "<target> is an id, an address or a label (passdeck targets list).";

/** Runs one latency command on the web tier's database. */
export async function runLatency(services: CliServices, command: string, positionals: string[], flags: LatencyFlags): Promise<number> {
  const [{ runLatencyCommand }, openWeb] = await Promise.all([import("../latency-commands"), services.webDb()]);
  return runLatencyCommand(command, positionals, flags, openWeb, () => services.libvirt());
}
