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
    loaded = parsePciIds(text, candidate);
    break;
  }
  cache.set(key, loaded);
  return loaded;
}

function emptyPciIds(): PciIds {
  return { source: null, vendor: () => null, device: () => null, subsystem: () => null, className: () => null };
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
