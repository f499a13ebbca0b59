/**
 * Writes a scenario as the kernel lays out sysfs and procfs: nested device directories, attribute files with a
 * trailing newline in the kernel's printf formats, and relative symlinks computed the way kernfs computes them.
 * The writing is split by what it writes: sysfs-pci (functions, buses, drivers, modules), sysfs-iommu (groups,
 * the IOMMU unit, ACPI tables), sysfs-net and sysfs-block (class devices), procfs, procfs-net, procfs-mounts and
 * procfs-interrupts (the tables, printed by server/host/formats/), over one resolved host model (host-model) and a
 * journaling file tree (tree). How a written tree changes while a simulated kernel runs is live-tree.
 *
 * Synchronous node:fs on purpose: ~30k small files for the 1,000-function host are written in well under the
 * time promise overhead alone would take.
 */
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { leHex } from "@/server/host/formats/net-route";
import { buildHost } from "./host-model";
import { LiveScenarioTree, type ScenarioRoots } from "./live-tree";
import { writeProcfs } from "./procfs";
import { perDeviceMsiDomains } from "./procfs-interrupts";
import { ipv6Hex, linkLocal } from "./procfs-net";
import type { ScenarioSpec } from "./spec";
import { writeSysfs } from "./sysfs";
import { linkSpeed } from "./sysfs-pci";
import { Tree } from "./tree";

// what the rest of the code imports from here
export { LiveScenarioTree, type ScenarioRoots, type SimulatedProcess } from "./live-tree";
export { kernfsLinkTarget } from "./tree";

/** Replaces `dir` with `<dir>/sys` and `<dir>/proc` for the scenario; returns both roots (absolute). */
export function writeScenarioTree(spec: ScenarioSpec, dir: string): ScenarioRoots {
  return openScenarioTree(spec, dir).roots;
}

/** Writes the scenario as writeScenarioTree does and keeps it open for a running kernel's changes. */
export function openScenarioTree(spec: ScenarioSpec, dir: string): LiveScenarioTree {
  const host = buildHost(spec);
  const root = nodePath.resolve(dir);
  fs.rmSync(root, { recursive: true, force: true });
  const sys = new Tree(nodePath.join(root, "sys"));
  const proc = new Tree(nodePath.join(root, "proc"));
  const journals = writeSysfs(sys, host);
  writeProcfs(proc, host);
  const live = new LiveScenarioTree(host, sys, proc, journals);
  for (const p of spec.processes ?? []) live.startHolder(p);
  return live;
}

/** Exposed for tests and for a simulated kernel that rewrites single files. */
export const formats = { linkSpeed, leHex, ipv6Hex, linkLocal, perDeviceMsiDomains };
