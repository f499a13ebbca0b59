import { describe, expect, it } from "vitest";
import { checkMac, isUnicastMac } from "./mac";
import {
  canonicalMacSchema,
  canonicalPciAddressSchema,
  driverNameSchema,
  macSchema,
  netdevNameSchema,
  pciAddressSchema,
  POOL_NAME_PATTERN,
  POOL_NAME_RULE,
  poolNameSchema,
  ROM_FILE_PATTERN,
  romFileSchema,
} from "./schemas";

const message = (r: { success: boolean; error?: { issues: { message: string }[] } }) => (r.success ? null : r.error!.issues[0]!.message);

describe("the primitive schemas", () => {
  it("round-trips what people type through the canonical forms a plan carries", () => {
    for (const typed of ["3b:02.0", " 0000:3B:02.0 ", "10000:e1:00.0"]) {
      const canonical = pciAddressSchema.parse(typed);
      expect(canonicalPciAddressSchema.parse(canonical)).toBe(canonical);
      expect(pciAddressSchema.parse(canonical)).toBe(canonical);
    }
    const guestMac = canonicalMacSchema("52:54:00:12:34:56");
    for (const typed of ["02-AA-00-00-00-01", "52:54:00:AB:CD:EF"]) {
      const canonical = macSchema.parse(typed);
      expect(guestMac.parse(canonical)).toBe(canonical);
      expect(macSchema.parse(canonical)).toBe(canonical);
    }
  });

  it("takes only the canonical forms where a plan is checked, with the allow-list's words", () => {
    expect(message(canonicalPciAddressSchema.safeParse("3b:02.0"))).toBe("must be a canonical PCI address such as 0000:3b:00.0");
    expect(message(canonicalPciAddressSchema.safeParse("0000:3b:02.0/../x"))).toBe("must be a canonical PCI address such as 0000:3b:00.0");
    const vfMac = canonicalMacSchema("02:11:22:33:44:55");
    expect(message(vfMac.safeParse("02:AA:00:00:00:01"))).toBe("must be a MAC address such as 02:11:22:33:44:55");
    expect(message(vfMac.safeParse("01:00:5e:00:00:01"))).toBe("must be a unicast, non-zero MAC");
    expect(message(vfMac.safeParse("00:00:00:00:00:00"))).toBe("must be a unicast, non-zero MAC");
    expect(message(driverNameSchema.safeParse("vfio-pci; reboot"))).toBe("must be a kernel driver name such as vfio-pci");
    expect(driverNameSchema.parse("mlx5_core")).toBe("mlx5_core");
    expect(message(netdevNameSchema.safeParse("eth1; rm -rf /"))).toBe("must be a network interface name such as enp65s0f0");
    expect(message(netdevNameSchema.safeParse("a-name-of-16-chr"))).toBe("must be a network interface name such as enp65s0f0");
    expect(netdevNameSchema.parse("enp65s0f0v1")).toBe("enp65s0f0v1");
  });

  it("agrees with checkMac on what a usable MAC is", () => {
    const vfMac = canonicalMacSchema("02:11:22:33:44:55");
    for (const mac of ["02:00:00:00:00:01", "01:00:5e:00:00:01", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "52:54:00:12:34:56"]) {
      expect(vfMac.safeParse(mac).success).toBe(checkMac(mac).ok);
      expect(isUnicastMac(mac)).toBe(checkMac(mac).ok);
    }
  });

  it("names a pool the same way everywhere, and a ROM file's schema is stricter than its pattern alone", () => {
    expect(message(poolNameSchema.safeParse("-x"))).toBe(POOL_NAME_RULE);
    expect(poolNameSchema.parse("x710.pool_1")).toBe("x710.pool_1");
    expect(POOL_NAME_PATTERN.test("a".repeat(51))).toBe(false);
    expect(ROM_FILE_PATTERN.test("/usr/share/vgabios/gpu.rom")).toBe(true);
    expect(romFileSchema.parse("/usr/share/vgabios/gpu.rom")).toBe("/usr/share/vgabios/gpu.rom");
    // the pattern admits these; the schema refuses them
    for (const f of ["/usr/../etc/shadow", "/dev/mem"]) {
      expect(ROM_FILE_PATTERN.test(f)).toBe(true);
      expect(romFileSchema.safeParse(f).success).toBe(false);
    }
  });
});
