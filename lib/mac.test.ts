import { describe, expect, it } from "vitest";
import { checkMac, stableVfMac } from "./mac";

describe("VF MAC addresses", () => {
  it("accepts unicast MACs in either separator and normalises them", () => {
    expect(checkMac("02-AA-bb-00-11-22")).toEqual({ ok: true, mac: "02:aa:bb:00:11:22" });
  });

  it.each([
    ["01:00:5e:00:00:01", "multicast"],
    ["00:00:00:00:00:00", "not a usable MAC"],
    ["02:11:22:33:44", "expected six hex pairs"],
    ["02:11:22:33:44:55; reboot", "expected six hex pairs"],
  ])("refuses %s", (mac, words) => {
    const r = checkMac(mac);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(words);
  });

  it("generates the same locally administered unicast MAC for the same PF and index, and different ones otherwise", () => {
    const a = stableVfMac("52:54:00:d5:7a:10", 0);
    expect(a).toBe(stableVfMac("52:54:00:D5:7A:10", 0));
    expect(a).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(checkMac(a).ok).toBe(true);
    const all = new Set(Array.from({ length: 256 }, (_, i) => stableVfMac("52:54:00:d5:7a:10", i)));
    expect(all.size).toBe(256);
    expect(stableVfMac("52:54:00:d5:7a:11", 0)).not.toBe(a);
  });
});
