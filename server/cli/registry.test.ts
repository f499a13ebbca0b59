/**
 * The CLI as a registry: each command parses only its own options, help per command, unknown commands, and the
 * bundle's split (what `passdeck --help` and `passdeck inventory` load).
 */
import { build, type Metafile } from "esbuild";
import { afterEach, describe, expect, it, vi } from "vitest";
import { COMMANDS, loadCommand } from "./registry";
import { runCli } from "./main";
import { OVERVIEW } from "./usage";

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  await runCli(argv);
  vi.restoreAllMocks();
  return { code: Number(process.exitCode ?? 0), out: out.join("\n"), err: err.join("\n") };
}

describe("the command registry", () => {
  it("refuses an option another command owns, naming the command, with exit 2 and nothing run", async () => {
    expect(await run("inventory", "--bitrate", "10M")).toEqual({
      code: 2,
      out: "",
      err: "passdeck inventory: unknown option --bitrate (see passdeck help inventory)",
    });
    expect((await run("groups", "--json")).err).toBe("passdeck groups: unknown option --json (see passdeck help groups)");
    expect((await run("stats", "t1", "--label=x")).err).toBe("passdeck stats: unknown option --label (see passdeck help stats)");
    expect((await run("vfs", "set", "0000:3b:00.0", "2", "--driver", "igb")).err).toBe("passdeck vfs: unknown option --driver (see passdeck help vfs)");
    expect(await run("check", "--bogus")).toMatchObject({ code: 2, err: "passdeck check: unknown option --bogus (see passdeck help check)" });
    expect(await run("check", "-x")).toMatchObject({ code: 2, err: "passdeck check: unknown option -x (see passdeck help check)" });
  });

  it("refuses a missing option value and a value given to a flag, naming the command", async () => {
    const missing = await run("vfs", "set", "0000:3b:00.0", "2", "--autoprobe");
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^passdeck vfs: Option '--autoprobe <value>' argument missing \(see passdeck help vfs\)$/);
    const valued = await run("inventory", "--json=yes");
    expect(valued.code).toBe(2);
    expect(valued.err).toMatch(/^passdeck inventory: Option '--json' does not take an argument/);
  });

  it("prints a command's usage for help <command>, <command> --help and -h, with exit 0", async () => {
    const { command } = await COMMANDS.inventory!();
    for (const argv of [
      ["help", "inventory"],
      ["inventory", "--help"],
      ["inventory", "-h"],
      ["inventory", "--bitrate", "1", "--help"],
    ])
      expect(await run(...argv)).toEqual({ code: 0, out: command.usage, err: "" });
    expect((await run("--help", "vm")).out).toMatch(/^Usage: passdeck vm list/);
  });

  it("treats --help after -- as an argument, not as a request for help", async () => {
    const r = await run("device", "--", "--help");
    expect(r.code).toBe(2);
    expect(r.err).toContain("is not a PCI address");
  });

  it("prints the overview for --help, -h and help (exit 0), and with no command (exit 2)", async () => {
    for (const argv of [["--help"], ["-h"], ["help"]]) expect(await run(...argv)).toEqual({ code: 0, out: OVERVIEW, err: "" });
    expect(await run()).toEqual({ code: 2, out: OVERVIEW, err: "" });
  });

  it("refuses an unknown command with exit 2, as a command and as a help topic", async () => {
    const r = await run("frobnicate", "--json");
    expect(r.code).toBe(2);
    expect(r.err.startsWith(`passdeck: unknown command "frobnicate"\n\n${OVERVIEW}`)).toBe(true);
    expect((await run("help", "frobnicate")).code).toBe(2);
    expect((await run("toString")).code).toBe(2);
    expect((await run("__proto__")).code).toBe(2);
  });

  it("every command module is named as registered, documents each option it owns, and is in the overview", async () => {
    const names = Object.keys(COMMANDS);
    expect(names.length).toBeGreaterThanOrEqual(29);
    for (const name of names) {
      const command = (await loadCommand(name))!;
      expect(command.name).toBe(name);
      expect(command.usage.startsWith(`Usage: passdeck ${name}`)).toBe(true);
      for (const option of Object.keys(command.options)) expect([name, command.usage]).toEqual([name, expect.stringContaining(`--${option}`)]);
      expect(OVERVIEW).toContain(`passdeck ${name}`);
    }
  });
});

describe("the bundle", () => {
  /** The outputs a chunk loads before it runs: its static imports, transitively (import() is not followed). */
  function staticClosure(meta: Metafile, start: string): { files: Set<string>; externals: Set<string> } {
    const files = new Set<string>();
    const externals = new Set<string>();
    const visit = (file: string) => {
      if (files.has(file)) return;
      files.add(file);
      for (const i of meta.outputs[file]!.imports) {
        if (i.kind !== "import-statement") continue;
        if (i.external) externals.add(i.path);
        else visit(i.path);
      }
    };
    visit(start);
    return { files, externals };
  }

  it("loads no heavy package for passdeck --help, nor for passdeck inventory; each command is its own chunk", async () => {
    const { metafile } = await build({
      entryPoints: { passdeck: "server/cli/index.ts" },
      outdir: "/nonexistent/dist",
      outExtension: { ".js": ".mjs" },
      chunkNames: "cli/[name]-[hash]",
      bundle: true,
      splitting: true,
      platform: "node",
      format: "esm",
      packages: "external",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const outputs = Object.entries(metafile.outputs);
    const entry = outputs.find(([, o]) => o.entryPoint === "server/cli/index.ts")![0];
    const chunkOf = (source: string) => outputs.find(([, o]) => o.entryPoint === source)![0];
    const heavy = ["zod", "better-sqlite3", "hdr-histogram-js", "fast-xml-parser", "superjson"];
    const atStart = staticClosure(metafile, entry);
    expect([...atStart.externals].filter((p) => !p.startsWith("node:"))).toEqual([]);
    const inventory = staticClosure(metafile, chunkOf("server/cli/commands/inventory.ts"));
    const scan = staticClosure(metafile, chunkOf("server/inventory/scan.ts"));
    expect([...inventory.externals, ...scan.externals].filter((p) => heavy.includes(p))).toEqual([]);
    // the scan, the write commands, the latency commands and the services factory (the databases) are not in the entry's static closure
    for (const source of ["server/inventory/scan.ts", "server/cli/write-commands.ts", "server/cli/latency-commands.ts", "server/services.ts"])
      expect([source, atStart.files.has(chunkOf(source))]).toEqual([source, false]);
  });
});
