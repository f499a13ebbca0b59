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
 * The names of a pci.ids text, parsed where they are asked for: a vendor's block (found by its line, "\nvvvv ") when
 * that vendor is first looked up, the class section once. A scan asks for the few vendors of its host, where parsing
 * all ~40,000 names cost more than the rest of a `passdeck inventory`. The names are parsePciIds's.
 */
export function indexPciIds(text: string, source: string): PciIds {
  const vendors = new Map<string, Map<string, string>>();
  const vendorNames = (v: string): Map<string, string> => {
    let names = vendors.get(v);
    if (!names) vendors.set(v, (names = parseVendorBlocks(text, v)));
    return names;
  };
  let classes: PciIds | null = null;
  // The class section ("C xx" lines) ends the file: parsed from its first line on, as parsePciIds parses it.
  const classNames = (): PciIds => {
    if (!classes) {
      const at = lineStarting(text, "C ", 0);
      classes = at === -1 ? emptyPciIds() : parsePciIds(text.slice(at), source);
    }
    return classes;
  };
  return {
    source,
    vendor: (v) => vendorNames(v).get(v) ?? null,
    device: (v, d) => vendorNames(v).get(`${v}:${d}`) ?? null,
    subsystem: (v, d, sv, sd) => vendorNames(v).get(`${v}:${d}:${sv}:${sd}`) ?? null,
    className: (c) => classNames().className(c),
  };
}

/** Where the first line at or after `from` that begins with `head` starts, or -1. */
function lineStarting(text: string, head: string, from: number): number {
  if (from === 0 && text.startsWith(head)) return 0;
  const at = text.indexOf(`\n${head}`, Math.max(0, from - 1));
  return at === -1 ? -1 : at + 1;
}

/** A vendor's name, devices and subsystems, from each of its blocks: its line up to the next unindented line. */
function parseVendorBlocks(text: string, vendor: string): Map<string, string> {
  const names = new Map<string, string>();
  if (!/^[0-9a-f]{4}$/.test(vendor)) return names;
  let at = lineStarting(text, `${vendor} `, 0);
  while (at !== -1) {
    let end = lineEnd(text, at);
    names.set(vendor, text.slice(at, end).slice(6));
    let device = "";
    let line = end + 1;
    for (; line < text.length; line = end + 1) {
      end = lineEnd(text, line);
      const first = text.charCodeAt(line);
      if (line === end || first === 35 /* # */) continue;
      if (first !== 9 /* tab */) break; // the next vendor, or the classes
      const l = text.slice(line, end);
      if (l.charCodeAt(1) === 9) {
        // "\t\tsvid sdid  name"
        names.set(`${vendor}:${device}:${l.slice(2, 6)}:${l.slice(7, 11)}`, l.slice(13));
      } else {
        device = l.slice(1, 5);
        names.set(`${vendor}:${device}`, l.slice(7));
      }
    }
    at = lineStarting(text, `${vendor} `, line);
  }
  return names;
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
