/**
 * `passdeck`: finds the command in the registry, parses only that command's options, runs it with the services it
 * asks for, and turns what it throws into an exit code in one place. Loads no command module before dispatch.
 */
import { HostError } from "@/server/host/errors";
import { parseCommandArgs } from "./command";
import { InvalidInput, UsageError } from "./errors";
import { loadCommand } from "./registry";
import { createCliServices, type CliDeps } from "./services";
import { OVERVIEW } from "./usage";

export type { CliDeps } from "./services";

const HELP_WORDS = new Set(["help", "--help", "-h"]);

export async function main(argv: string[], deps: CliDeps = {}): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || HELP_WORDS.has(name)) {
    const topic = name ? rest[0] : undefined;
    if (topic === undefined) {
      console.log(OVERVIEW);
      return name ? 0 : 2;
    }
    const command = await loadCommand(topic);
    if (!command) throw new UsageError(`unknown command "${topic}"\n\n${OVERVIEW}`);
    console.log(command.usage);
    return 0;
  }
  const command = await loadCommand(name);
  if (!command) throw new UsageError(`unknown command "${name}"\n\n${OVERVIEW}`);
  const args = parseCommandArgs(command, rest);
  if (args === "help") {
    console.log(command.usage);
    return 0;
  }
  return command.run(createCliServices(deps), args);
}

/** The one error boundary: 2 for bad input (nothing was touched), 1 for everything else. */
export function exitCodeOf(err: unknown): { code: 1 | 2; message: string } {
  if (err instanceof UsageError) return { code: 2, message: `passdeck${err.command ? ` ${err.command}` : ""}: ${err.message}` };
  if (err instanceof InvalidInput || (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS")))
    return { code: 2, message: `passdeck: ${err.message}` };
  if (err instanceof HostError) return { code: 1, message: `passdeck: ${err.message}${err.fix ? `\n  fix: ${err.fix}` : ""}` };
  return { code: 1, message: `passdeck: ${err instanceof Error ? err.message : String(err)}` };
}

/**
 * Commands on the web tier's data (accounts, latency). Run by root where that data belongs to the web server's user,
 * they run as that user: root never opens files in a directory another user can write.
 */
const WEB_TIER_COMMANDS = new Set(["user", "token", "setup-code", "targets", "stats", "compare", "annotate", "iperf", "probe-agent"]);

/** The user the command must run as instead of root, or null. */
async function webTierOwner(argv: string[]): Promise<{ uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0 || !WEB_TIER_COMMANDS.has(argv[0] ?? "") || argv.includes("--help") || argv.includes("-h")) return null;
  try {
    const [{ readEnv }, { webDirOwner }] = await Promise.all([import("@/server/env"), import("@/server/db/layout")]);
    return webDirOwner(readEnv().PASSDECK_DATA_DIR);
  } catch {
    return null; // main() reports the bad environment
  }
}

export async function runCli(argv: string[], deps: CliDeps = {}): Promise<void> {
  const owner = deps.writeDeps ? null : await webTierOwner(argv);
  if (owner) {
    // The same command, as the owner of <data dir>/web (supplementary groups dropped by the spawn). child_process
    // (and the net, dgram and stream modules it loads) is imported here only: every other command starts without it.
    const { spawnSync } = await import("node:child_process");
    const child = spawnSync(process.execPath, [process.argv[1]!, ...argv], { stdio: "inherit", uid: owner.uid, gid: owner.gid });
    process.exitCode = child.status ?? 1;
    if (child.error) console.error(`passdeck: could not run as uid ${owner.uid}: ${child.error.message}`);
    return;
  }
  try {
    process.exitCode = await main(argv, deps);
  } catch (err) {
    const { code, message } = exitCodeOf(err);
    console.error(message);
    process.exitCode = code;
  }
}
