import { describe, expect, it } from "vitest";
import { formatMountinfo, parseMountinfo, type MountinfoEntry } from "./mountinfo";

// a desktop's table (shared mounts, a path with a space) and a container's (no optional fields)
const SAMPLE = `22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
23 28 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
28 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro
45 28 259:1 / /boot/efi rw,relatime shared:30 - vfat /dev/nvme0n1p1 rw,fmask=0077,dmask=0077,codepage=437,iocharset=iso8859-1,shortname=mixed,errors=remount-ro
512 28 8:17 / /media/user/My\\040Disk rw,nosuid,nodev,relatime shared:270 master:1 - fuseblk /dev/sdb1 rw,user_id=0,group_id=0,allow_other,blksize=4096
26 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
`;

describe("/proc/self/mountinfo", () => {
  it("reads the fields on both sides of the separator, paths unescaped", () => {
    const rows = parseMountinfo(SAMPLE);
    expect(rows).toHaveLength(7);
    expect(rows[2]).toEqual({
      id: 28,
      parentId: 1,
      majorMinor: "259:2",
      root: "/",
      mountpoint: "/",
      options: "rw,relatime",
      optionalFields: ["shared:1"],
      fstype: "ext4",
      source: "/dev/nvme0n1p2",
      superOptions: "rw,errors=remount-ro",
    });
    expect(rows[4]).toMatchObject({ mountpoint: "/media/user/My Disk", optionalFields: ["shared:270", "master:1"], fstype: "fuseblk" });
    expect(rows[5]!.optionalFields).toEqual([]);
  });

  it("format → parse gives back the mounts (spaces, tabs and backslashes escaped)", () => {
    const rows: MountinfoEntry[] = [
      {
        id: 40,
        parentId: 28,
        majorMinor: "0:27",
        root: "/@home",
        mountpoint: "/srv/a b\tc\\d",
        options: "rw,relatime",
        optionalFields: ["shared:5"],
        fstype: "btrfs",
        source: "/dev/mapper/vg-root",
        superOptions: "rw,ssd,subvolid=256,subvol=/@home",
      },
    ];
    expect(formatMountinfo(rows)).toContain(" /srv/a\\040b\\011c\\134d ");
    expect(parseMountinfo(formatMountinfo(rows))).toEqual(rows);
  });

  it("prints the kernel's text back from a parsed sample, byte for byte", () => {
    expect(formatMountinfo(parseMountinfo(SAMPLE))).toBe(SAMPLE);
  });
});
