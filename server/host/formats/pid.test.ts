import { describe, expect, it } from "vitest";
import {
  formatArgv,
  formatCgroup,
  formatComm,
  formatPidStat,
  formatPidStatus,
  parseArgv,
  parseCgroup,
  parseComm,
  parsePidStat,
  parsePidStatus,
  STAT_STARTTIME,
  STAT_UTIME,
  statField,
  statusNumber,
} from "./pid";

// a QEMU's files as a 6.x kernel printed them (stat shortened after field 24; comm with a space and a parenthesis)
const STAT = "2817 (qemu (kvm) 1) S 1 2816 2816 0 -1 4194624 79841 0 12 0 5120 2210 0 0 20 0 9 0 4242 8589934592 1048576\n";
const STATUS = "Name:\tqemu-system-x86\nUmask:\t0027\nState:\tS (sleeping)\nUid:\t64055\t64055\t64055\t64055\nVmRSS:\t  8421376 kB\n";
const CGROUP_V1 = "9:name=systemd:/machine.slice/machine-qemu\\x2d3\\x2drouter.scope\n4:memory:/machine.slice\n0::/\n";

describe("/proc/<pid>", () => {
  it("stat: comm ends at the last parenthesis; fields by man 5 proc's numbers", () => {
    const stat = parsePidStat(STAT);
    expect(stat).toMatchObject({ pid: 2817, comm: "qemu (kvm) 1", state: "S" });
    expect(statField(stat, STAT_UTIME)).toBe(5120);
    expect(statField(stat, STAT_STARTTIME)).toBe(4242);
    expect(formatPidStat(stat)).toBe(STAT);
    expect(parsePidStat(formatPidStat(stat))).toEqual(stat);
  });

  it("status: keys and values; numbers from the first of a value", () => {
    const status = parsePidStatus(STATUS);
    expect(statusNumber(status, "Uid")).toBe(64055);
    expect(statusNumber(status, "VmRSS")).toBe(8421376);
    expect(statusNumber(status, "VmSwap")).toBeNull();
    expect(parsePidStatus(formatPidStatus(status))).toEqual(status);
    const simulated: [string, string][] = [
      ["Name", "qemu"],
      ["Uid", "0\t0\t0\t0"],
    ];
    expect(parsePidStatus(formatPidStatus(simulated))).toEqual(simulated);
  });

  it("cmdline, comm and cgroup round-trip", () => {
    const argv = ["/usr/bin/qemu-system-x86_64", "-name", "guest=router,debug-threads=on", "-device", "vfio-pci,host=0000:86:00.0"];
    expect(parseArgv(formatArgv(argv))).toEqual(argv);
    expect(parseComm(formatComm("qemu-system-x86"))).toBe("qemu-system-x86");
    expect(parseComm("")).toBeNull();
    const cgroups = parseCgroup(CGROUP_V1);
    expect(cgroups[0]).toEqual({ hierarchy: 9, controllers: "name=systemd", path: "/machine.slice/machine-qemu\\x2d3\\x2drouter.scope" });
    expect(formatCgroup(cgroups)).toBe(CGROUP_V1);
    expect(parseCgroup(formatCgroup([{ hierarchy: 0, controllers: "", path: "/qemu.slice/101.scope" }]))).toEqual([
      { hierarchy: 0, controllers: "", path: "/qemu.slice/101.scope" },
    ]);
  });
});
