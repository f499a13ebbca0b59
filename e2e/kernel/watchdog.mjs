#!/usr/bin/env node
// The rig's stall watchdog. Under TCG a guest vCPU occasionally stops taking its timer interrupt: the guest kernel
// reports it ("rcu: INFO: rcu_preempt detected stalls on CPUs/tasks", "kthread timer wakeup didn't happen", later
// "task … blocked for more than 120 seconds") and every test waiting on that guest times out. That is the emulator,
// not Passdeck: about one boot in ten stalls early, and one CI run of ten stalled mid-run, on a loaded 2-core host.
//
// startRig spawns this beside QEMU; it ends when QEMU's wrapper does. It reads the serial console, and when the guest
// reports a stall it (1) saves what QEMU and the host say about the vCPUs (stall-<boot>-<n>.txt, for whoever chases
// the emulator bug), (2) nudges the guest: QMP stop and cont (every vCPU thread is kicked and re-checks for pending
// interrupts, QEMU's timers are re-armed), then an NMI (it reaches CPU 0 only, the one CPU whose LINT1 Linux leaves
// unmasked, and wakes it whatever its interrupt flag says), (3) appends the episode to stalls.jsonl, which run.sh
// reads to tell an emulator stall from a failing test, and (4) ends QEMU when the guest stays stalled after two
// nudges, so the tests fail at once instead of each waiting out its timeout.
//   node e2e/kernel/watchdog.mjs <wrapper pid> <run dir> <agent url>
import { appendFileSync, closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isAlive, procState } from "./proc.mjs";

/**
 * @typedef {object} StallReport
 * @property {number | null} guestTime seconds since the guest booted, from the printk stamp; null when the line has none
 * @property {string} line
 */
/**
 * A line of stalls.jsonl.
 * @typedef {({ boot: string; at: string; event: "report"; episode: number } & StallReport)
 *   | { boot: string; at: string; event: "nudge"; episode: number; diagnostics: string | null; error: string | null }
 *   | { boot: string; at: string; event: "quiet"; episode: number; quietAfterS: number; agentAnswers: boolean }
 *   | { boot: string; at: string; event: "unrecovered"; episode: number; nudges: number; qemuPid: number | null }
 *   | { at: string; event: "watchdog-error"; error: string }} StallRecord
 */
/** @typedef {{ execute: string; arguments?: Record<string, unknown> }} QmpCommand */

/** The first line of each report the guest kernel prints when a CPU stops making progress. */
export const STALL_PATTERNS = [
  /rcu: INFO: rcu_\w+ detected stalls on CPUs\/tasks/,
  /rcu: INFO: rcu_\w+ self-detected stall on CPU/,
  /rcu_\w+ kthread timer wakeup didn't happen/,
  /INFO: task \S+ blocked for more than \d+ seconds/,
  /watchdog: BUG: soft lockup - CPU#\d+ stuck/,
];

/**
 * Stall reports in console text: [{ guestTime (s, from the printk stamp; null without one), line }].
 * @param {string} text
 * @returns {StallReport[]}
 */
export function stallReports(text) {
  const reports = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "").trim();
    if (!STALL_PATTERNS.some((re) => re.test(line))) continue;
    const stamp = /^\[\s*(\d+\.\d+)\]/.exec(line);
    reports.push({ guestTime: stamp ? Number(stamp[1]) : null, line });
  }
  return reports;
}

export const STALLS_FILE = "stalls.jsonl";

/**
 * The records in <run dir>/stalls.jsonl ([] when there is none).
 * @param {string} runDir
 * @returns {StallRecord[]}
 */
export function readStalls(runDir) {
  const file = join(runDir, STALLS_FILE);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/**
 * One line per episode: when the guest stalled, how many nudges it took, whether the guest answered afterwards.
 * @param {StallRecord[]} records
 * @returns {string[]}
 */
export function describeStalls(records) {
  const lines = [];
  /**
   * @type {Map<string, { key: string; first: { at: string; guestTime?: number | null; line?: string }; reports: number; nudges: number;
   *   end: Extract<StallRecord, { event: "quiet" | "unrecovered" }> | null }>}
   */
  const episodes = new Map();
  for (const r of records) {
    if (r.event === "watchdog-error") {
      lines.push(`the watchdog itself failed at ${r.at}: ${r.error}`);
      continue;
    }
    const key = `${r.boot} #${r.episode}`;
    const e = episodes.get(key) ?? { key, first: r, reports: 0, nudges: 0, end: null };
    if (r.event === "report") e.reports++;
    if (r.event === "nudge") e.nudges++;
    if (r.event === "quiet" || r.event === "unrecovered") e.end = r;
    episodes.set(key, e);
  }
  for (const e of episodes.values()) {
    const at = e.first.guestTime != null ? `guest time ${e.first.guestTime.toFixed(0)} s` : e.first.at;
    const outcome = !e.end
      ? "still stalled when the rig stopped (or the run ended)"
      : e.end.event === "unrecovered"
        ? `still stalled after ${e.end.nudges} nudges: the watchdog ended QEMU`
        : `quiet again ${e.end.quietAfterS} s after the first report, agent ${e.end.agentAnswers ? "answering" : "not answering"}`;
    lines.push(`boot ${e.key}, ${at}: ${e.reports} report(s), ${e.nudges} nudge(s), ${outcome}; first: ${e.first.line ?? "?"}`);
  }
  return lines;
}

/**
 * The lines of a saved diagnostics file that say where each vCPU is: halted or not, its flags, its APIC timer.
 * @param {string} text
 * @returns {string}
 */
export function condenseDiagnostics(text) {
  return text
    .split("\n")
    .filter((l) => /^(CPU#\d|RIP=|dumping local APIC|LVTT|Timer|ISR|IRR|APR|== |\d+ \S+ state=)|rcu:|INFO:/.test(l) || /"thread-id": \d+,$/.test(l))
    .join("\n");
}

/**
 * One QMP session: the commands in order, their answers in order (events skipped). Rejects on a QMP error or timeout.
 * @param {string} socketPath
 * @param {QmpCommand[]} commands
 * @param {{ timeoutMs?: number }} [options]
 * @returns {Promise<unknown[]>}
 */
export function qmp(socketPath, commands, { timeoutMs = 10_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const sock = connect(socketPath);
    /** @type {QmpCommand[]} */
    const queue = [{ execute: "qmp_capabilities" }, ...commands];
    /** @type {unknown[]} */
    const answers = [];
    let buf = "";
    let done = false;
    /** @param {Error} [err] */
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolvePromise(answers.slice(1));
    };
    const timer = setTimeout(() => finish(new Error(`QMP ${socketPath}: no answer within ${timeoutMs} ms`)), timeoutMs);
    const sendNext = () => (queue.length === 0 ? finish() : sock.write(JSON.stringify(queue.shift()) + "\n"));
    sock.on("error", finish);
    sock.on("data", (chunk) => {
      buf += chunk.toString("utf8");
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          return finish(new Error(`QMP: not JSON: ${line.slice(0, 120)}`));
        }
        if (msg.QMP) sendNext();
        else if (msg.error) return finish(new Error(`QMP: ${msg.error.class}: ${msg.error.desc}`));
        else if ("return" in msg) {
          answers.push(msg.return);
          sendNext();
        }
      }
    });
  });
}

const NUDGE = [{ execute: "stop" }, { execute: "cont" }, { execute: "inject-nmi" }];

/** @type {(line: string) => QmpCommand} */
const hmp = (line) => ({ execute: "human-monitor-command", arguments: { "command-line": line } });

/**
 * QEMU's threads as the host scheduler sees them (a halted vCPU thread sleeps in S on a futex).
 * @param {number} qemuPid
 */
function hostThreads(qemuPid) {
  const dir = `/proc/${qemuPid}/task`;
  try {
    return readdirSync(dir)
      .map((tid) => {
        /** @param {string} f */
        const read = (f) => {
          try {
            return readFileSync(join(dir, tid, f), "utf8").trim();
          } catch {
            return "?";
          }
        };
        return `${tid} ${read("comm")} state=${procState(qemuPid, tid) ?? "?"} wchan=${read("wchan")}`;
      })
      .join("\n");
  } catch (e) {
    return `(cannot read ${dir}: ${/** @type {Error} */ (e).message})`;
  }
}

/**
 * @param {string} qmpSocket
 * @param {number | null} qemuPid
 */
async function diagnostics(qmpSocket, qemuPid) {
  const parts = [];
  try {
    const [cpus, registers, lapic0, lapic1] = await qmp(qmpSocket, [
      { execute: "query-cpus-fast" },
      hmp("info registers -a"),
      hmp("info lapic 0"),
      hmp("info lapic 1"),
    ]);
    parts.push(
      `== query-cpus-fast\n${JSON.stringify(cpus, null, 1)}`,
      `== info registers -a\n${String(registers)}`,
      `== info lapic 0\n${String(lapic0)}`,
      `== info lapic 1\n${String(lapic1)}`,
    );
  } catch (e) {
    parts.push(`== QMP failed: ${/** @type {Error} */ (e).message}`);
  }
  if (qemuPid) parts.push(`== host threads of QEMU pid ${qemuPid}\n${hostThreads(qemuPid)}`);
  return parts.join("\n\n") + "\n";
}

/** @param {string} agentUrl */
async function agentAnswers(agentUrl) {
  try {
    const res = await fetch(`${agentUrl}/health`, { signal: AbortSignal.timeout(15_000) });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Watches one QEMU run until its wrapper exits. An episode starts at the first stall report: diagnostics, then a
 * nudge; another nudge for reports that keep coming (not sooner than nudgeEveryS after the last). The episode ends
 * once the console has been quiet for quietS, with whether the agent answers by then, or, when reports still come
 * after maxNudges, by killing QEMU (the guest is not coming back).
 * @param {{ wrapperPid: number; runDir: string; agentUrl: string; pollMs?: number; nudgeEveryS?: number; maxNudges?: number; quietS?: number }} options
 * @returns {Promise<void>}
 */
export async function watch({ wrapperPid, runDir, agentUrl, pollMs = 2_000, nudgeEveryS = 30, maxNudges = 2, quietS = 120 }) {
  const consoleFile = join(runDir, "console.log");
  const qmpSocket = join(runDir, "qmp.sock");
  const pidfile = join(runDir, "qemu.pid");
  const stallsFile = join(runDir, STALLS_FILE);
  const boot = new Date().toISOString();
  /** @param {Record<string, unknown>} r a StallRecord without boot and at */
  const record = (r) => appendFileSync(stallsFile, JSON.stringify({ boot, at: new Date().toISOString(), ...r }) + "\n");
  let offset = 0;
  let partial = "";
  let episode = 0;
  /** @type {{ firstAt: number; lastReportAt: number; lastNudgeAt: number; nudges: number; unanswered: StallReport[] } | null} unanswered: reports since the last nudge */
  let open = null;
  while (isAlive(wrapperPid)) {
    const now = Date.now();
    let text = "";
    if (existsSync(consoleFile)) {
      const size = statSync(consoleFile).size;
      if (size < offset) offset = 0;
      if (size > offset) {
        const fd = openSync(consoleFile, "r");
        const chunk = Buffer.alloc(size - offset);
        readSync(fd, chunk, 0, chunk.length, offset);
        closeSync(fd);
        offset = size;
        text = partial + chunk.toString("utf8");
        const cut = text.lastIndexOf("\n");
        partial = text.slice(cut + 1);
        text = text.slice(0, cut + 1);
      }
    }
    const reports = stallReports(text);
    if (reports.length > 0) {
      if (!open) {
        episode++;
        open = { firstAt: now, lastReportAt: now, lastNudgeAt: 0, nudges: 0, unanswered: [] };
      }
      open.lastReportAt = now;
      open.unanswered.push(...reports);
      for (const r of reports) record({ event: "report", episode, ...r });
    }
    // Another nudge only for a report that came after the last one, and not sooner than nudgeEveryS after it.
    if (open && open.unanswered.length > 0 && now - open.lastNudgeAt >= nudgeEveryS * 1000) {
      const qemuPid = existsSync(pidfile) ? Number(readFileSync(pidfile, "utf8").trim()) || null : null;
      if (open.nudges >= maxNudges) {
        // A guest that stays stalled would let every remaining test wait out its timeout (hours for the rig's
        // Vitest files): ending QEMU makes them fail at once, and run.sh reboots for the phase's second run.
        record({ event: "unrecovered", episode, nudges: open.nudges, qemuPid });
        if (qemuPid) {
          try {
            process.kill(qemuPid, "SIGKILL");
          } catch {
            /* already gone */
          }
        }
        return;
      }
      /** @type {string | null} */
      let saved = null;
      if (open.nudges === 0) {
        saved = `stall-${boot.replace(/[:.]/g, "-")}-${episode}.txt`;
        writeFileSync(join(runDir, saved), `${open.unanswered.map((r) => r.line).join("\n")}\n\n${await diagnostics(qmpSocket, qemuPid)}`);
      }
      /** @type {string | null} */
      let error = null;
      try {
        await qmp(qmpSocket, NUDGE);
      } catch (e) {
        error = /** @type {Error} */ (e).message;
      }
      open.nudges++;
      open.lastNudgeAt = Date.now();
      open.unanswered = [];
      record({ event: "nudge", episode, diagnostics: saved, error });
    } else if (open && reports.length === 0 && now - open.lastReportAt >= quietS * 1000) {
      record({ event: "quiet", episode, quietAfterS: Math.round((now - open.firstAt) / 1000), agentAnswers: await agentAnswers(agentUrl) });
      open = null;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [wrapperPid, runDir, agentUrl] = process.argv.slice(2);
  if (!Number(wrapperPid) || !runDir || !agentUrl) {
    console.error("usage: node e2e/kernel/watchdog.mjs <wrapper pid> <run dir> <agent url>");
    process.exit(2);
  }
  watch({ wrapperPid: Number(wrapperPid), runDir, agentUrl }).then(
    () => process.exit(0),
    (err) => {
      appendFileSync(
        join(runDir, STALLS_FILE),
        JSON.stringify({ at: new Date().toISOString(), event: "watchdog-error", error: String(err?.stack ?? err) }) + "\n",
      );
      process.exit(1);
    },
  );
}
