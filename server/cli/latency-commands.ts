/**
 * `passdeck targets|stats|compare|annotate|probe-agent`: latency targets and their statistics, read from the same
 * store the charts read. Times in the JSON are microseconds. Exit codes: 0 ok, 1 nothing to report, 2 invalid input.
 */
import { userInfo } from "node:os";
import { parseDuration, parseKind, probeTargetInput, type ProbeTargetInput } from "@/lib/probe-target";
import type { Db } from "@/server/db/database";
import { readEnv } from "@/server/env";
import { ProbeAgent } from "@/server/probes/agent";
import { compareAround, DEFAULT_SETTLE_MS, DEFAULT_WINDOW_MS } from "@/server/probes/compare";
import { iperfNote, IperfError, iperfRequestProblem, runIperf, type IperfRequest } from "@/server/probes/iperf";
import { targetOverview, windowStats } from "@/server/probes/series";
import { agentAlive } from "@/server/probes/agent-lease";
import { openProbeStores, type ProbeStores } from "@/server/probes/stores";
import { type ProbeTarget, TargetConflict } from "@/server/probes/target-store";
import { formatMicros } from "@/server/probes/verdict";
import type { LibvirtService } from "@/server/libvirt/service";
import { InvalidInput } from "./errors";

export interface LatencyFlags {
  json: boolean;
  intervalMs?: string | undefined;
  kind?: string | undefined;
  label?: string | undefined;
  since?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  at?: string | undefined;
  window?: string | undefined;
  settle?: string | undefined;
  thresholdUs?: string | undefined;
  vm?: string | undefined;
  tcp?: boolean | undefined;
  seconds?: string | undefined;
  bitrate?: string | undefined;
  port?: string | undefined;
}

export async function runLatencyCommand(
  command: string,
  positionals: string[],
  flags: LatencyFlags,
  openDb: () => Db,
  libvirt: () => Promise<LibvirtService | null> = () => Promise.resolve(null),
): Promise<number> {
  const store = openProbeStores(openDb());
  switch (command) {
    case "targets":
      if (positionals[0] === "add" && flags.vm !== undefined) return addVmTargets(store, flags, await libvirt());
      return targetsCommand(store, positionals, flags);
    case "stats":
      return statsCommand(store, positionals, flags);
    case "compare":
      return compareCommand(store, positionals, flags);
    case "annotate": {
      const text = positionals.join(" ").trim();
      if (!text) throw new InvalidInput('passdeck annotate needs the text of the note, e.g. passdeck annotate "moved vm1 to a VF"');
      if (text.length > 200) throw new InvalidInput("an annotation is at most 200 characters");
      const atMs = flags.at ? timeArg(flags.at, "--at") : Date.now();
      const a = store.notes.add(atMs, text, userInfo().username);
      console.log(flags.json ? JSON.stringify(a, null, 2) : `Annotation #${a.id} at ${new Date(a.atMs).toISOString()}: ${a.text}`);
      return 0;
    }
    case "iperf": {
      const server = positionals[0];
      if (!server) throw new InvalidInput("passdeck iperf needs the server running iperf3 -s, e.g. passdeck iperf 192.168.1.20");
      const req: IperfRequest = {
        server,
        protocol: flags.tcp ? "tcp" : "udp",
        seconds: flags.seconds ? intArg(flags.seconds, "--seconds") : 10,
        ...(flags.bitrate ? { bitrate: flags.bitrate } : {}),
        ...(flags.port ? { port: intArg(flags.port, "--port") } : {}),
      };
      const problem = iperfRequestProblem(req);
      if (problem) throw new InvalidInput(problem);
      const startedMs = Date.now();
      try {
        const result = await runIperf(req);
        const note = store.notes.add(startedMs, iperfNote(result), userInfo().username);
        console.log(flags.json ? JSON.stringify({ result, note }, null, 2) : note.text);
        return 0;
      } catch (err) {
        if (err instanceof IperfError) {
          console.error(`passdeck: ${err.message}`);
          return 1;
        }
        throw err;
      }
    }
    case "probe-agent":
      return runAgent(store);
    default:
      throw new InvalidInput(`unknown command "${command}"`);
  }
}

/** Every IPv4 address libvirt knows for a running VM (IPv6 when it has none), each as a target labelled with the VM. */
async function addVmTargets(store: ProbeStores, flags: LatencyFlags, libvirt: LibvirtService | null): Promise<number> {
  if (!libvirt) throw new InvalidInput("there is no libvirt connection (PASSDECK_LIBVIRT_URI)");
  const ref = flags.vm!;
  const vm = (await libvirt.domains.list()).find((d) => d.name === ref || d.uuid === ref);
  if (!vm) throw new InvalidInput(`no VM "${ref}" (passdeck vm list shows them)`);
  if (!vm.active) throw new InvalidInput(`${vm.name} is not running: libvirt knows a VM's addresses only while it runs`);
  const found = await libvirt.domains.interfaceAddresses(vm.uuid);
  const v4 = found.filter((a) => a.family === "ipv4");
  const chosen = v4.length ? v4 : found;
  if (chosen.length === 0)
    throw new InvalidInput(
      `libvirt knows no address of ${vm.name} (no DHCP lease on a libvirt network, no ARP entry, no qemu-guest-agent): give the address, passdeck targets add <address> --label ${vm.name}`,
    );
  const added: ProbeTarget[] = [];
  for (const a of chosen) {
    try {
      added.push(
        store.targets.add({
          address: a.address,
          label: chosen.length > 1 ? `${vm.name} ${a.name}` : vm.name,
          vmUuid: vm.uuid,
          ...(flags.intervalMs !== undefined ? { intervalMs: intArg(flags.intervalMs, "--interval-ms") } : {}),
        }),
      );
    } catch (err) {
      if (!(err instanceof TargetConflict)) throw err;
      console.error(`passdeck: ${err.message}`);
    }
  }
  console.log(
    flags.json
      ? JSON.stringify(added, null, 2)
      : added.map((t) => `Target ${t.id}: ${t.name}, every ${t.intervalMs} ms (from ${found.find((a) => a.address === t.address)?.source}).`).join("\n"),
  );
  return added.length ? 0 : 2;
}

function targetsCommand(store: ProbeStores, positionals: string[], flags: LatencyFlags): number {
  const [verb, ...args] = positionals;
  if (verb === "add") {
    const address = args[0];
    if (!address) throw new InvalidInput("passdeck targets add needs an address, e.g. passdeck targets add 192.168.1.20");
    const input: ProbeTargetInput = { address };
    if (flags.kind !== undefined) {
      const k = parseKind(flags.kind);
      if (typeof k === "string") throw new InvalidInput(k);
      input.kind = k.kind;
      if (k.port !== undefined) input.port = k.port;
    }
    if (flags.intervalMs !== undefined) input.intervalMs = intArg(flags.intervalMs, "--interval-ms");
    if (flags.label !== undefined) input.label = flags.label;
    const parsed = probeTargetInput.safeParse(input);
    if (!parsed.success) throw new InvalidInput(parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ` : "") + i.message).join("; "));
    let t: ProbeTarget;
    try {
      t = store.targets.add(parsed.data);
    } catch (err) {
      if (err instanceof TargetConflict) throw new InvalidInput(err.message);
      throw err;
    }
    const agent = store.agent.current();
    const agentNote = agentAlive(agent, Date.now()) ? "" : "\nNo probe agent is running: npm start runs one, or run `passdeck probe-agent`.";
    console.log(flags.json ? JSON.stringify(t, null, 2) : `Target ${t.id}: ${t.name}, every ${t.intervalMs} ms.${agentNote}`);
    return 0;
  }
  if (verb === "remove") {
    const t = targetArg(store, args[0]);
    store.targets.remove(t.id);
    console.log(flags.json ? JSON.stringify(store.targets.get(t.id), null, 2) : `Stopped probing ${t.name} (its history stays until retention prunes it).`);
    return 0;
  }
  if (verb !== undefined && verb !== "list") throw new InvalidInput(`unknown "targets ${verb}": use targets add|list|remove`);
  const overview = targetOverview(store, Date.now());
  const rows = overview.targets;
  if (flags.json) console.log(JSON.stringify(overview, null, 2));
  else if (rows.length === 0) console.log("No latency targets: passdeck targets add <address> adds one.");
  else
    for (const r of rows)
      console.log(
        `${String(r.id).padStart(3)}  ${r.name.padEnd(32)} every ${r.intervalMs} ms  ${r.state.padEnd(9)} last minute: ${r.lastMinute.n}/${r.lastMinute.sent} replies` +
          (r.lastMinute.p50 !== null ? `, p50 ${formatMicros(r.lastMinute.p50)}, p99 ${formatMicros(r.lastMinute.p99!)}` : "") +
          (r.message ? `\n       ${r.message}` : ""),
      );
  return 0;
}

function statsCommand(store: ProbeStores, positionals: string[], flags: LatencyFlags): number {
  const t = targetArg(store, positionals[0]);
  const now = Date.now();
  let fromMs: number;
  let toMs: number;
  if (flags.from !== undefined || flags.to !== undefined) {
    if (flags.since !== undefined) throw new InvalidInput("give either --since or --from/--to, not both");
    fromMs = flags.from ? timeArg(flags.from, "--from") : now - 5 * 60_000;
    toMs = flags.to ? timeArg(flags.to, "--to") : now;
  } else {
    const since = flags.since ? durationArg(flags.since, "--since") : 5 * 60_000;
    fromMs = now - since;
    toMs = now;
  }
  if (toMs <= fromMs) throw new InvalidInput("--to must be after --from");
  const w = windowStats(store, t.id, fromMs, toMs);
  const s = w.summary;
  const json = {
    target: t.name,
    target_id: t.id,
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    source: w.source,
    interval_ms: w.intervalMs,
    n: s.n,
    sent: s.sent,
    loss: s.loss,
    loss_longest_burst: s.lossBursts.longest,
    min: s.min,
    p50: s.p50,
    p90: s.p90,
    p95: s.p95,
    p99: s.p99,
    p999: s.p999,
    max: s.max,
    mean: s.mean,
    mdev: s.mdev,
    pdv_p50: s.pdv.p50,
    pdv_p99: s.pdv.p99,
    pdv_p999: s.pdv.p999,
    ipdv_mean_abs: s.ipdv.meanAbs,
    ipdv_p99_abs: s.ipdv.p99Abs,
    jitter_rfc3550: s.jitterRfc3550,
    prober_lag_p99: w.proberLagP99Us,
    prober_gaps: w.gaps,
  };
  if (flags.json) console.log(JSON.stringify(json, null, 2));
  else {
    const us = (x: number | null) => (x === null ? "—" : formatMicros(x));
    console.log(`${t.name}, ${json.from} → ${json.to} (${w.source === "raw" ? "every probe" : `${w.source} rollups`})`);
    console.log(`  sent ${s.sent}, N ${s.n}, loss ${s.loss === null ? "—" : `${(s.loss * 100).toFixed(2)} %`} (longest burst ${s.lossBursts.longest})`);
    console.log(
      `  RTT min ${us(s.min)}  p50 ${us(s.p50)}  p90 ${us(s.p90)}  p95 ${us(s.p95)}  p99 ${us(s.p99)}  p99.9 ${us(s.p999)}${s.n < 10_000 ? " (low confidence: N < 10,000)" : ""}  max ${us(s.max)}`,
    );
    console.log(`  PDV p50 ${us(s.pdv.p50)}  p99 ${us(s.pdv.p99)}   IPDV mean |·| ${us(s.ipdv.meanAbs)}   J (RFC 3550) ${us(s.jitterRfc3550)}`);
    console.log(`  prober lateness p99 ${us(w.proberLagP99Us)}, gaps ${w.gaps}`);
  }
  return s.sent === 0 ? 1 : 0;
}

function compareCommand(store: ProbeStores, positionals: string[], flags: LatencyFlags): number {
  const t = targetArg(store, positionals[0]);
  if (!flags.at) throw new InvalidInput("passdeck compare needs --at <ISO time>: the moment of the change (passdeck journal lists them)");
  const atMs = timeArg(flags.at, "--at");
  const outcome = compareAround(store, {
    targetId: t.id,
    atMs,
    windowMs: flags.window ? durationArg(flags.window, "--window") : DEFAULT_WINDOW_MS,
    settleMs: flags.settle ? durationArg(flags.settle, "--settle") : DEFAULT_SETTLE_MS,
    ...(flags.thresholdUs ? { thresholdUs: intArg(flags.thresholdUs, "--threshold-us") } : {}),
  });
  if (!outcome.ok) {
    console.error(`passdeck: ${outcome.reason}`);
    return 1;
  }
  const v = outcome.verdict;
  if (flags.json) {
    console.log(
      JSON.stringify({ target: t.name, target_id: t.id, at: new Date(atMs).toISOString(), windows: outcome.windows, pending: outcome.pending, ...v }, null, 2),
    );
    return 0;
  }
  const us = (x: number | null) => (x === null ? "—" : formatMicros(x));
  console.log(`${t.name} around ${new Date(atMs).toISOString()}: ${v.headline}`);
  if (outcome.pending) console.log("  (the window after the change is not over yet: run again later for the full window)");
  console.log(`  N before ${v.before.summary.n}, after ${v.after.summary.n}`);
  for (const d of v.deltas)
    console.log(
      `  ${d.metric.padEnd(13)} ${d.metric === "loss" || d.metric === "fractionUnder" ? pct(d.before) : us(d.before)} → ${d.metric === "loss" || d.metric === "fractionUnder" ? pct(d.after) : us(d.after)}`,
    );
  if (v.intervals)
    console.log(
      `  Δp50 95 % CI [${us(v.intervals.p50.low)}, ${us(v.intervals.p50.high)}], Δp99 95 % CI [${us(v.intervals.p99.low)}, ${us(v.intervals.p99.high)}]`,
    );
  if (v.mannWhitney) console.log(`  Mann-Whitney U ${v.mannWhitney.u}, z ${v.mannWhitney.z.toFixed(2)}, p ${v.mannWhitney.pValue.toExponential(2)}`);
  for (const w of v.warnings) console.log(`  ${w.level}: ${w.message}`);
  return 0;
}

const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(2)} %`);

function targetArg(store: ProbeStores, ref: string | undefined): ProbeTarget {
  if (!ref) throw new InvalidInput("the target is missing: give its id, address or label (passdeck targets list)");
  let t: ProbeTarget | null;
  try {
    t = store.targets.find(ref);
  } catch (err) {
    if (err instanceof TargetConflict) throw new InvalidInput(err.message);
    throw err;
  }
  if (!t) throw new InvalidInput(`no latency target "${ref}": passdeck targets list shows them, passdeck targets add ${ref} adds it`);
  return t;
}

function intArg(raw: string, flag: string): number {
  if (!/^\d+$/.test(raw)) throw new InvalidInput(`${flag} must be a whole number, not "${raw}"`);
  return Number(raw);
}

function durationArg(raw: string, flag: string): number {
  const ms = parseDuration(raw);
  if (ms === null || ms <= 0) throw new InvalidInput(`${flag} must be a duration such as 30s, 5m, 2h or 7d, not "${raw}"`);
  return ms;
}

function timeArg(raw: string, flag: string): number {
  const ms = /^\d{13}$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (Number.isNaN(ms)) throw new InvalidInput(`${flag} must be an ISO time such as 2026-11-25T10:15:00Z, not "${raw}"`);
  return ms;
}

/** Runs until SIGINT/SIGTERM; exit 3 when another agent already serves this data directory (the supervisor stops). */
function runAgent(store: ProbeStores): Promise<number> {
  const env = readEnv();
  const agent = new ProbeAgent(store, {
    retention: { rawMs: env.PASSDECK_KEEP_RAW, tenSecondMs: env.PASSDECK_KEEP_10S, minuteMs: env.PASSDECK_KEEP_1M, hourMs: env.PASSDECK_KEEP_1H },
  });
  if (!agent.start()) return Promise.resolve(3);
  return new Promise((resolve) => {
    const stop = () => {
      agent.stop();
      resolve(0);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
