/** The lazy pci.ids lookup gives parsePciIds's names, on a made-up file with its corner cases and on the system's. */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { indexPciIds, loadPciIds, parsePciIds, PCI_IDS_CANDIDATES, type PciIds } from "./pci-ids";

const SAMPLE = [
  "0001  SafeNet (wrong ID)",
  "# a comment",
  "\t0002  first device",
  "",
  "\t\t0001 0003  its subsystem",
  "8086  Intel Corporation",
  "\t1572  Ethernet Controller X710 for 10GbE SFP+",
  "#\tcommented device",
  "\t\t8086 0001  Ethernet Converged Network Adapter X710-4",
  "\t\t1028 1f99  Ethernet 10G 4P X710/I350 rNDC",
  "\t154c  Ethernet Virtual Function 700 Series",
  "10de  NVIDIA Corporation",
  "\t2204  GA102 [GeForce RTX 3090]",
  "\t12",
  "C 02  Network controller",
  "\t00  Ethernet controller",
  "\t80  Network controller",
  "C 0c  Serial bus controller",
  "\t03  USB controller",
  "\t\t30  XHCI",
  "\t\tfe  USB Device",
].join("\n");

/** Every lookup the ids of `text` allow (every `every`th device and subsystem), plus some that must miss. */
function lookups(text: string, every = 1): [keyof PciIds, string[]][] {
  const out: [keyof PciIds, string[]][] = [];
  let vendor = "";
  let device = "";
  let cls = "";
  let sub = "";
  let n = 0;
  for (const line of text.split("\n")) {
    if (/^\t[0-9a-f]{4} |^\t\t[0-9a-f]{4} [0-9a-f]{4} /.test(line) && n++ % every !== 0) {
      if (/^\t[0-9a-f]{4} /.test(line)) device = line.slice(1, 5);
      continue;
    }
    let m: RegExpMatchArray | null;
    if ((m = /^([0-9a-f]{4}) /.exec(line))) out.push(["vendor", [(vendor = m[1]!)]]);
    else if ((m = /^C ([0-9a-f]{2})/.exec(line))) [cls, vendor] = [m[1]!, ""];
    else if (vendor && (m = /^\t([0-9a-f]{4}) /.exec(line))) out.push(["device", [vendor, (device = m[1]!)]]);
    else if (vendor && (m = /^\t\t([0-9a-f]{4}) ([0-9a-f]{4}) /.exec(line))) out.push(["subsystem", [vendor, device, m[1]!, m[2]!]]);
    else if (!vendor && (m = /^\t([0-9a-f]{2}) /.exec(line))) out.push(["className", [`${cls}${(sub = m[1]!)}00`]]);
    else if (!vendor && (m = /^\t\t([0-9a-f]{2}) /.exec(line))) out.push(["className", [`${cls}${sub}${m[1]!}`]]);
  }
  out.push(["vendor", ["ffff"]], ["vendor", ["8086x"]], ["vendor", [""]], ["device", ["8086", "ffff"]], ["device", ["abcd", "0001"]]);
  out.push(["subsystem", ["8086", "1572", "ffff", "ffff"]], ["className", ["ff0000"]], ["className", ["020001"]], ["className", ["0c0399"]]);
  return out;
}

function expectSameNames(text: string, every = 1) {
  const full = parsePciIds(text, "x");
  const lazy = indexPciIds(text, "x");
  const checks = lookups(text, every);
  const call = (ids: PciIds, fn: keyof PciIds, args: string[]) => (ids[fn] as (...a: string[]) => string | null)(...args);
  // one assertion for all of them: the differing lookups
  expect(checks.filter(([fn, args]) => call(lazy, fn, args) !== call(full, fn, args))).toEqual([]);
  return checks.length;
}

describe("pci.ids names, looked up lazily", () => {
  it("match the full parse on a file with comments, blank lines, a vendor first and a truncated line", () => {
    expectSameNames(SAMPLE);
    const lazy = indexPciIds(SAMPLE, "x");
    expect(lazy.device("8086", "1572")).toBe("Ethernet Controller X710 for 10GbE SFP+");
    expect(lazy.subsystem("8086", "1572", "1028", "1f99")).toBe("Ethernet 10G 4P X710/I350 rNDC");
    expect(lazy.className("0c0330")).toBe("XHCI");
    expect(lazy.className("0c0310")).toBe("USB controller");
    expect(lazy.className("028000")).toBe("Network controller");
    expect(lazy.vendor("0001")).toBe("SafeNet (wrong ID)");
    expect(lazy.device("0001", "0002")).toBe("first device");
  });

  it("without a class section or a trailing newline", () => {
    expectSameNames("1af4  Red Hat, Inc.\n\t1041  Virtio 1.0 network device");
    expect(indexPciIds("1af4  Red Hat, Inc.\n\t1041  Virtio 1.0 network device", "x").className("020000")).toBeNull();
  });

  const system = PCI_IDS_CANDIDATES.find((p) => existsSync(p));
  it.runIf(system)("match the full parse for every ID in the system's pci.ids", () => {
    const text = readFileSync(system!, "latin1");
    // every vendor and class; every 4th device and subsystem (each a search of its vendor's block: seconds for all)
    expect(expectSameNames(text, 4)).toBeGreaterThan(10_000);
    expect(loadPciIds(system).vendor("8086")).toBe("Intel Corporation");
  });
});
