/** The ROM file rule is one schema: the form (and the plans router) accept exactly what the executor's allow-list does. */
import { describe, expect, it } from "vitest";
import { romFileSchema } from "@/lib/schemas";
import { planStepSchema } from "./allow-list";

const attach = (file: string) => ({
  kind: "attach-device",
  domain: { uuid: "6695eb01-f6a4-8304-79aa-97f2502e193f", name: "test" },
  device: { type: "hostdev", address: "0000:01:00.0", managed: true, rom: { file } },
  target: "config",
});

const ACCEPTED = ["/usr/share/vgabios/gpu.rom", "/var/lib/libvirt/roms/GP104.rom", "/opt/roms/a-b_c.1.bin", "/x"];
const REFUSED = [
  "gpu.rom", // relative
  "/usr/share/../../etc/shadow",
  "/usr/share/vgabios/..",
  "/usr/./share/gpu.rom",
  "//etc/shadow",
  "/usr/share/vgabios/",
  "/dev/mem",
  "/dev/sda",
  "/proc/kcore",
  "/sys/bus/pci/devices/0000:01:00.0/rom",
  "/run/user/0/gpu.rom",
  "/usr/share/gpu rom.bin", // white space
  "/usr/share/gpu.rom\n",
  "/usr/share/'gpu'.rom",
  `/${"a".repeat(256)}`,
  "",
];

describe("romFileSchema and the allow-list", () => {
  it.each(ACCEPTED)("both accept %s", (file) => {
    expect(romFileSchema.safeParse(file).success).toBe(true);
    expect(planStepSchema.safeParse(attach(file)).success).toBe(true);
  });

  it.each(REFUSED)("both refuse %j", (file) => {
    expect(romFileSchema.safeParse(file).success).toBe(false);
    expect(planStepSchema.safeParse(attach(file)).success).toBe(false);
  });

  it("says what is wrong", () => {
    const first = (file: string) => romFileSchema.safeParse(file).error?.issues[0]?.message;
    expect(first("gpu.rom")).toBe("must be an absolute path such as /usr/share/vgabios/gpu.rom");
    expect(first("/usr/share/../gpu.rom")).toBe("must name a file plainly, without '.', '..' or '//' (such as /usr/share/vgabios/gpu.rom)");
    expect(first("/dev/mem")).toBe("must be a ROM file, not a device or kernel file under /dev, /proc, /sys or /run");
  });
});
