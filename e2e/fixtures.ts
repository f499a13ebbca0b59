import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { InventoryJson } from "@/server/cli/format";
import type { PciDevice } from "@/server/host/types";
import { hostTreesDir } from "./journal-dir";

/** The shape of `passdeck inventory --json`. */
export type CliInventory = InventoryJson;

const roots = new Map<string, { sysRoot: string; procRoot: string }>();

/** Writes the scenario's host tree (its own copy, not the one the server reads) and returns the roots. */
function scenarioRoots(name: string) {
  let r = roots.get(name);
  if (!r) {
    const dir = resolve(hostTreesDir, name);
    mkdirSync(dir, { recursive: true });
    r = JSON.parse(execFileSync(process.execPath, ["dist/passdeck.mjs", "scenario-tree", name, dir], { encoding: "utf8" })) as {
      sysRoot: string;
      procRoot: string;
    };
    roots.set(name, r);
  }
  return r;
}

function cli(name: string, args: string[]): string {
  const r = scenarioRoots(name);
  return execFileSync(process.execPath, ["dist/passdeck.mjs", ...args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, PASSDECK_SYS_ROOT: r.sysRoot, PASSDECK_PROC_ROOT: r.procRoot, PASSDECK_DEMO: name },
  });
}

const inventories = new Map<string, CliInventory>();

/** What the CLI reads from the same generated tree the page is served from: the expected values. */
export function expectedInventory(name: string): CliInventory {
  let inv = inventories.get(name);
  if (!inv) {
    inv = JSON.parse(cli(name, ["inventory", "--json"])) as CliInventory;
    inventories.set(name, inv);
  }
  return inv;
}

/** One device in full (`passdeck device <address> --json`). */
export function expectedDevice(name: string, address: string): PciDevice {
  return JSON.parse(cli(name, ["device", address, "--json"])) as PciDevice;
}

export function groupOf(inv: CliInventory, address: string) {
  const g = inv.groups.find((x) => x.devices.includes(address));
  if (!g) throw new Error(`${address} is in no group of the ${inv.source.demo} scenario`);
  return g;
}

/** Escapes text for use inside a RegExp. */
export function re(text: string, flags = ""): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), flags);
}
