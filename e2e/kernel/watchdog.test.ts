import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { describeStalls, readStalls, stallReports, watch } from "./watchdog.mjs";

// The lines a CI run's guest printed when its CPU 0 stopped taking timer interrupts (verbatim, 2026-11-25).
const CI_CONSOLE = `[  605.411738] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
[  649.973988] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:
[  649.974290] rcu: \t0-...!: (0 ticks this GP) idle=fad0/0/0x0 softirq=64933/64933 fqs=0 (false positive?)
[  649.974808] rcu: rcu_preempt kthread timer wakeup didn't happen for 5251 jiffies! g109945 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x402
[  649.975088] rcu: \tPossible timer handling issue on cpu=0 timer-softirq=20743
[  726.238196] INFO: task node:4682 blocked for more than 241 seconds.
[  726.238513]       Not tainted 6.1.0-56-amd64 #1 Debian 6.1.192-2
passdeck: serving http://0.0.0.0:7878
[ 1085.287462] Uhhuh. NMI received for unknown reason 21 on CPU 0.
`;

describe("stallReports", () => {
  it("finds the first line of each stall report with its guest time, and nothing else", () => {
    expect(stallReports(CI_CONSOLE)).toEqual([
      { guestTime: 649.973988, line: "[  649.973988] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:" },
      {
        guestTime: 649.974808,
        line: "[  649.974808] rcu: rcu_preempt kthread timer wakeup didn't happen for 5251 jiffies! g109945 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x402",
      },
      { guestTime: 726.238196, line: "[  726.238196] INFO: task node:4682 blocked for more than 241 seconds." },
    ]);
  });

  it("reads a report without a printk stamp and a soft lockup", () => {
    expect(stallReports("watchdog: BUG: soft lockup - CPU#1 stuck for 46s! [udev-worker:120]\r\n")).toEqual([
      { guestTime: null, line: "watchdog: BUG: soft lockup - CPU#1 stuck for 46s! [udev-worker:120]" },
    ]);
  });
});

/** A QMP endpoint that answers like QEMU's and remembers what it was asked. */
function fakeQmp(socketPath: string) {
  const commands: string[] = [];
  const server: Server = createServer((sock) => {
    sock.write(JSON.stringify({ QMP: { version: { qemu: { major: 10 } }, capabilities: [] } }) + "\r\n");
    let buf = "";
    sock.on("data", (d) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        const name = msg.execute === "human-monitor-command" ? `hmp:${msg.arguments["command-line"]}` : msg.execute;
        commands.push(name);
        // An event in between, as QEMU sends them: the client must skip it.
        sock.write(JSON.stringify({ event: "NIC_RX_FILTER_CHANGED", data: {} }) + "\r\n");
        const answer =
          msg.execute === "query-cpus-fast"
            ? [
                { "cpu-index": 0, "thread-id": 4242 },
                { "cpu-index": 1, "thread-id": 4243 },
              ]
            : name.startsWith("hmp:")
              ? `answer to ${name.slice(4)}\r\n`
              : {};
        sock.write(JSON.stringify({ return: answer }) + "\r\n");
      }
    });
  });
  return { commands, listening: new Promise<Server>((r) => server.listen(socketPath, () => r(server))) };
}

describe("watch", () => {
  let runDir: string;
  let wrapper: ChildProcess;
  let qmpServer: Server;
  let agent: HttpServer;
  let agentUrl: string;
  let commands: string[];

  beforeEach(async () => {
    runDir = mkdtempSync(join(tmpdir(), "passdeck-watchdog-"));
    writeFileSync(join(runDir, "console.log"), "[    0.000000] Linux version 6.1.0\n");
    // Stands in for QEMU's wrapper: the watchdog runs while it lives.
    wrapper = spawn("sleep", ["120"], { stdio: "ignore" });
    writeFileSync(join(runDir, "qemu.pid"), `${wrapper.pid}\n`);
    const qmp = fakeQmp(join(runDir, "qmp.sock"));
    commands = qmp.commands;
    qmpServer = await qmp.listening;
    agent = createHttpServer((req, res) => res.writeHead(req.url === "/health" ? 200 : 404).end());
    await new Promise<void>((r) => agent.listen(0, "127.0.0.1", r));
    const addr = agent.address();
    agentUrl = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  });

  afterEach(async () => {
    wrapper.kill("SIGKILL");
    await new Promise((r) => qmpServer.close(r));
    await new Promise((r) => agent.close(r));
    rmSync(runDir, { recursive: true, force: true });
  });

  it("on a stall report saves QEMU's view of the vCPUs, nudges it (stop, cont, NMI), records the episode, and ends it once the console is quiet", async () => {
    const running = watch({ wrapperPid: wrapper.pid!, runDir, agentUrl, pollMs: 20, nudgeEveryS: 60, quietS: 0.3 });
    // A partial line is not read until its newline arrives.
    appendFileSync(join(runDir, "console.log"), "[  649.973988] rcu: INFO: rcu_preempt detected st");
    appendFileSync(join(runDir, "console.log"), "alls on CPUs/tasks:\n[  649.974290] rcu: \t0-...!: (0 ticks this GP)\n");
    await vi.waitFor(() => expect(readStalls(runDir).map((r) => r.event)).toEqual(["report", "nudge", "quiet"]), { timeout: 10_000, interval: 20 });

    expect(commands).toEqual([
      "qmp_capabilities",
      "query-cpus-fast",
      "hmp:info registers -a",
      "hmp:info lapic 0",
      "hmp:info lapic 1",
      "qmp_capabilities",
      "stop",
      "cont",
      "inject-nmi",
    ]);
    const [report, nudge, quiet] = readStalls(runDir);
    expect(report).toMatchObject({
      event: "report",
      episode: 1,
      guestTime: 649.973988,
      line: "[  649.973988] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
    });
    expect(nudge).toMatchObject({ event: "nudge", episode: 1, error: null });
    expect(quiet).toMatchObject({ event: "quiet", episode: 1, agentAnswers: true });
    const saved = readFileSync(join(runDir, (nudge as { diagnostics: string }).diagnostics), "utf8");
    expect(saved).toContain("rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:");
    expect(saved).toContain('"thread-id": 4243');
    expect(saved).toContain("== info registers -a\nanswer to info registers -a");
    expect(saved).toContain(`== host threads of QEMU pid ${wrapper.pid}\n${wrapper.pid} sleep state=S`);

    wrapper.kill("SIGKILL");
    await running;
    expect(describeStalls(readStalls(runDir))).toEqual([
      expect.stringMatching(
        /^boot \S+ #1, guest time 650 s: 1 report\(s\), 1 nudge\(s\), quiet again \d+ s after the first report, agent answering; first: \[ {2}649\.973988\] rcu: INFO/,
      ),
    ]);
  });

  it("nudges again for reports that keep coming, not sooner than nudgeEveryS, and ends QEMU when they still come after maxNudges", async () => {
    const running = watch({ wrapperPid: wrapper.pid!, runDir, agentUrl, pollMs: 20, nudgeEveryS: 0.2, maxNudges: 2, quietS: 60 });
    const report = (t: number) => appendFileSync(join(runDir, "console.log"), `[  ${t}.000000] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:\n`);
    const events = () => readStalls(runDir).map((r) => r.event);
    report(100);
    await vi.waitFor(() => expect(events()).toEqual(["report", "nudge"]), { timeout: 10_000, interval: 20 });
    report(121);
    await vi.waitFor(() => expect(events()).toEqual(["report", "nudge", "report", "nudge"]), { timeout: 10_000, interval: 20 });
    report(184);
    // The stand-in QEMU (qemu.pid is the wrapper here) is killed, so the watchdog's loop ends by itself.
    await running;
    expect(events()).toEqual(["report", "nudge", "report", "nudge", "report", "unrecovered"]);
    expect(wrapper.signalCode ?? (await new Promise((r) => wrapper.once("exit", (_c, sig) => r(sig))))).toBe("SIGKILL");

    const records = readStalls(runDir);
    expect(records.filter((r) => r.event === "nudge").map((r) => (r as { diagnostics: string | null }).diagnostics !== null)).toEqual([true, false]);
    expect(records.at(-1)).toMatchObject({ event: "unrecovered", episode: 1, nudges: 2, qemuPid: wrapper.pid });
    expect(commands.filter((c) => c === "inject-nmi")).toHaveLength(2);
    expect(describeStalls(records)).toEqual([
      expect.stringMatching(/^boot \S+ #1, guest time 100 s: 3 report\(s\), 2 nudge\(s\), still stalled after 2 nudges: the watchdog ended QEMU; first: /),
    ]);
  });

  it("records a QMP failure with the nudge instead of dying", async () => {
    await new Promise((r) => qmpServer.close(r));
    rmSync(join(runDir, "qmp.sock"), { force: true });
    const running = watch({ wrapperPid: wrapper.pid!, runDir, agentUrl, pollMs: 20, quietS: 60 });
    appendFileSync(join(runDir, "console.log"), "[  9.0] INFO: task node:1 blocked for more than 120 seconds.\n");
    await vi.waitFor(() => expect(readStalls(runDir).map((r) => r.event)).toEqual(["report", "nudge"]), { timeout: 10_000, interval: 20 });
    const nudge = readStalls(runDir)[1] as { error: string; diagnostics: string };
    expect(nudge.error).toMatch(/ENOENT/);
    expect(readFileSync(join(runDir, nudge.diagnostics), "utf8")).toMatch(/== QMP failed: .*ENOENT/);
    wrapper.kill("SIGKILL");
    await running;
  });
});
