import { describe, expect, it } from "vitest";
import { formatPciAddress, parsePciAddress, slotOf } from "./pci-address";

describe("parsePciAddress", () => {
  it("canonicalises the full and the short form", () => {
    expect(parsePciAddress("0000:65:00.0")).toMatchObject({ ok: true, address: "0000:65:00.0" });
    expect(parsePciAddress(" 0A:1F.7 ")).toMatchObject({ ok: true, address: "0000:0a:1f.7", parts: { bus: 10, device: 31, fn: 7 } });
  });

  it.each([
    ["../../../etc/passwd"],
    ["0000:65:00.0/../../x"],
    ["0000:65:20.0"], // device > 0x1f
    ["0000:65:00.8"], // function > 7
    ["0000:65:00.0; rm -rf /"],
    ["0000:65:00.0\u0000"],
    [""],
  ])("refuses %j with a message naming the expected form", (input) => {
    const r = parsePciAddress(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain("expected domain:bus:device.function such as 0000:65:00.0");
  });

  it("formats and slots", () => {
    expect(formatPciAddress({ domain: 1, bus: 0x65, device: 3, fn: 1 })).toBe("0001:65:03.1");
    expect(slotOf("0000:01:00.1")).toBe("0000:01:00");
  });
});
