/**
 * The machine running the tests is a real Linux host: compare Passdeck's reading of its /sys and /proc with
 * what the host's own tools (lspci from pciutils, ip from iproute2) say about the same kernel. This keeps the
 * parsers honest against real kernel output, not only against trees Passdeck generated itself.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { readEnv } from "@/server/env";
import { scanInventory } from "./scan";

const env = readEnv({});
const inv = scanInventory({ sysRoot: env.PASSDECK_SYS_ROOT, procRoot: env.PASSDECK_PROC_ROOT });

function lspciRecords(): Record<string, string>[] {
  const out = execFileSync("lspci", ["-D", "-vmm", "-n", "-k"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return out
    .trim()
    .split(/\n\n+/)
    .map((block) => Object.fromEntries(block.split("\n").map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()])));
}

describe("live host: Passdeck agrees with lspci and ip", () => {
  it("lists the same PCI functions with the same IDs, class, revision and driver as lspci", () => {
    const records = lspciRecords();
    expect(inv.devices.map((d) => d.address)).toEqual(records.map((r) => r.Slot));
    for (const r of records) {
      const d = inv.devices.find((x) => x.address === r.Slot)!;
      expect({ vendor: d.vendorId, device: d.deviceId, cls: d.classId.slice(0, 4), progIf: d.classId.slice(4), driver: d.driver }).toEqual({
        vendor: r.Vendor,
        device: r.Device,
        cls: r.Class,
        progIf: r.ProgIf ?? "00",
        driver: r.Driver ?? null,
      });
      expect(d.revision ?? "00").toBe(r.Rev ?? "00");
      expect(d.subsystemVendorId).toBe(r.SVendor ?? d.subsystemVendorId);
    }
  });

  it("finds the default route's interface and the addresses ip(8) shows", () => {
    const routes = JSON.parse(execFileSync("ip", ["-j", "route", "show", "default"], { encoding: "utf8" })) as { dev: string }[];
    expect(inv.facts.defaultRoute.ipv4).toBe(routes[0]?.dev ?? null);

    const links = JSON.parse(execFileSync("ip", ["-j", "addr", "show"], { encoding: "utf8" })) as {
      ifname: string;
      address?: string;
      addr_info: { family: string; local: string; prefixlen: number; scope: string; dynamic?: boolean; temporary?: boolean }[];
    }[];
    const netdevs = inv.devices.flatMap((d) => d.netdevs);
    expect(netdevs.length).toBeGreaterThan(0);
    for (const nd of netdevs) {
      const link = links.find((l) => l.ifname === nd.name)!;
      expect(nd.mac).toBe(link.address);
      const fromIp = link.addr_info.map((a) => `${a.local}/${a.prefixlen}`).sort();
      expect(nd.addresses.map((a) => `${a.address}/${a.prefixLength}`).sort()).toEqual(fromIp);
      // ip(8) prints "dynamic" for an address without IFA_F_PERMANENT, "temporary" for IFA_F_TEMPORARY
      for (const a of link.addr_info.filter((x) => x.family === "inet6")) {
        const ours = nd.addresses.find((x) => x.address === a.local)!;
        expect(ours.origin, a.local).toBe(a.temporary ? "temporary" : a.dynamic ? "autoconf" : "static");
      }
    }
  });

  it("marks the device behind the default route as host-critical", () => {
    const dev = inv.facts.defaultRoute.ipv4;
    expect(dev).not.toBeNull();
    const owner = inv.devices.find((d) => d.netdevs.some((n) => n.name === dev || n.uppers.includes(dev!)));
    expect(owner, `no PCI device carries ${dev}`).toBeDefined();
    expect(owner!.hostCritical.join(" ")).toContain("default");
  });
});
