/**
 * Every `passdeck` command by name, each loaded with import() only when it runs (or prints its usage): esbuild
 * splits the bundle at these imports, so a command loads its own chunks and nothing else.
 */
import type { CliCommand, OptionSpecs } from "./command";

type Loader = () => Promise<{ command: CliCommand<OptionSpecs> }>;

// The order of passdeck --help (usage.ts).
export const COMMANDS: Readonly<Record<string, Loader>> = {
  inventory: () => import("./commands/inventory"),
  groups: () => import("./commands/groups"),
  check: () => import("./commands/check"),
  device: () => import("./commands/device"),
  capture: () => import("./commands/capture"),
  holders: () => import("./commands/holders"),
  scenarios: () => import("./commands/scenarios"),
  "scenario-tree": () => import("./commands/scenario-tree"),
  vfs: () => import("./commands/vfs"),
  vf: () => import("./commands/vf"),
  journal: () => import("./commands/journal"),
  bind: () => import("./commands/bind"),
  restore: () => import("./commands/restore"),
  apply: () => import("./commands/apply"),
  vm: () => import("./commands/vm"),
  pool: () => import("./commands/pool"),
  targets: () => import("./commands/targets"),
  stats: () => import("./commands/stats"),
  compare: () => import("./commands/compare"),
  annotate: () => import("./commands/annotate"),
  iperf: () => import("./commands/iperf"),
  "probe-agent": () => import("./commands/probe-agent"),
  user: () => import("./commands/user"),
  token: () => import("./commands/token"),
  "setup-code": () => import("./commands/setup-code"),
  audit: () => import("./commands/audit"),
  helper: () => import("./commands/helper"),
  desired: () => import("./commands/desired"),
  reconcile: () => import("./commands/reconcile"),
};

/** The command's module, or null for a name that is not a command. */
export async function loadCommand(name: string): Promise<CliCommand<OptionSpecs> | null> {
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  return load ? (await load()).command : null;
}
