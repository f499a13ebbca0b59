import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parsePciAddress } from "@/lib/pci-address";
import { readEnv } from "@/server/env";
import { CaptureRecorder, writeCaptureArchive } from "@/server/host/capture";
import { HostError } from "@/server/host/errors";
import type { Inventory, PciDevice } from "@/server/host/types";
import { isReady } from "@/server/inventory/readiness";
import { scanInventory } from "@/server/inventory/scan";
import { KernelFs } from "@/server/host/fs";
import { isRealSysfs } from "@/server/host/sysfs-check";
import { KernelSysfsWriter } from "@/server/host/writer";
import { SystemIpLink } from "@/server/host/ip-link";
import { KernelLog } from "@/server/host/kmsg";
import { userInfo } from "node:os";
import { openWebDatabase, type Db } from "@/server/db/database";
import { openHostRecords, type HostRecords } from "@/server/db/host-records";
import { hostDir, webDir, webDirOwner } from "@/server/db/layout";
import type { Journal } from "@/server/db/journal";
import { HelperApplier } from "@/server/helper/client";
import { PlanExecutor } from "@/server/executor/executor";
import { describeStep } from "@/server/executor/plan";
import { describeEntry } from "@/server/desired/desired-state";
import type { DriftReport } from "@/server/desired/drift";
import { driftNow, reconcile, type ReconcileReport } from "@/server/desired/reconcile";
import { DesiredStore } from "@/server/desired/store";
import { formatCheckList, formatDevice, formatGroups, formatInventory, inventoryJson } from "./format";
import { InvalidInput, runApplyFile, runWriteCommand, WRITE_USAGE, type WriteDeps } from "./write-commands";
import { runPoolCommand, runVmCommand, VM_USAGE } from "./vm-commands";
import { libvirtFor } from "@/server/libvirt/service";
import { LATENCY_USAGE, runLatencyCommand } from "./latency-commands";
import { ACCOUNT_USAGE, runAccountCommand } from "./account-commands";

const USAGE = `passdeck: PCIe passthrough and SR-IOV, read from this host's sysfs

Usage:
  passdeck inventory [--json]     every PCI function, its group, driver, SR-IOV state and host-critical reasons
  passdeck groups                 IOMMU groups with their members and passthrough verdicts
  passdeck check [--json]         readiness for passthrough (exit 0 ready, 1 not ready)
  passdeck device <address> [--json]   one device, e.g. 0000:65:00.0
  passdeck capture <file.tar.gz>  snapshot the sysfs/procfs parts Passdeck reads, for a bug report
  passdeck holders [--json]       what holds a device now, from the kernel: a process with it open through VFIO (any
                                  QEMU: libvirt, Proxmox VE, by hand), an interface in another network namespace
  passdeck scenarios              list the demo hosts;  passdeck scenario-tree <name> <dir> writes one
${WRITE_USAGE}
${VM_USAGE}
${LATENCY_USAGE}
${ACCOUNT_USAGE}
  passdeck helper                       the privileged helper (root): applies the web server's plans, re-validated,
                                        over PASSDECK_HELPER_SOCKET; the dead-man switch (PASSDECK_CONFIRM_WINDOW_S)
  passdeck desired [--json]             what the applies above remember (VF counts, VF settings, vfio bindings)
                                        and how the host differs from it now
  passdeck desired forget <address>     forget everything remembered at an address (a replaced card)
  passdeck reconcile [--dry-run] [--json]   put the remembered state back (at boot: deploy/systemd/); exit 0 the
                                        host matches, 1 something failed, 2 something was refused or skipped

Environment: PASSDECK_SYS_ROOT (default /sys), PASSDECK_PROC_ROOT (default /proc), PASSDECK_PCI_IDS,
PASSDECK_DATA_DIR (the journal and desired state; default /var/lib/passdeck), PASSDECK_LIBVIRT_URI (default
qemu:///system).
Exit codes: 0 ok, 1 failed or not ready, 2 invalid input.`;

class UsageError extends Error {}

/** Tests and the demo pass a simulated kernel here; the real host gets the kernel's sysfs. */
export interface CliDeps {
  writeDeps?: (inventory: () => Inventory) => WriteDeps;
  /** standard input (a password for passdeck user add) */
  readStdin?: () => Promise<string>;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return readPasswordFromTerminal();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) break;
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Asks on the terminal without echoing what is typed. */
function readPasswordFromTerminal(): Promise<string> {
  process.stderr.write("Password: ");
  process.stdin.setRawMode(true);
  process.stdin.resume();
  return new Promise((resolve) => {
    let typed = "";
    const finish = (value: string) => {
      process.stdin.off("data", onData);
      process.stdin.setRawMode(false);
      process.stdin.pause();
      process.stderr.write("\n");
      resolve(value);
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return finish(typed);
        if (ch === "\u0003") return finish(""); // Ctrl-C: no password, so nothing is added
        typed = ch === "\u007f" ? typed.slice(0, -1) : typed + ch;
      }
    };
    process.stdin.on("data", onData);
  });
}

export async function main(argv: string[], deps: CliDeps = {}): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      "dry-run": { type: "boolean", default: false },
      confirm: { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      autoprobe: { type: "string" },
      driver: { type: "string" },
      mac: { type: "string" },
      vlan: { type: "string" },
      qos: { type: "string" },
      spoofchk: { type: "string" },
      trust: { type: "string" },
      state: { type: "string" },
      "min-rate": { type: "string" },
      "max-rate": { type: "string" },
      live: { type: "boolean", default: false },
      config: { type: "boolean", default: false },
      as: { type: "string" },
      unmanaged: { type: "boolean", default: false },
      "rom-bar": { type: "string" },
      "rom-file": { type: "string" },
      "all-functions": { type: "boolean", default: false },
      placement: { type: "string" },
      pool: { type: "string" },
      "interval-ms": { type: "string" },
      kind: { type: "string" },
      label: { type: "string" },
      expires: { type: "string" },
      since: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      at: { type: "string" },
      window: { type: "string" },
      settle: { type: "string" },
      "threshold-us": { type: "string" },
      vm: { type: "string" },
      tcp: { type: "boolean", default: false },
      seconds: { type: "string" },
      bitrate: { type: "string" },
      port: { type: "string" },
      role: { type: "string" },
      csv: { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (!command || command === "help" || command === "--help" || command === "-h" || values.help) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const env = readEnv();
  // Each database opened only when a command needs it: the host records (journal, desired state, audit), and the
  // web tier's data (accounts, latency), which root never opens (runCli runs those commands as its owner).
  let records: HostRecords | null = null;
  let webDb: Db | null = null;
  const openRecords = () => (records ??= openHostRecords(env.PASSDECK_DATA_DIR, recordsHelper(env.PASSDECK_DATA_DIR, env.PASSDECK_HELPER_SOCKET)));
  const openWeb = () => (webDb ??= openWebDatabase(env.PASSDECK_DATA_DIR));
  const openJournal = (): Journal => openRecords().journal;
  const openDesired = (): DesiredStore => openRecords().desired;
  const scan = (recorder?: CaptureRecorder) =>
    scanInventory({
      sysRoot: env.PASSDECK_SYS_ROOT,
      procRoot: env.PASSDECK_PROC_ROOT,
      pciIdsPath: env.PASSDECK_PCI_IDS ?? null,
      demo: env.PASSDECK_DEMO ?? null,
      recorder: recorder ?? null,
    });

  /** This host's sysfs, iproute2 and database, or what tests inject; `writing` refuses a tree that is not a sysfs. */
  const hostWriteDeps = (writing: boolean): WriteDeps => {
    const inventory = () => scan();
    if (deps.writeDeps) return deps.writeDeps(inventory);
    if (writing && !isRealSysfs(env.PASSDECK_SYS_ROOT))
      throw new UsageError(
        `${env.PASSDECK_SYS_ROOT} is not a mounted sysfs (a capture or a demo tree): writing there would only edit files. Use --dry-run to see the plan.`,
      );
    return {
      inventory,
      journal: openJournal,
      desired: openDesired,
      actor: actorName(),
      sys: new KernelFs(env.PASSDECK_SYS_ROOT),
      writer: new KernelSysfsWriter(env.PASSDECK_SYS_ROOT),
      ip: new SystemIpLink(),
      kernelLog: new KernelLog(),
      procRoot: env.PASSDECK_PROC_ROOT,
      libvirt: libvirtFor(env),
    };
  };
  const requireDesired = (d: WriteDeps): DesiredStore => {
    if (!d.desired) throw new Error("no desired-state store was given to the CLI");
    return d.desired();
  };

  switch (command) {
    case "inventory": {
      const inv = scan();
      console.log(values.json ? JSON.stringify(inventoryJson(inv), null, 2) : formatInventory(inv));
      return 0;
    }
    case "groups": {
      const inv = scan();
      console.log(formatGroups(inv));
      return 0;
    }
    case "check": {
      const inv = scan();
      const ready = isReady(inv.readiness);
      console.log(values.json ? JSON.stringify({ ready, checks: inv.readiness }, null, 2) : formatCheckList(inv.readiness, ready));
      return ready ? 0 : 1;
    }
    case "device": {
      const raw = positionals[0];
      if (!raw) throw new UsageError("passdeck device needs a PCI address, e.g. passdeck device 0000:65:00.0");
      const parsed = parsePciAddress(raw);
      if (!parsed.ok) throw new UsageError(parsed.error);
      const inv = scan();
      const dev = inv.devices.find((d: PciDevice) => d.address === parsed.address);
      if (!dev) throw new UsageError(`${parsed.address} is not a PCI device on this host (see \`passdeck inventory\` for the ${inv.devices.length} that are)`);
      console.log(values.json ? JSON.stringify(dev, null, 2) : formatDevice(dev, inv));
      return 0;
    }
    case "holders": {
      const { describeHold, scanHolders } = await import("@/server/host/holders");
      const inv = scan();
      // the kernel's signs and the named processes, as every plan sees them (scanInventory's holds)
      const held = inv.devices.filter((d) => d.hold !== null).map((d) => ({ address: d.address, hold: d.hold! }));
      const found = scanHolders(env.PASSDECK_PROC_ROOT);
      if (values.json)
        console.log(JSON.stringify({ devices: Object.fromEntries(held.map((h) => [h.address, h.hold])), unreadable: found.unreadable }, null, 2));
      else {
        if (held.length === 0) console.log("Nothing holds a device: no process has one open through VFIO, and no interface is in another network namespace.");
        for (const { address, hold } of held)
          console.log(
            `${address}  ${describeHold(hold)}${hold.holders.length > 0 && hold.holders.every((h) => h.evidence === "declared") ? " (named on its command line)" : ""}`,
          );
        if (found.unreadable.count > 0)
          console.log(
            `${found.unreadable.count} processes' open files could not be read (uids ${found.unreadable.uids.join(", ")}): run as root to see every holder.`,
          );
      }
      return 0;
    }
    case "capture": {
      const file = positionals[0];
      if (!file || !/\.tar\.gz$|\.tgz$/.test(file))
        throw new UsageError("passdeck capture needs an output file ending in .tar.gz, e.g. passdeck capture host.tar.gz");
      const recorder = new CaptureRecorder({ sys: env.PASSDECK_SYS_ROOT, proc: env.PASSDECK_PROC_ROOT });
      const inv: Inventory = scan(recorder);
      const { recordHolders, scanHolders } = await import("@/server/host/holders");
      recordHolders(recorder, scanHolders(env.PASSDECK_PROC_ROOT), env.PASSDECK_PROC_ROOT);
      const { files, bytes } = await writeCaptureArchive(recorder, file);
      console.log(`Captured ${inv.devices.length} PCI functions (${files} files and links, ${(bytes / 1024).toFixed(1)} KiB) to ${file}.`);
      console.log(`Reproduce: mkdir host && tar -xzf ${file} -C host && PASSDECK_SYS_ROOT=$PWD/host/sys PASSDECK_PROC_ROOT=$PWD/host/proc passdeck inventory`);
      return 0;
    }
    case "scenarios": {
      const { listScenarios } = await import("@/server/host/scenarios/catalog");
      for (const s of listScenarios()) console.log(`${s.name.padEnd(12)} ${s.title}: ${s.description}`);
      return 0;
    }
    case "scenario-tree": {
      const [name, dir] = positionals;
      if (!name || !dir) throw new UsageError("passdeck scenario-tree needs a scenario name and a directory");
      const { writeScenarioByName } = await import("@/server/host/scenarios/catalog");
      const roots = writeScenarioByName(name, dir);
      console.log(JSON.stringify(roots));
      return 0;
    }
    case "journal": {
      const entries = openJournal().list({ limit: 50 });
      if (values.json) console.log(JSON.stringify(entries, null, 2));
      else if (entries.length === 0) console.log("The journal is empty: nothing has been applied on this host.");
      else
        for (const e of entries)
          console.log(
            `#${e.id} ${e.startedAt} ${e.status.padEnd(26)} ${e.actor} (${e.source})  ${e.title}  [${e.counts.done} done, ${e.counts.failed} failed, ${e.counts["rolled-back"]} rolled back]`,
          );
      return 0;
    }
    case "desired": {
      const hostDeps = hostWriteDeps(false);
      const store = requireDesired(hostDeps);
      if (positionals[0] === "forget") {
        const parsed = parsePciAddress(positionals[1] ?? "");
        if (!parsed.ok) throw new UsageError(`passdeck desired forget needs a PCI address: ${parsed.error}`);
        const gone = deps.writeDeps
          ? store.forget(parsed.address)
          : await openRecords().forgetDesired(parsed.address, { actor: `cli (${actorName()})`, origin: null });
        if (values.json) console.log(JSON.stringify({ forgotten: gone }, null, 2));
        else if (gone.length === 0) console.log(`Nothing is remembered at ${parsed.address}.`);
        else for (const e of gone) console.log(`Forgot ${describeEntry(e)}`);
        return 0;
      }
      if (positionals.length > 0)
        throw new UsageError(`unknown "desired ${positionals[0]}": use passdeck desired [--json] or passdeck desired forget <address>`);
      const state = store.get();
      const drift = await driftNow({ desired: state, inventory: hostDeps.inventory, ip: hostDeps.ip });
      if (values.json) console.log(JSON.stringify({ entries: state.entries, drift }, null, 2));
      else if (state.entries.length === 0)
        console.log("Nothing is remembered yet: vfs set, vf set, bind and restore remember what they apply, for passdeck reconcile.");
      else {
        console.log("Desired state (put back by passdeck reconcile):");
        for (const e of state.entries) console.log(`  ${describeEntry(e)}   [${e.updatedBy}, ${e.updatedAt}]`);
        console.log("");
        console.log(formatDrift(drift));
      }
      return 0;
    }
    case "reconcile": {
      if (positionals.length > 0) throw new UsageError(`passdeck reconcile takes no arguments (got ${positionals.join(" ")})`);
      const dryRun = values["dry-run"];
      const hostDeps = hostWriteDeps(!dryRun);
      const store = requireDesired(hostDeps);
      const report = await reconcile(
        {
          desired: store.get(),
          inventory: hostDeps.inventory,
          ip: hostDeps.ip,
          executor: new PlanExecutor({
            sys: hostDeps.sys,
            writer: hostDeps.writer,
            ip: hostDeps.ip,
            procRoot: env.PASSDECK_PROC_ROOT,
            ...(hostDeps.kernelLog ? { kernelLog: hostDeps.kernelLog } : {}),
          }),
          journal: hostDeps.journal(),
          actor: hostDeps.actor,
        },
        values.json
          ? { dryRun }
          : { dryRun, onPlan: (a) => console.log(`Applying: ${a.title}`), onStep: (_plan, r) => console.log(`    [${r.status}] ${r.command}`) },
      );
      if (values.json) console.log(JSON.stringify(report, null, 2));
      else printReconcile(report);
      return report.exitCode;
    }
    case "apply": {
      const writeDeps = hostWriteDeps(!values["dry-run"]);
      try {
        return await runApplyFile(positionals[0], { json: values.json, dryRun: values["dry-run"], confirm: false, force: false }, writeDeps, (path) =>
          readFileSync(path, "utf8"),
        );
      } catch (err) {
        if (err instanceof InvalidInput) throw new UsageError(err.message);
        throw err;
      }
    }
    case "pool": {
      const [verb, ...poolArgs] = positionals;
      const writeDeps = hostWriteDeps(verb !== "list" && !values["dry-run"]);
      try {
        return await runPoolCommand(verb, poolArgs, { json: values.json, dryRun: values["dry-run"], confirm: values.confirm, force: values.force }, writeDeps);
      } catch (err) {
        if (err instanceof InvalidInput) throw new UsageError(err.message);
        throw err;
      }
    }
    case "vm": {
      const [verb, ...vmArgs] = positionals;
      const writeDeps = hostWriteDeps(verb !== "list" && !values["dry-run"]);
      const flags = {
        json: values.json,
        dryRun: values["dry-run"],
        confirm: values.confirm,
        force: values.force,
        live: values.live,
        config: values.config,
        unmanaged: values.unmanaged,
        allFunctions: values["all-functions"],
        ...(values.placement !== undefined ? { placement: values.placement } : {}),
        ...(values.pool !== undefined ? { pool: values.pool } : {}),
        ...(values.as !== undefined ? { as: values.as } : {}),
        ...(values["rom-bar"] !== undefined ? { romBar: values["rom-bar"] } : {}),
        ...(values["rom-file"] !== undefined ? { romFile: values["rom-file"] } : {}),
        vf: { mac: values.mac, vlan: values.vlan },
      };
      try {
        return await runVmCommand(verb, vmArgs, flags, writeDeps);
      } catch (err) {
        if (err instanceof InvalidInput) throw new UsageError(err.message);
        throw err;
      }
    }
    case "targets":
    case "stats":
    case "compare":
    case "annotate":
    case "iperf":
    case "probe-agent": {
      const flags = {
        json: values.json,
        ...(values["interval-ms"] !== undefined ? { intervalMs: values["interval-ms"] } : {}),
        ...(values.kind !== undefined ? { kind: values.kind } : {}),
        ...(values.label !== undefined ? { label: values.label } : {}),
        ...(values.since !== undefined ? { since: values.since } : {}),
        ...(values.from !== undefined ? { from: values.from } : {}),
        ...(values.to !== undefined ? { to: values.to } : {}),
        ...(values.at !== undefined ? { at: values.at } : {}),
        ...(values.window !== undefined ? { window: values.window } : {}),
        ...(values.settle !== undefined ? { settle: values.settle } : {}),
        ...(values["threshold-us"] !== undefined ? { thresholdUs: values["threshold-us"] } : {}),
        ...(values.vm !== undefined ? { vm: values.vm } : {}),
        tcp: values.tcp,
        ...(values.seconds !== undefined ? { seconds: values.seconds } : {}),
        ...(values.bitrate !== undefined ? { bitrate: values.bitrate } : {}),
        ...(values.port !== undefined ? { port: values.port } : {}),
      };
      try {
        return await runLatencyCommand(command, positionals, flags, openWeb, () => libvirtFor(env));
      } catch (err) {
        if (err instanceof InvalidInput) throw new UsageError(err.message);
        throw err;
      }
    }
    case "helper": {
      const { runHelper } = await import("./helper-command");
      try {
        return await runHelper({ ...env, ...(process.env.PASSDECK_HELPER_GROUP ? { PASSDECK_HELPER_GROUP: process.env.PASSDECK_HELPER_GROUP } : {}) });
      } catch (err) {
        if (err instanceof InvalidInput) throw new UsageError(err.message);
        throw err;
      }
    }
    case "user":
    case "token":
    case "setup-code":
    case "audit": {
      const flags = {
        json: values.json,
        csv: values.csv,
        ...(values.role !== undefined ? { role: values.role } : {}),
        ...(values.label !== undefined ? { label: values.label } : {}),
        ...(values.expires !== undefined ? { expires: values.expires } : {}),
        ...(values.since !== undefined ? { since: values.since } : {}),
      };
      try {
        return await runAccountCommand(command, positionals, flags, openWeb, {
          readStdin: deps.readStdin ?? readStdin,
          actor: actorName(),
          webDir: webDir(env.PASSDECK_DATA_DIR),
          audit: () => openRecords().audit,
        });
      } catch (err) {
        if (err instanceof InvalidInput) throw new UsageError(err.message);
        throw err;
      }
    }
    case "vfs":
    case "vf":
    case "bind":
    case "restore": {
      const writeDeps = hostWriteDeps(!values["dry-run"]);
      const flags = {
        json: values.json,
        dryRun: values["dry-run"],
        confirm: values.confirm,
        force: values.force,
        ...(values.autoprobe !== undefined ? { autoprobe: values.autoprobe } : {}),
        ...(values.driver !== undefined ? { driver: values.driver } : {}),
        vf: {
          mac: values.mac,
          vlan: values.vlan,
          qos: values.qos,
          spoofchk: values.spoofchk,
          trust: values.trust,
          state: values.state,
          minRate: values["min-rate"],
          maxRate: values["max-rate"],
        },
      };
      try {
        return await runWriteCommand(command, positionals, flags, writeDeps);
      } catch (err) {
        if (err instanceof InvalidInput) throw new UsageError(err.message);
        throw err;
      }
    }
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

/** Drift in words: the rows that are not ok, with what happens next; ok rows are only counted. */
function formatDrift(drift: DriftReport): string {
  if (drift.items.length === 0) return "nothing is remembered yet, so there is nothing to compare.";
  const lines = drift.items
    .filter((i) => i.status !== "ok")
    .map((i) => `  ${i.status.padEnd(14)} ${i.address} ${i.what}: want ${i.desired}, is ${i.actual}${i.note ? `\n${" ".repeat(17)}${i.note}` : ""}`);
  const head = drift.inSync
    ? `The host matches the desired state (${drift.counts.ok} checked).`
    : `The host differs from the desired state: ${drift.counts.drift} to put back, ${drift.counts["device-missing"]} missing, ${drift.counts["id-mismatch"]} other card${drift.counts["id-mismatch"] === 1 ? "" : "s"} (${drift.counts.ok} ok).`;
  return [head, ...lines].join("\n");
}

function printReconcile(report: ReconcileReport): void {
  // Applied plans and their steps were printed as they ran; this is the summary.
  console.log(`Before: ${formatDrift(report.before)}`);
  for (const a of report.actions) {
    if (a.status === "waits-for-vf-count") console.log(`  later: ${a.title} (planned once the VF count plan has made the VF)`);
    else if (a.status === "planned") {
      console.log(`  plan: ${a.title} (dry run: nothing written)`);
      for (const s of a.plan?.steps ?? []) console.log(`    ${describeStep(s.step)}`);
    } else if (a.status === "failed")
      console.error(`passdeck: failed: ${a.title}${a.journalEntry !== null ? ` (journal #${a.journalEntry})` : ""}: ${a.error ?? "see the steps above"}`);
    for (const w of a.warnings) console.log(`    accepted again: ${w.reason}`);
  }
  for (const r of report.refused)
    console.error(`passdeck: ${r.code === "pf-not-reconciled" || r.code === "not-attempted" ? "skipped" : "refused"}: ${r.address}: ${r.reason}`);
  if (report.after && report.actions.length > 0) console.log(`After: ${formatDrift(report.after)}`);
  const words: Record<ReconcileReport["outcome"], string> = {
    "in-sync": "Nothing to do.",
    reconciled: "Reconciled: the host matches the desired state.",
    "would-change": "Dry run: the plans above would put the desired state back.",
    refused: "some entries were refused or skipped (above); the rest is as desired.",
    failed: "reconcile failed (above); a failed plan is rolled back, and passdeck journal shows every step.",
  };
  if (report.exitCode === 0) console.log(words[report.outcome]);
  else console.error(`passdeck: ${words[report.outcome]}`);
}

/** Who applies, for the journal: the login name, or the uid when there is none (a container). */
function actorName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? "?"}`;
  }
}

/**
 * Commands on the web tier's data (accounts, latency). Run by root where that data belongs to the web server's user,
 * they run as that user: root never opens files in a directory another user can write.
 */
const WEB_TIER_COMMANDS = new Set(["user", "token", "setup-code", "targets", "stats", "compare", "annotate", "iperf", "probe-agent"]);

/** The user the command must run as instead of root, or null. */
function webTierOwner(argv: string[]): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0 || !WEB_TIER_COMMANDS.has(argv[0] ?? "") || argv.includes("--help") || argv.includes("-h")) return null;
  try {
    return webDirOwner(readEnv().PASSDECK_DATA_DIR);
  } catch {
    return null; // main() reports the bad environment
  }
}

/**
 * Where the host records are written: by this process when it may (root, or whoever owns them), else by the
 * privileged helper, asked over its socket, while this process reads them.
 */
function recordsHelper(dataDir: string, socket: string): HelperApplier | null {
  if (process.getuid?.() === 0 || !existsSync(socket)) return null;
  try {
    accessSync(hostDir(dataDir), constants.W_OK);
    return null;
  } catch {
    return new HelperApplier(socket);
  }
}

export async function runCli(argv: string[], deps: CliDeps = {}): Promise<void> {
  const owner = deps.writeDeps ? null : webTierOwner(argv);
  if (owner) {
    // The same command, as the owner of <data dir>/web (supplementary groups dropped by the spawn).
    const child = spawnSync(process.execPath, [process.argv[1]!, ...argv], { stdio: "inherit", uid: owner.uid, gid: owner.gid });
    process.exitCode = child.status ?? 1;
    if (child.error) console.error(`passdeck: could not run as uid ${owner.uid}: ${child.error.message}`);
    return;
  }
  try {
    process.exitCode = await main(argv, deps);
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS"))) {
      console.error(`passdeck: ${err.message}`);
      process.exitCode = 2;
    } else if (err instanceof HostError) {
      console.error(`passdeck: ${err.message}${err.fix ? `\n  fix: ${err.fix}` : ""}`);
      process.exitCode = 1;
    } else {
      console.error(`passdeck: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    }
  }
}
