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
import { openDatabase } from "@/server/db/database";
import { Journal } from "@/server/db/journal";
import { formatCheckList, formatDevice, formatGroups, formatInventory, inventoryJson } from "./format";
import { InvalidInput, runWriteCommand, WRITE_USAGE, type WriteDeps } from "./write-commands";

const USAGE = `passdeck: PCIe passthrough and SR-IOV, read from this host's sysfs

Usage:
  passdeck inventory [--json]     every PCI function, its group, driver, SR-IOV state and host-critical reasons
  passdeck groups                 IOMMU groups with their members and passthrough verdicts
  passdeck check [--json]         readiness for passthrough (exit 0 ready, 1 not ready)
  passdeck device <address> [--json]   one device, e.g. 0000:65:00.0
  passdeck capture <file.tar.gz>  snapshot the sysfs/procfs parts Passdeck reads, for a bug report
  passdeck scenarios              list the demo hosts;  passdeck scenario-tree <name> <dir> writes one
${WRITE_USAGE}

Environment: PASSDECK_SYS_ROOT (default /sys), PASSDECK_PROC_ROOT (default /proc), PASSDECK_PCI_IDS,
PASSDECK_DATA_DIR (the journal; default /var/lib/passdeck).
Exit codes: 0 ok, 1 failed or not ready, 2 invalid input.`;

class UsageError extends Error {}

/** Tests and the demo pass a simulated kernel here; the real host gets the kernel's sysfs. */
export interface CliDeps {
  writeDeps?: (inventory: () => Inventory) => WriteDeps;
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
    },
    allowPositionals: true,
    strict: true,
  });
  if (!command || command === "help" || command === "--help" || command === "-h" || values.help) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const env = readEnv();
  let journal: Journal | null = null;
  const openJournal = () => (journal ??= new Journal(openDatabase(env.PASSDECK_DATA_DIR)));
  const scan = (recorder?: CaptureRecorder) =>
    scanInventory({
      sysRoot: env.PASSDECK_SYS_ROOT,
      procRoot: env.PASSDECK_PROC_ROOT,
      pciIdsPath: env.PASSDECK_PCI_IDS ?? null,
      demo: env.PASSDECK_DEMO ?? null,
      recorder: recorder ?? null,
    });

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
      if (!dev)
        throw new UsageError(`${parsed.address} is not a PCI device on this host (see \`passdeck inventory\` for the ${inv.devices.length} that are)`);
      console.log(values.json ? JSON.stringify(dev, null, 2) : formatDevice(dev, inv));
      return 0;
    }
    case "capture": {
      const file = positionals[0];
      if (!file || !/\.tar\.gz$|\.tgz$/.test(file)) throw new UsageError("passdeck capture needs an output file ending in .tar.gz, e.g. passdeck capture host.tar.gz");
      const recorder = new CaptureRecorder({ sys: env.PASSDECK_SYS_ROOT, proc: env.PASSDECK_PROC_ROOT });
      const inv: Inventory = scan(recorder);
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
    case "vfs":
    case "vf":
    case "bind":
    case "restore": {
      const inventory = () => scan();
      let writeDeps: WriteDeps;
      if (deps.writeDeps) writeDeps = deps.writeDeps(inventory);
      else {
        if (!values["dry-run"] && !isRealSysfs(env.PASSDECK_SYS_ROOT))
          throw new UsageError(
            `${env.PASSDECK_SYS_ROOT} is not a mounted sysfs (a capture or a demo tree): writing there would only edit files. Use --dry-run to see the plan.`,
          );
        writeDeps = {
          inventory,
          journal: openJournal,
          actor: actorName(),
          sys: new KernelFs(env.PASSDECK_SYS_ROOT),
          writer: new KernelSysfsWriter(env.PASSDECK_SYS_ROOT),
          ip: new SystemIpLink(),
          kernelLog: new KernelLog(),
        };
      }
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

/** Who applies, for the journal: the login name, or the uid when there is none (a container). */
function actorName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? "?"}`;
  }
}

export async function runCli(argv: string[], deps: CliDeps = {}): Promise<void> {
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
