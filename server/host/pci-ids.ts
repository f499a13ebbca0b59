import * as fs from "node:fs";

/**
 * Names from the system's pci.ids (the file lspci reads), so names match what the user's lspci prints and
 * update with the distribution. IDs are always shown; a missing file only costs the names.
 */
export const PCI_IDS_CANDIDATES = ["/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids", "/usr/share/pci.ids"];

export interface PciIds {
  /** where the names came from, or null when no pci.ids was found */
  source: string | null;
  vendor(vendorId: string): string | null;
  device(vendorId: string, deviceId: string): string | null;
  subsystem(vendorId: string, deviceId: string, subVendorId: string, subDeviceId: string): string | null;
  /** most specific class name for a 6-digit class: prog-if, else subclass, else base class */
  className(classId: string): string | null;
}

const cache = new Map<string, PciIds>();

export function loadPciIds(explicitPath?: string | null): PciIds {
  const candidates = explicitPath ? [explicitPath] : PCI_IDS_CANDIDATES;
  const key = candidates.join("|");
  const cached = cache.get(key);
  if (cached) return cached;
  let loaded: PciIds = emptyPciIds();
  for (const candidate of candidates) {
    let text: string;
    try {
      text = fs.readFileSync(candidate, "latin1");
    } catch {
      continue;
    }
    loaded = indexPciIds(text, candidate);
    break;
  }
  cache.set(key, loaded);
  return loaded;
}

function emptyPciIds(): PciIds {
  return { source: null, vendor: () => null, device: () => null, subsystem: () => null, className: () => null };
}

/**
 * The names of a pci.ids text, found where they are when asked for: a vendor's line ("\nvvvv "), a device's line in
 * that vendor's block, a subsystem's among that device's lines; the class section is parsed once. A scan asks for the
 * few IDs of its host, where parsing all ~40,000 names cost more than the rest of a `passdeck inventory`. The names
 * are parsePciIds's for a file where each ID has one line, as pci.ids has.
 */
export function indexPciIds(text: string, source: string): PciIds {
  const blocks = new Map<string, [number, number][]>();
  /** [first line, end) of the vendor's block: the first one (a real pci.ids has one per vendor) */
  const vendorBlocks = (v: string): [number, number][] => {
    let found = blocks.get(v);
    if (!found) {
      found = HEX4.test(v) ? linesStarting(text, `${v} `, 0, text.length, true).map((at) => [at, blockEnd(text, at, TOP_LEVEL)]) : [];
      blocks.set(v, found);
    }
    return found;
  };
  /** the device's line in the vendor's blocks (the last one, as a Map keeps the last), or -1 */
  const deviceLine = (v: string, d: string): number => {
    if (!HEX4.test(d)) return -1;
    let line = -1;
    for (const [start, end] of vendorBlocks(v)) line = linesStarting(text, `\t${d} `, start, end).pop() ?? line;
    return line;
  };
  // a host has many functions with the same IDs (VFs): each name is looked up once
  const names = new Map<string, string | null>();
  const memo = (key: string, find: () => string | null): string | null => {
    let name = names.get(key);
    if (name === undefined) names.set(key, (name = find()));
    return name;
  };
  const lineAt = (start: number) => text.slice(start, lineEnd(text, start));
  let classes: PciIds | null = null;
  // The class section ("C xx" lines) ends the file: parsed from its first line on, as parsePciIds parses it.
  const classNames = (): PciIds => {
    if (!classes) {
      const at = linesStarting(text, "C ", 0, text.length, true)[0];
      classes = at === undefined ? emptyPciIds() : parsePciIds(text.slice(at), source);
    }
    return classes;
  };
  return {
    source,
    vendor: (v) =>
      memo(v, () => {
        const last = vendorBlocks(v).at(-1);
        return last ? lineAt(last[0]).slice(6) : null;
      }),
    device: (v, d) =>
      memo(`${v}:${d}`, () => {
        const line = deviceLine(v, d);
        return line === -1 ? null : lineAt(line).slice(7);
      }),
    subsystem: (v, d, sv, sd) =>
      memo(`${v}:${d}:${sv}:${sd}`, () => {
        const line = deviceLine(v, d);
        if (line === -1 || !HEX4.test(sv) || !HEX4.test(sd)) return null;
        const sub = linesStarting(text, `\t\t${sv} ${sd} `, line, blockEnd(text, line, DEVICE_LEVEL)).pop();
        return sub === undefined ? null : lineAt(sub).slice(13);
      }),
    className: (c) => classNames().className(c),
  };
}

const HEX4 = /^[0-9a-f]{4}$/;
/** the next line that is not indented, a comment or empty: the end of a vendor's block */
const TOP_LEVEL = /\n[^\t#\n]/g;
/** the next line that is not indented twice, a comment or empty: the end of a device's subsystems */
const DEVICE_LEVEL = /\n(?:[^\t#\n]|\t[^\t])/g;

/** Where each line in [from, to) that begins with `head` starts; `first`: only the first. */
function linesStarting(text: string, head: string, from: number, to: number, first = false): number[] {
  const starts: number[] = [];
  if (from === 0 && text.startsWith(head)) starts.push(0);
  // searched in [from - 1, to) only (a slice of a long string is a view, not a copy): the newline before a line that
  // starts at `from` included
  const base = Math.max(0, from - 1);
  const range = to < text.length || base > 0 ? text.slice(base, to) : text;
  const needle = `\n${head}`;
  for (let at = range.indexOf(needle); at !== -1 && !(first && starts.length > 0); at = range.indexOf(needle, at + 1)) starts.push(base + at + 1);
  return starts;
}

/** Where the lines under the line at `start` end: at the next line `end` matches (its newline excluded), or the end. */
function blockEnd(text: string, start: number, end: RegExp): number {
  end.lastIndex = start;
  const found = end.exec(text);
  return found ? found.index + 1 : text.length;
}

function lineEnd(text: string, start: number): number {
  const end = text.indexOf("\n", start);
  return end === -1 ? text.length : end;
}

/** Parses the pci.ids text format: vendors, devices (one tab), subsystems (two tabs), then "C xx" classes. */
export function parsePciIds(text: string, source: string): PciIds {
  const names = new Map<string, string>();
  let vendor = "";
  let device = "";
  let inClasses = false;
  let cls = "";
  let subclass = "";
  for (const line of text.split("\n")) {
    if (line.length === 0 || line.charCodeAt(0) === 35 /* # */) continue;
    if (line.charCodeAt(0) === 9 /* tab */) {
      if (line.charCodeAt(1) === 9) {
        // "\t\tsvid sdid  name" or "\t\tprogif  name"
        if (inClasses) {
          names.set(`c${cls}${subclass}${line.slice(2, 4)}`, line.slice(6));
        } else if (vendor) {
          names.set(`${vendor}:${device}:${line.slice(2, 6)}:${line.slice(7, 11)}`, line.slice(13));
        }
      } else if (inClasses) {
        subclass = line.slice(1, 3);
        names.set(`c${cls}${subclass}`, line.slice(5));
      } else if (vendor) {
        device = line.slice(1, 5);
        names.set(`${vendor}:${device}`, line.slice(7));
      }
      continue;
    }
    if (line.startsWith("C ")) {
      inClasses = true;
      cls = line.slice(2, 4);
      names.set(`c${cls}`, line.slice(6));
    } else if (/^[0-9a-f]{4} /.test(line)) {
      inClasses = false;
      vendor = line.slice(0, 4);
      names.set(vendor, line.slice(6));
    } else {
      // Other sections (device types, languages…) end the vendor list.
      vendor = "";
      inClasses = false;
    }
  }
  return {
    source,
    vendor: (v) => names.get(v) ?? null,
    device: (v, d) => names.get(`${v}:${d}`) ?? null,
    subsystem: (v, d, sv, sd) => names.get(`${v}:${d}:${sv}:${sd}`) ?? null,
    className: (c) => names.get(`c${c}`) ?? names.get(`c${c.slice(0, 4)}`) ?? names.get(`c${c.slice(0, 2)}`) ?? null,
  };
}
