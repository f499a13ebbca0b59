import { describe, expect, it } from "vitest";
import { decodeIpLinkVfError, decodeShortfall, decodeSysfsWriteError, normalizeErrno, type IpLinkVfInput, type SysfsWriteInput } from "./decode";
import { lastSeq, linesSince, parseKmsg } from "@/server/host/kmsg";
import { SAMPLE_KMSG } from "@/server/host/kmsg-sample";

// Kernel lines below are the kernels' printk strings with the dev_printk prefix ("<driver|bus> <BDF>: ").

function sysfs(over: Partial<SysfsWriteInput> & Pick<SysfsWriteInput, "errno">): ReturnType<typeof decodeSysfsWriteError> {
  return decodeSysfsWriteError({ attribute: "sriov_numvfs", device: "0000:01:00.0", value: "4", kernelLog: [], ...over });
}

function ip(over: Partial<IpLinkVfInput>): ReturnType<typeof decodeIpLinkVfError> {
  return decodeIpLinkVfError({
    setting: "mac",
    pfNetdev: "enp1s0f0",
    pfDriver: "igb",
    vf: 0,
    value: "02:11:22:33:44:55",
    stderr: "",
    exitCode: 2,
    ...over,
  });
}

describe("decodeSysfsWriteError: sriov_numvfs", () => {
  it("ERANGE: more than sriov_totalvfs, saying the number", () => {
    const d = sysfs({ value: "8", errno: "ERANGE", context: { totalVfs: 7, currentVfs: 0, driver: "igb" } });
    expect(d.code).toBe("vf-count-above-total");
    expect(d.errno).toBe("ERANGE");
    expect(d.cause).toContain("at most 7 VFs");
    expect(d.cause).toContain("8");
    expect(d.fix).toContain("Choose 7 or fewer");
  });

  it("ERANGE on mlx5: the limit is in the card's firmware (mstconfig NUM_OF_VFS)", () => {
    const d = sysfs({ device: "0000:81:00.0", value: "16", errno: "ERANGE", context: { totalVfs: 8, driver: "mlx5_core" } });
    expect(d.code).toBe("vf-count-above-total");
    expect(d.fix).toContain("NUM_OF_VFS");
  });

  it("ERANGE with sriov_totalvfs 0: SR-IOV is off in the BIOS or firmware", () => {
    const d = sysfs({ value: "2", errno: "ERANGE", context: { totalVfs: 0, driver: "ixgbe" } });
    expect(d.code).toBe("sriov-disabled-in-firmware");
    expect(d.fix).toContain('"SR-IOV Support"');
  });

  it("EINVAL: a value that is not a number (kstrtou16 refuses it)", () => {
    const d = sysfs({ value: "four", errno: "EINVAL", context: { totalVfs: 7 } });
    expect(d.code).toBe("invalid-value");
    expect(d.cause).toContain('"four"');
    expect(d.cause).toContain("whole number");
  });

  it("EBUSY with the kernel's line: VFs already enabled, set the count to 0 first", () => {
    const d = sysfs({
      device: "0000:3b:00.0",
      value: "2",
      errno: "EBUSY",
      kernelLog: ["pci 0000:3b:00.0: 4 VFs already enabled. Disable before enabling 2 VFs"],
      context: { totalVfs: 64, currentVfs: 4, driver: "i40e" },
    });
    expect(d.code).toBe("vfs-already-enabled");
    expect(d.cause).toContain("4 VFs");
    expect(d.fix).toContain("Set the count to 0 first, then to 2");
    expect(d.fix).toContain("NetworkManager");
    expect(d.kernelLines).toEqual(["pci 0000:3b:00.0: 4 VFs already enabled. Disable before enabling 2 VFs"]);
  });

  it("EBUSY without a readable log still means VFs already exist", () => {
    const d = sysfs({ value: "2", errno: "EBUSY", context: { totalVfs: 7, currentVfs: 3, driver: "igb" } });
    expect(d.code).toBe("vfs-already-enabled");
    expect(d.cause).toContain("3 VFs");
    expect(d.fix).toContain("Set the count to 0 first");
  });

  it("prefers the line about this device when the log holds another PF's", () => {
    const d = sysfs({
      device: "0000:3b:00.1",
      value: "2",
      errno: "EBUSY",
      kernelLog: [
        "pci 0000:3b:00.0: 8 VFs already enabled. Disable before enabling 1 VFs",
        "pci 0000:3b:00.1: 4 VFs already enabled. Disable before enabling 2 VFs",
      ],
    });
    expect(d.cause).toContain("0000:3b:00.1 already has 4 VFs");
  });

  it("EBUSY writing 0: a VF is in use by a VM", () => {
    const d = sysfs({ value: "0", errno: "EBUSY", context: { currentVfs: 4, driver: "ice" } });
    expect(d.code).toBe("vfs-assigned-to-vm");
    expect(d.fix).toContain("VMs");
  });

  it("EPERM from igb with its line is a VF assigned to a VM, not a missing root", () => {
    const d = sysfs({
      value: "0",
      errno: "EPERM",
      kernelLog: ["igb 0000:01:00.0: Cannot deallocate SR-IOV virtual functions while they are assigned - VFs will not be deallocated"],
    });
    expect(d.code).toBe("vfs-assigned-to-vm");
    expect(d.cause).toContain("igb");
    expect(d.kernelLines).toHaveLength(1);
  });

  it("EINVAL from i40e with its line: VFs assigned to VMs", () => {
    const d = sysfs({
      device: "0000:3b:00.0",
      value: "0",
      errno: "EINVAL",
      kernelLog: ["i40e 0000:3b:00.0: Unable to free VFs because some are assigned to VMs."],
    });
    expect(d.code).toBe("vfs-assigned-to-vm");
    expect(d.cause).toContain("i40e");
  });

  it("ENOENT: the PF driver has no sysfs SR-IOV (i915), pointing at i915-sriov-dkms / xe", () => {
    const d = sysfs({
      device: "0000:00:02.0",
      value: "7",
      errno: "ENOENT",
      kernelLog: ["i915 0000:00:02.0: Driver does not support SRIOV configuration via sysfs"],
      context: { totalVfs: 7, driver: "i915" },
    });
    expect(d.code).toBe("driver-no-sysfs-sriov");
    expect(d.cause).toContain("i915");
    expect(d.fix).toContain("i915-sriov-dkms");
    expect(d.fix).toContain("xe.max_vfs");
  });

  it("ENOENT without a log names the driver's module parameter", () => {
    const d = sysfs({ device: "0000:05:00.0", value: "4", errno: "ENOENT", context: { totalVfs: 63, driver: "oldnic" } });
    expect(d.code).toBe("driver-no-sysfs-sriov");
    expect(d.fix).toContain("options oldnic max_vfs=N");
  });

  it("ENOENT with the PF on vfio-pci: bind it back to its vendor driver", () => {
    const d = sysfs({ value: "4", errno: "ENOENT", context: { totalVfs: 7, driver: "vfio-pci" } });
    expect(d.code).toBe("driver-no-sysfs-sriov");
    expect(d.fix).toContain("vendor driver");
    expect(d.fix).toContain("enable_sriov=1");
  });

  it("ENOENT with no driver bound (5.13+ line)", () => {
    const d = sysfs({ value: "4", errno: "ENOENT", kernelLog: ["pci 0000:01:00.0: no driver bound to device; cannot configure SR-IOV"] });
    expect(d.code).toBe("no-pf-driver");
    expect(d.fix).toContain("vendor driver");
  });

  it("ENOENT with no driver bound (older kernels print the sysfs line for both; the context decides)", () => {
    const d = sysfs({
      value: "4",
      errno: "ENOENT",
      kernelLog: ["pci 0000:01:00.0: Driver doesn't support SRIOV configuration via sysfs"],
      context: { driver: null },
    });
    expect(d.code).toBe("no-pf-driver");
  });

  it("ENOMEM with 'not enough MMIO resources': BIOS SR-IOV Support / Above 4G Decoding, or pci=realloc", () => {
    const d = sysfs({
      device: "0000:05:00.0",
      value: "8",
      errno: "ENOMEM",
      kernelLog: [
        "pci 0000:05:00.0: BAR 7: no space for [mem size 0x00400000 64bit]",
        "ixgbe 0000:05:00.0: not enough MMIO resources for SR-IOV",
        "ixgbe 0000:05:00.0: Failed to enable PCI sriov: -12",
      ],
      context: { totalVfs: 63, currentVfs: 0, driver: "ixgbe" },
    });
    expect(d.code).toBe("mmio-resources");
    expect(d.fix).toContain('"SR-IOV Support"');
    expect(d.fix).toContain('"Above 4G Decoding"');
    expect(d.fix).toContain("MMIO High");
    expect(d.fix).toContain("pci=realloc");
    expect(d.kernelLines).toEqual([
      "pci 0000:05:00.0: BAR 7: no space for [mem size 0x00400000 64bit]",
      "ixgbe 0000:05:00.0: not enough MMIO resources for SR-IOV",
    ]);
  });

  it("ENOMEM with 'SR-IOV: bus number out of range': ARI or pci=assign-busses", () => {
    const d = sysfs({ value: "8", errno: "ENOMEM", kernelLog: ["pci 0000:01:00.0: SR-IOV: bus number out of range"] });
    expect(d.code).toBe("bus-number-out-of-range");
    expect(d.cause).toContain("ARI");
    expect(d.fix).toContain("pci=assign-busses");
    expect(d.fix).toContain('"PCIe ARI Support"');
  });

  it("the log beats the errno: EBUSY with 'can't enable 8 VFs (bus 02 out of range of [bus 01])'", () => {
    const d = sysfs({
      value: "8",
      errno: "EBUSY",
      kernelLog: ["igb 0000:01:00.0: can't enable 8 VFs (bus 02 out of range of [bus 01])"],
      context: { totalVfs: 8, currentVfs: 0, driver: "igb" },
    });
    expect(d.code).toBe("bus-number-out-of-range");
    expect(d.errno).toBe("EBUSY");
    expect(d.cause).toContain("bus 02");
    expect(d.cause).toContain("[bus 01]");
    expect(d.fix).toContain("pci=assign-busses");
  });

  it("ENOMEM without a log: MMIO or bus numbers, both remedies", () => {
    const d = sysfs({ value: "8", errno: "ENOMEM", context: { totalVfs: 8, driver: "igb" } });
    expect(d.code).toBe("vf-resources-unavailable");
    expect(d.fix).toContain("pci=realloc");
    expect(d.fix).toContain("pci=assign-busses");
  });

  it("the log beats the errno: i40e's resource limit arrives as EPERM", () => {
    const d = sysfs({
      device: "0000:3b:00.0",
      value: "70",
      errno: "EPERM",
      kernelLog: ["i40e 0000:3b:00.0: Unable to enable 70 VFs. Limited to 64 VFs due to device resource constraints."],
      context: { totalVfs: 128, driver: "i40e" },
    });
    expect(d.code).toBe("driver-vf-limit");
    expect(d.fix).toContain("Ask for 64 or fewer");
  });

  it("EINVAL for a valid number with no log: the driver refused without saying why", () => {
    const d = sysfs({ value: "4", errno: "EINVAL", context: { totalVfs: 8, driver: "qede" } });
    expect(d.code).toBe("driver-rejected-vf-count");
    expect(d.cause).toContain("qede");
  });

  it("EIO: broken SR-IOV capability or failed firmware command", () => {
    const d = sysfs({ value: "4", errno: "EIO", context: { driver: "mlx5_core" } });
    expect(d.code).toBe("sriov-enable-io-error");
    expect(d.fix).toContain("firmware");
  });

  it("PF interface down for bnxt_en (context): bring <pf> up with ip link set <pf> up", () => {
    const d = sysfs({
      device: "0000:3b:00.0",
      value: "4",
      errno: "EIO",
      context: { driver: "bnxt_en", pfNetdevUp: false, pfNetdev: "enp59s0f0np0" },
    });
    expect(d.code).toBe("pf-netdev-down");
    expect(d.fix).toContain("Bring enp59s0f0np0 up");
    expect(d.fix).toContain("ip link set enp59s0f0np0 up");
  });

  it("PF interface down for ixgbe (context, no errno)", () => {
    const d = sysfs({ device: "0000:05:00.0", value: "4", errno: null, context: { driver: "ixgbe", pfNetdevUp: false } });
    expect(d.code).toBe("pf-netdev-down");
    expect(d.cause).toContain("ixgbe");
    expect(d.fix).toContain("/sys/bus/pci/devices/0000:05:00.0/net/");
  });

  it("bnxt_en's own line names the interface", () => {
    const d = sysfs({
      device: "0000:3b:00.0",
      value: "4",
      errno: null,
      kernelLog: ["bnxt_en 0000:3b:00.0 enp59s0f0np0: Reject SRIOV config request since if is down!"],
    });
    expect(d.code).toBe("pf-netdev-down");
    expect(d.cause).toContain("bnxt_en");
    expect(d.fix).toContain("ip link set enp59s0f0np0 up");
  });

  it("bnxt_en during a firmware reset: wait and retry", () => {
    const d = sysfs({
      device: "0000:3b:00.0",
      errno: null,
      kernelLog: ["bnxt_en 0000:3b:00.0 enp59s0f0np0: Reject SRIOV config request when FW reset is in progress"],
    });
    expect(d.code).toBe("firmware-reset-in-progress");
  });

  it("a write that timed out: the kernel held the device lock", () => {
    const d = sysfs({
      value: "8",
      errno: null,
      kernelLog: [
        "INFO: task bash:4121 blocked for more than 120 seconds.",
        "mlx5_core 0000:01:00.0: wait_func:1136:(pid 4121): ENABLE_HCA(0x104) timeout. Will cause a leak of a command resource",
        "unrelated 0000:09:00.0: something else",
      ],
      context: { timedOut: true, driver: "mlx5_core" },
    });
    expect(d.code).toBe("write-timed-out");
    expect(d.cause).toContain("device lock");
    expect(d.fix).toContain("dmesg");
    expect(d.fix).toContain("reboot");
    expect(d.kernelLines).toHaveLength(2);
  });

  it("an unknown errno falls back to the kernel's words, every line verbatim", () => {
    const lines = ["mlx5_core 0000:01:00.0: mlx5_sriov_enable:163:(pid 812): pci_enable_sriov failed : -71", "some other line"];
    const d = sysfs({ value: "4", errno: "EPROTO", kernelLog: lines });
    expect(d.code).toBe("kernel-refused");
    expect(d.cause).toContain("The kernel refused");
    expect(d.cause).toContain("EPROTO");
    expect(d.kernelLines).toEqual(lines);
  });

  it("an errno given as a number or strerror text is normalised", () => {
    expect(sysfs({ value: "2", errno: "-16", context: { currentVfs: 1 } }).code).toBe("vfs-already-enabled");
    expect(sysfs({ value: "9", errno: "Numerical result out of range", context: { totalVfs: 7 } }).errno).toBe("ERANGE");
  });
});

describe("decodeSysfsWriteError: other attributes", () => {
  it("EINVAL on sriov_drivers_autoprobe: junk value", () => {
    const d = sysfs({ attribute: "sriov_drivers_autoprobe", value: "maybe", errno: "EINVAL" });
    expect(d.code).toBe("invalid-value");
    expect(d.cause).toContain("0 or 1");
  });

  it("vfio-pci refuses a PF with SR-IOV enabled (bind answers EBUSY)", () => {
    const d = sysfs({
      attribute: "bind",
      device: "0000:3b:00.0",
      value: "0000:3b:00.0",
      errno: "EBUSY",
      kernelLog: ["vfio-pci 0000:3b:00.0: Cannot bind to PF with SR-IOV enabled", "vfio-pci 0000:3b:00.0: probe with driver vfio-pci failed with error -16"],
      context: { currentVfs: 4, driver: null, targetDriver: "vfio-pci" },
    });
    expect(d.code).toBe("vfio-pf-has-vfs");
    expect(d.cause).toContain("4 VFs");
    expect(d.fix).toContain("VF count to 0");
    expect(d.kernelLines).toContain("vfio-pci 0000:3b:00.0: Cannot bind to PF with SR-IOV enabled");
  });

  it("vfio-pci refusing a PF, recognised from the context when drivers_probe 'succeeded' without a log", () => {
    const d = sysfs({ attribute: "drivers_probe", device: "0000:3b:00.0", value: "0000:3b:00.0", errno: null, context: { currentVfs: 2, driver: null } });
    expect(d.code).toBe("vfio-pf-has-vfs");
  });

  it("EBUSY on bind: already bound to another driver", () => {
    const d = sysfs({ attribute: "bind", value: "0000:01:00.0", errno: "EBUSY", context: { driver: "igb", targetDriver: "vfio-pci" } });
    expect(d.code).toBe("already-bound");
    expect(d.cause).toContain("igb");
    expect(d.fix).toContain("driver/unbind");
  });

  it("EBUSY on unbind: the device is in use", () => {
    const d = sysfs({ attribute: "unbind", device: "0000:0a:00.0", value: "0000:0a:00.0", errno: "EBUSY", context: { driver: "nvme" } });
    expect(d.code).toBe("device-busy");
    expect(d.fix).toContain("0000:0a:00.0");
  });

  it("ENODEV on bind: the driver did not match, use driver_override", () => {
    const d = sysfs({ attribute: "bind", device: "0000:0b:10.0", value: "0000:0b:10.0", errno: "ENODEV", context: { driver: null, targetDriver: "vfio-pci" } });
    expect(d.code).toBe("driver-did-not-match");
    expect(d.fix).toContain("driver_override");
    expect(d.fix).toContain("vfio-pci");
  });

  it("ENOENT on bind: the target driver is not loaded", () => {
    const d = sysfs({ attribute: "bind", value: "0000:0b:10.0", errno: "ENOENT", context: { targetDriver: "vfio-pci" } });
    expect(d.code).toBe("driver-not-loaded");
    expect(d.fix).toContain("modprobe vfio-pci");
  });

  it("ENODEV on unbind: the device is not bound to that driver", () => {
    const d = sysfs({ attribute: "unbind", device: "0000:0b:10.0", value: "0000:0b:10.0", errno: "ENODEV" });
    expect(d.code).toBe("not-bound-to-driver");
    expect(d.fix).toContain("readlink /sys/bus/pci/devices/0000:0b:10.0/driver");
  });

  it("EINVAL on unbind decodes the same way", () => {
    expect(sysfs({ attribute: "unbind", value: "0000:0b:10.0", errno: "EINVAL" }).code).toBe("not-bound-to-driver");
  });

  it("ENODEV on drivers_probe: the device is gone", () => {
    const d = sysfs({ attribute: "drivers_probe", device: "0000:0b:10.4", value: "0000:0b:10.4", errno: "ENODEV" });
    expect(d.code).toBe("device-gone");
    expect(d.fix).toContain("virtfn");
  });

  it("ENOENT on driver_override: the device is gone", () => {
    expect(sysfs({ attribute: "driver_override", value: "vfio-pci", errno: "ENOENT" }).code).toBe("device-gone");
  });

  it("EAGAIN on bind: probe deferred", () => {
    expect(sysfs({ attribute: "bind", value: "0000:01:00.0", errno: "EAGAIN" }).code).toBe("probe-deferred");
  });

  it("drivers_probe that bound nothing", () => {
    const d = sysfs({ attribute: "drivers_probe", device: "0000:0b:10.0", value: "0000:0b:10.0", errno: null, context: { driver: null, currentVfs: null } });
    expect(d.code).toBe("probe-bound-nothing");
    expect(d.fix).toContain("driver_override");
  });

  it("a probe failure in the log: vfio-pci with EINVAL means no IOMMU group", () => {
    const d = sysfs({
      attribute: "drivers_probe",
      device: "0000:0b:10.0",
      value: "0000:0b:10.0",
      errno: null,
      kernelLog: ["pci 0000:0b:10.0: probe with driver vfio-pci failed with error -22"],
    });
    expect(d.code).toBe("probe-failed");
    expect(d.cause).toContain("EINVAL");
    expect(d.fix).toContain("intel_iommu=on");
  });

  it("a probe failure in the pre-6.x wording", () => {
    const d = sysfs({
      attribute: "bind",
      device: "0000:0b:10.0",
      value: "0000:0b:10.0",
      errno: "EIO",
      kernelLog: ["igbvf: probe of 0000:0b:10.0 failed with error -5"],
    });
    expect(d.code).toBe("probe-failed");
    expect(d.cause).toContain("igbvf matched 0000:0b:10.0");
  });

  it("an unbind held up by a VM: vfio 'Relaying device request to user'", () => {
    const d = sysfs({
      attribute: "unbind",
      device: "0000:75:00.1",
      value: "0000:75:00.1",
      errno: null,
      kernelLog: ["vfio-pci 0000:75:00.1: Relaying device request to user (#0)", "vfio-pci 0000:75:00.1: Relaying device request to user (#10)"],
      context: { timedOut: true, driver: "vfio-pci" },
    });
    expect(d.code).toBe("device-held-by-vfio-user");
    expect(d.fix).toContain("Shut down the VM");
    expect(d.kernelLines).toHaveLength(2);
  });

  it("EACCES: not root", () => {
    const d = sysfs({ attribute: "driver_override", value: "vfio-pci", errno: "EACCES" });
    expect(d.code).toBe("permission-denied");
    expect(d.cause).toContain("root");
  });

  it("EPERM on bind: not root", () => {
    expect(sysfs({ attribute: "bind", value: "0000:01:00.0", errno: "EPERM" }).code).toBe("permission-denied");
  });

  it("EROFS: /sys mounted read-only (container)", () => {
    const d = sysfs({ value: "4", errno: "EROFS" });
    expect(d.code).toBe("sysfs-read-only");
    expect(d.fix).toContain("privileged container");
  });

  it("no errno and nothing in the log: no effect, said plainly", () => {
    const d = sysfs({ attribute: "sriov_drivers_autoprobe", value: "0", errno: null });
    expect(d.code).toBe("no-effect");
    expect(d.errno).toBeNull();
  });
});

describe("decodeShortfall", () => {
  it("fewer VFs than requested: names the driver and both numbers", () => {
    const line = "igb 0000:01:00.0: 8 VFs requested; only 7 enabled";
    const d = decodeShortfall(8, 7, [line]);
    expect(d.code).toBe("vf-shortfall");
    expect(d.cause).toContain("igb enabled only 7 of the 8 VFs");
    expect(d.cause).toContain("0000:01:00.0");
    expect(d.fix).toContain("Use 7 VFs");
    expect(d.kernelLines).toEqual([line]);
    expect(d.errno).toBeNull();
  });

  it("without any kernel line (the executor's read-back)", () => {
    const d = decodeShortfall(4, 2, []);
    expect(d.code).toBe("vf-shortfall");
    expect(d.cause).toContain("only 2 of the 4");
  });

  it("bnxt_en enabling 0 because the PF is down", () => {
    const d = decodeShortfall(4, 0, [
      "bnxt_en 0000:3b:00.0 enp59s0f0np0: Reject SRIOV config request since if is down!",
      "bnxt_en 0000:3b:00.0: 4 VFs requested; only 0 enabled",
    ]);
    expect(d.code).toBe("pf-netdev-down");
    expect(d.fix).toContain("ip link set enp59s0f0np0 up");
    expect(d.kernelLines).toHaveLength(2);
  });

  it("bnxt_en refusing because VFs are assigned to VMs", () => {
    const d = decodeShortfall(8, 0, [
      "bnxt_en 0000:3b:00.0 enp59s0f0np0: Unable to configure SRIOV since some VFs are assigned to VMs.",
      "bnxt_en 0000:3b:00.0: 8 VFs requested; only 0 enabled",
    ]);
    expect(d.code).toBe("vfs-assigned-to-vm");
  });
});

describe("decodeIpLinkVfError", () => {
  it("EOPNOTSUPP for one setting: the driver (igb) does not support that setting", () => {
    const d = ip({ setting: "state", value: "disable", vf: 1, stderr: "RTNETLINK answers: Operation not supported\n" });
    expect(d.code).toBe("vf-setting-unsupported");
    expect(d.errno).toBe("EOPNOTSUPP");
    expect(d.cause).toContain("igb");
    expect(d.cause).toContain("link state");
    expect(d.cause).toContain("follow the PF's link");
    expect(d.fix).toContain("Remove state from VF 1's settings on enp1s0f0");
  });

  it("EOPNOTSUPP per setting with an unknown driver, and the kernel-internal ENOTSUPP (524)", () => {
    const d = ip({ setting: "trust", value: "on", pfDriver: null, pfNetdev: "eth2", stderr: "RTNETLINK answers: Unknown error 524" });
    expect(d.code).toBe("vf-setting-unsupported");
    expect(d.cause).toContain("The driver of eth2");
    expect(d.cause).toContain("trust mode");
  });

  it("EINVAL for the zero MAC (bnx2x)", () => {
    const d = ip({ pfDriver: "bnx2x", pfNetdev: "enp4s0f0", value: "00:00:00:00:00:00", stderr: "RTNETLINK answers: Invalid argument" });
    expect(d.code).toBe("vf-invalid-mac");
    expect(d.cause).toContain("bnx2x refuses the all-zero MAC");
    expect(d.fix).toContain("locally administered");
  });

  it("EINVAL for a multicast MAC", () => {
    const d = ip({ value: "01:00:5e:00:00:01", stderr: "RTNETLINK answers: Invalid argument" });
    expect(d.code).toBe("vf-invalid-mac");
    expect(d.cause).toContain("multicast");
  });

  it("EINVAL for VLAN above 4094", () => {
    const d = ip({ setting: "vlan", value: "4095", stderr: "RTNETLINK answers: Invalid argument" });
    expect(d.code).toBe("vf-invalid-vlan");
    expect(d.fix).toContain("4094");
  });

  it("EINVAL for qos above 7", () => {
    const d = ip({ setting: "qos", value: "9", stderr: "RTNETLINK answers: Invalid argument" });
    expect(d.code).toBe("vf-invalid-qos");
    expect(d.cause).toContain("0–7");
  });

  it("EINVAL for a rate above link speed (ixgbe)", () => {
    const d = ip({ setting: "max_tx_rate", value: "20000", pfDriver: "ixgbe", pfNetdev: "enp5s0f0", stderr: "RTNETLINK answers: Invalid argument" });
    expect(d.code).toBe("vf-invalid-rate");
    expect(d.cause).toContain("link speed");
    expect(d.fix).toContain("ethtool enp5s0f0");
  });

  it("EINVAL for a minimum rate on igb (no minimum at all)", () => {
    const d = ip({ setting: "min_tx_rate", value: "100", stderr: "RTNETLINK answers: Invalid argument" });
    expect(d.code).toBe("vf-invalid-rate");
    expect(d.cause).toContain("igb has no minimum rate");
  });

  it("EINVAL for an in-range value: generic, naming the driver", () => {
    const d = ip({ setting: "vlan", value: "100", stderr: "RTNETLINK answers: Invalid argument" });
    expect(d.code).toBe("vf-invalid-argument");
    expect(d.cause).toContain("igb rejected");
  });

  it("EINVAL for a VF that does not exist", () => {
    const d = ip({ vf: 5, vfCount: 2, stderr: "RTNETLINK answers: Invalid argument" });
    expect(d.code).toBe("vf-index-out-of-range");
    expect(d.cause).toContain("has 2 VFs (0–1)");
  });

  it("Network is down: the driver needs the PF up (bnxt_en)", () => {
    const d = ip({ pfDriver: "bnxt_en", pfNetdev: "enp59s0f0np0", stderr: "RTNETLINK answers: Network is down" });
    expect(d.code).toBe("pf-netdev-down");
    expect(d.errno).toBe("ENETDOWN");
    expect(d.fix).toContain('Bring enp59s0f0np0 up with "ip link set enp59s0f0np0 up"');
  });

  it("bnxt_en's EINVAL explained by its log line: PF down", () => {
    const d = ip({
      pfDriver: "bnxt_en",
      pfNetdev: "enp59s0f0np0",
      stderr: "RTNETLINK answers: Invalid argument",
      kernelLog: ["bnxt_en 0000:3b:00.0 enp59s0f0np0: vf ndo called though PF is down"],
    });
    expect(d.code).toBe("pf-netdev-down");
    expect(d.kernelLines).toHaveLength(1);
  });

  it("No such device: the PF netdev vanished", () => {
    const d = ip({ stderr: "RTNETLINK answers: No such device" });
    expect(d.code).toBe("pf-netdev-vanished");
    expect(d.errno).toBe("ENODEV");
  });

  it("Cannot find device: no interface by that name", () => {
    const d = ip({ pfNetdev: "enp9s0", stderr: 'Cannot find device "enp9s0"', exitCode: 1 });
    expect(d.code).toBe("pf-netdev-not-found");
    expect(d.cause).toContain("enp9s0");
  });

  it("Operation not permitted: not root / no CAP_NET_ADMIN", () => {
    const d = ip({ stderr: "RTNETLINK answers: Operation not permitted" });
    expect(d.code).toBe("permission-denied");
    expect(d.cause).toContain("CAP_NET_ADMIN");
  });

  it("Device or resource busy: retry", () => {
    expect(ip({ pfDriver: "ice", stderr: "RTNETLINK answers: Device or resource busy" }).code).toBe("vf-busy");
  });

  it("ip's own argument check, before the kernel", () => {
    const d = ip({ setting: "vlan", value: "abc", stderr: 'Error: argument "abc" is wrong: Invalid "vlan" value\n', exitCode: 255 });
    expect(d.code).toBe("ip-invalid-argument");
    expect(d.fix).toContain("0–4094");
  });

  it("ip not installed", () => {
    expect(ip({ stderr: "sh: 1: ip: not found", exitCode: 127 }).code).toBe("iproute2-missing");
  });

  it("an unknown errno: the kernel refused with <ERRNO>", () => {
    const d = ip({ setting: "spoofchk", value: "off", stderr: "RTNETLINK answers: Protocol error", kernelLog: ["mlx5_core 0000:01:00.0: some line"] });
    expect(d.code).toBe("kernel-refused");
    expect(d.cause).toContain("EPROTO");
    expect(d.kernelLines).toEqual(["mlx5_core 0000:01:00.0: some line"]);
  });

  it("an extack message is passed on verbatim", () => {
    const d = ip({ setting: "trust", value: "on", stderr: "Error: VF trust cannot be changed in switchdev mode.\n" });
    expect(d.code).toBe("kernel-refused");
    expect(d.cause).toContain("VF trust cannot be changed in switchdev mode");
  });
});

describe("kernel lines from parseKmsg / linesSince", () => {
  const kmsg = SAMPLE_KMSG;

  it("takes the lines logged after a sequence number, and feeds the decoder", () => {
    const records = parseKmsg(kmsg);
    const before = lastSeq(records.slice(0, 1));
    expect(before).toBe(1517);
    const lines = linesSince(records, before);
    expect(lines).toHaveLength(3);
    const d = decodeSysfsWriteError({ attribute: "sriov_numvfs", device: "0000:05:00.0", value: "8", errno: "ENOMEM", kernelLog: lines });
    expect(d.code).toBe("mmio-resources");
    expect(d.kernelLines).toEqual(["ixgbe 0000:05:00.0: not enough MMIO resources for SR-IOV"]);
    expect(lastSeq([])).toBe(-1);
  });
});

describe("normalizeErrno", () => {
  it("accepts names, numbers, strerror texts (glibc and musl) and node's unknown-errno text", () => {
    expect(normalizeErrno("EBUSY")).toBe("EBUSY");
    expect(normalizeErrno("-16")).toBe("EBUSY");
    expect(normalizeErrno("34")).toBe("ERANGE");
    expect(normalizeErrno("Device or resource busy")).toBe("EBUSY");
    expect(normalizeErrno("Resource busy")).toBe("EBUSY");
    expect(normalizeErrno("Not supported")).toBe("EOPNOTSUPP");
    expect(normalizeErrno("ENOTSUP")).toBe("EOPNOTSUPP");
    expect(normalizeErrno("Unknown system error -524")).toBe("ENOTSUPP");
    expect(normalizeErrno(null)).toBeNull();
    expect(normalizeErrno("")).toBeNull();
    expect(normalizeErrno("weird")).toBe("weird");
  });
});

describe("errno tables", () => {
  it("every errno number has a name whose strerror text maps back to it", () => {
    for (const n of [1, 2, 5, 12, 13, 16, 19, 22, 30, 34, 61, 62, 67, 71, 95, 100, 110, 517, 524]) {
      const name = normalizeErrno(String(-n));
      expect(name).toMatch(/^E[A-Z_0-9]+$/);
      expect(normalizeErrno(`Unknown system error -${n}`)).toBe(name);
    }
    expect(normalizeErrno("Protocol error")).toBe("EPROTO");
  });
});

describe("wording", () => {
  it("a sentence opening with an unknown driver is capitalised; driver names never are", () => {
    const d = decodeSysfsWriteError({ attribute: "sriov_numvfs", device: "0000:01:00.0", value: "0", errno: "EPERM", kernelLog: [] });
    expect(d.cause.startsWith("The driver refused")).toBe(true);
    const igb = decodeShortfall(8, 7, ["igb 0000:01:00.0: 8 VFs requested; only 7 enabled"]);
    expect(igb.cause.startsWith("igb ")).toBe(true);
  });
});
