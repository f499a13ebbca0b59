import { describe, expect, it } from "vitest";
import { formatMounts, parseMounts, type MountsEntry } from "./mounts";

const SAMPLE = `proc /proc proc rw,relatime 0 0
sysfs /sys sysfs rw,relatime 0 0
/dev/nvme0n1p2 / ext4 rw,relatime,errors=remount-ro 0 0
/dev/sdb1 /media/user/My\\040Disk fuseblk rw,nosuid,nodev,relatime,user_id=0,group_id=0 0 0
`;

describe("/proc/mounts", () => {
  it("reads source, mountpoint (unescaped), type and options", () => {
    const rows = parseMounts(SAMPLE);
    expect(rows[2]).toEqual({ source: "/dev/nvme0n1p2", mountpoint: "/", fstype: "ext4", options: "rw,relatime,errors=remount-ro", freq: 0, passno: 0 });
    expect(rows[3]!.mountpoint).toBe("/media/user/My Disk");
  });

  it("format → parse gives back the mounts", () => {
    const rows: MountsEntry[] = [{ source: "//nas/share two", mountpoint: "/mnt/nas", fstype: "cifs", options: "rw,relatime", freq: 0, passno: 0 }];
    expect(parseMounts(formatMounts(rows))).toEqual(rows);
  });

  it("prints the kernel's text back from a parsed sample, byte for byte", () => {
    expect(formatMounts(parseMounts(SAMPLE))).toBe(SAMPLE);
  });
});
