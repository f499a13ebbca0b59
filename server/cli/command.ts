/**
 * One `passdeck` command: its name, its usage text, the options it owns (node:util parseArgs config) and what it runs.
 * Light on purpose (node:util only): main loads a command's module to parse its options or print its usage, and a
 * command module imports what it runs with import() inside run, so `passdeck <command> --help` loads nothing heavy.
 */
import { parseArgs } from "node:util";
import { UsageError } from "./errors";
import type { CliServices } from "./services";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** Booleans are always there (false when not given); strings only when given. */
export type OptionValues<O extends OptionSpecs> = { [K in keyof O]: O[K]["type"] extends "boolean" ? boolean : string | undefined };

export interface CommandArgs<O extends OptionSpecs> {
  values: OptionValues<O>;
  positionals: string[];
}

export interface CliCommand<O extends OptionSpecs = OptionSpecs> {
  name: string;
  /** what `passdeck help <name>` and `passdeck <name> --help` print */
  usage: string;
  options: O;
  /** the exit code: 0 ok, 1 failed (or not ready), 2 refused or invalid input */
  run(services: CliServices, args: CommandArgs<O>): Promise<number>;
}

/** Keeps each command's option names in its run's types. */
export function defineCommand<O extends OptionSpecs>(command: CliCommand<O>): CliCommand<O> {
  return command;
}

const HELP: OptionSpec = { type: "boolean", short: "h" };

/**
 * The command's own options and its positionals, or "help" when --help/-h was given (before any "--").
 * An option the command does not own is refused with the command's name, whichever command owns it.
 */
export function parseCommandArgs<O extends OptionSpecs>(command: CliCommand<O>, args: string[]): CommandArgs<O> | "help" {
  const options = { ...command.options, help: HELP };
  const see = `(see passdeck help ${command.name})`;
  // First pass, lenient: --help wins over anything else on the line, and an unknown option gets a plain message.
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  if (tokens.some((t) => t.kind === "option" && t.name === "help")) return "help";
  const unknown = tokens.find((t) => t.kind === "option" && !Object.hasOwn(command.options, t.name));
  if (unknown?.kind === "option") throw new UsageError(`unknown option ${unknown.rawName} ${see}`, command.name);
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: command.options, allowPositionals: true, strict: true });
  } catch (err) {
    // a missing value, a value given to a boolean: node's own words
    if (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS")) throw new UsageError(`${err.message} ${see}`, command.name);
    throw err;
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, spec] of Object.entries(command.options)) {
    const v = parsed.values[name];
    values[name] = spec.type === "boolean" ? v === true : typeof v === "string" ? v : undefined;
  }
  return { values: values as OptionValues<O>, positionals: parsed.positionals };
}
