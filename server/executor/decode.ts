/**
 * The kernel error decoder. When a sysfs write or `ip link set <pf> vf <n> …` is refused, the user sees an errno
 * ("Device or resource busy") or the shell's "I/O error"; the reason is in the errno *plus* what the kernel logged
 * during the write. These pure functions turn both into a stable `code`, a `cause` and a `fix` a homelab user can
 * act on. Kernel semantics and the exact printk strings: research/passthrough-anchors.md 3.3–3.10 and the kernel
 * sources quoted next to each rule (drivers/pci/iov.c, drivers/base/bus.c and dd.c, vfio_pci_core.c, NIC drivers).
 *
 * Data-driven: each decoder is a table of rules tried in order, first match wins. Rules that read kernel-log
 * evidence come first, because the log is more specific than the errno (ENOMEM alone can mean "no MMIO window" or
 * "no bus numbers"; EPERM from sriov_numvfs is a driver refusing, not a missing root). No I/O here.
 */

export type SysfsAttribute = "sriov_numvfs" | "sriov_drivers_autoprobe" | "driver_override" | "unbind" | "drivers_probe" | "bind";
export type VfSetting = "mac" | "vlan" | "qos" | "spoofchk" | "trust" | "state" | "min_tx_rate" | "max_tx_rate";

export interface Decoded {
  /** stable id for the UI, docs and tests, e.g. "vf-count-above-total" */
  code: string;
  cause: string;
  fix: string;
  /** the errno name ("EBUSY"), normalised from a name, a number or strerror text; null when there was none */
  errno: string | null;
  /** the kernel log lines that support the diagnosis, verbatim */
  kernelLines: string[];
}

export interface SysfsWriteContext {
  /** sriov_totalvfs of the device (null: unknown or absent) */
  totalVfs?: number | null;
  /** sriov_numvfs before/at the write */
  currentVfs?: number | null;
  /** the driver bound to the device (null: none) */
  driver?: string | null;
  /** operstate of the PF's netdev (null: unknown / no netdev) */
  pfNetdevUp?: boolean | null;
  /** the write (or the wait for its result) did not finish in time */
  timedOut?: boolean;
  /** the PF's netdev name, for "ip link set <pf> up" (optional; else taken from the log when it names it) */
  pfNetdev?: string | null;
  /** the driver a bind/drivers_probe aimed at (bind path or driver_override value), when known */
  targetDriver?: string | null;
}

export interface SysfsWriteInput {
  attribute: SysfsAttribute;
  device: string;
  value: string;
  errno: string | null;
  kernelLog: string[];
  context?: SysfsWriteContext;
}

export interface IpLinkVfInput {
  setting: VfSetting;
  pfNetdev: string;
  pfDriver: string | null;
  vf: number;
  value: string;
  stderr: string;
  exitCode: number;
  /** optional: kernel lines logged during the command (bnxt/bnx2x explain EINVAL only there) */
  kernelLog?: string[];
  /** optional: the PF's current VF count, to recognise a VF index that does not exist */
  vfCount?: number | null;
}

// ---------------------------------------------------------------------------------------------------------------
// errno names, numbers and strerror texts

/** Linux errno numbers (asm-generic; x86, arm64, riscv agree) plus the kernel-internal ones that leak to userspace. */
const ERRNO_BY_NUMBER: Readonly<Record<number, string>> = {
  1: "EPERM",
  2: "ENOENT",
  3: "ESRCH",
  4: "EINTR",
  5: "EIO",
  6: "ENXIO",
  7: "E2BIG",
  9: "EBADF",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  16: "EBUSY",
  17: "EEXIST",
  19: "ENODEV",
  22: "EINVAL",
  28: "ENOSPC",
  30: "EROFS",
  34: "ERANGE",
  38: "ENOSYS",
  61: "ENODATA",
  62: "ETIME",
  67: "ENOLINK",
  71: "EPROTO",
  90: "EMSGSIZE",
  93: "EPROTONOSUPPORT",
  95: "EOPNOTSUPP",
  99: "EADDRNOTAVAIL",
  100: "ENETDOWN",
  105: "ENOBUFS",
  110: "ETIMEDOUT",
  114: "EALREADY",
  115: "EINPROGRESS",
  125: "ECANCELED",
  // kernel-internal: EPROBE_DEFER becomes EAGAIN at bind; ENOTSUPP shows as "Unknown error 524"
  517: "EPROBE_DEFER",
  524: "ENOTSUPP",
};

/** glibc strerror texts (what iproute2 prints after "RTNETLINK answers:"). */
const GLIBC_TEXT: Readonly<Record<string, string>> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  EINTR: "Interrupted system call",
  EIO: "Input/output error",
  ENXIO: "No such device or address",
  EAGAIN: "Resource temporarily unavailable",
  ENOMEM: "Cannot allocate memory",
  EACCES: "Permission denied",
  EBUSY: "Device or resource busy",
  EEXIST: "File exists",
  ENODEV: "No such device",
  EINVAL: "Invalid argument",
  ENOSPC: "No space left on device",
  EROFS: "Read-only file system",
  ERANGE: "Numerical result out of range",
  ENOSYS: "Function not implemented",
  EMSGSIZE: "Message too long",
  EOPNOTSUPP: "Operation not supported",
  EADDRNOTAVAIL: "Cannot assign requested address",
  ENETDOWN: "Network is down",
  ENOBUFS: "No buffer space available",
  ETIMEDOUT: "Connection timed out",
  ESRCH: "No such process",
  E2BIG: "Argument list too long",
  EBADF: "Bad file descriptor",
  EFAULT: "Bad address",
  ENODATA: "No data available",
  ETIME: "Timer expired",
  ENOLINK: "Link has been severed",
  EPROTO: "Protocol error",
  EPROTONOSUPPORT: "Protocol not supported",
  EALREADY: "Operation already in progress",
  EINPROGRESS: "Operation now in progress",
  ECANCELED: "Operation canceled",
  EPROBE_DEFER: "Unknown error 517",
  ENOTSUPP: "Unknown error 524",
};

/** musl (Alpine) words some of them differently. */
const MUSL_TEXT: Readonly<Record<string, string>> = {
  "I/O error": "EIO",
  "Out of memory": "ENOMEM",
  "Resource busy": "EBUSY",
  "Result not representable": "ERANGE",
  "Not supported": "EOPNOTSUPP",
  "Operation would block": "EAGAIN",
  "No error information": "",
};

const ERRNO_BY_TEXT: ReadonlyMap<string, string> = new Map([
  ...Object.entries(GLIBC_TEXT).map(([name, text]) => [text.toLowerCase(), name] as const),
  ...Object.entries(MUSL_TEXT).map(([text, name]) => [text.toLowerCase(), name] as const),
]);

/** "EBUSY", "-16", "16", "Device or resource busy", "Unknown system error -524" → "EBUSY" / "ENOTSUPP"; else as given. */
export function normalizeErrno(errno: string | null | undefined): string | null {
  if (errno === null || errno === undefined) return null;
  const s = errno.trim();
  if (s === "") return null;
  if (/^E[A-Z0-9_]+$/.test(s)) return s === "ENOTSUP" ? "EOPNOTSUPP" : s; // libuv names 95 ENOTSUP
  const byText = ERRNO_BY_TEXT.get(s.toLowerCase());
  if (byText) return byText;
  const num = /^(?:unknown (?:system )?error )?-?(\d+)$/i.exec(s);
  if (num) return ERRNO_BY_NUMBER[Number(num[1])] ?? s;
  return s;
}

function describeErrno(name: string | null): string {
  if (name === null) return "no error";
  const text = GLIBC_TEXT[name];
  return text ? `${name} (${text})` : name;
}

// ---------------------------------------------------------------------------------------------------------------
// the rule engine

interface Facts {
  /** what was written or set: a sysfs attribute, "shortfall", or a VF setting */
  subject: string;
  errno: string | null;
  lines: readonly string[];
  /** the PCI address the diagnosis is about; lines naming it are preferred */
  device: string | null;
}

interface Explanation {
  cause: string;
  fix: string;
}

interface Rule<F extends Facts> {
  code: string;
  /** subjects the rule applies to; omitted = all */
  on?: readonly string[];
  /** errnos the rule applies to (null = no errno); omitted = any */
  errnos?: readonly (string | null)[];
  when?: (f: F) => boolean;
  /** a kernel line that must be present; its match is handed to explain */
  log?: RegExp;
  /** further lines worth showing when the rule fires (BAR assignment failures, hung-task warnings, …) */
  support?: readonly RegExp[];
  /** show every line naming the device too (for causes the kernel does not print a dedicated line for) */
  deviceLines?: boolean;
  explain: (f: F, hit: RegExpMatchArray | null) => Explanation;
}

/** First line matching `re`, preferring one that names `device` (the log of a write can hold other devices' lines). */
function findLine(lines: readonly string[], re: RegExp, device: string | null): RegExpMatchArray | null {
  let first: RegExpMatchArray | null = null;
  for (const line of lines) {
    const m = line.match(re);
    if (!m) continue;
    if (device && line.includes(device)) return m;
    first ??= m;
  }
  return first;
}

function applyRules<F extends Facts>(rules: readonly Rule<F>[], f: F): Decoded | null {
  for (const rule of rules) {
    if (rule.on && !rule.on.includes(f.subject)) continue;
    if (rule.errnos && !rule.errnos.includes(f.errno)) continue;
    if (rule.when && !rule.when(f)) continue;
    const hit = rule.log ? findLine(f.lines, rule.log, f.device) : null;
    if (rule.log && !hit) continue;
    const patterns = [...(rule.log ? [rule.log] : []), ...(rule.support ?? [])];
    const kernelLines = f.lines.filter((l) => patterns.some((re) => re.test(l)) || (rule.deviceLines === true && !!f.device && l.includes(f.device)));
    const { cause, fix } = rule.explain(f, hit);
    return { code: rule.code, cause: sentence(cause), fix: sentence(fix), errno: f.errno, kernelLines };
  }
  return null;
}

/** Parts like "the driver" can open a sentence; names (igb, modprobe, /sys) must stay as written. */
function sentence(text: string): string {
  return /^(?:the|a|an) /.test(text) ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

// ---------------------------------------------------------------------------------------------------------------
// shared knowledge

const BDF = String.raw`[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]`;

/** Drivers whose VFs need the PF netdev up: bnxt_en refuses to create them, ixgbe's VFs never leave reset. */
const PF_UP_DRIVERS: Readonly<Record<string, string>> = {
  bnxt_en: "bnxt_en creates VFs only while the PF interface is up",
  ixgbe: 'ixgbe\'s VFs stay in reset (ixgbevf: "PF still in reset state") while the PF interface is down',
};

/** Where a VF limit comes from, per driver, for "ask for fewer" fixes. */
const VF_LIMIT_HINT: Readonly<Record<string, string>> = {
  mlx5_core: "mlx5 takes the limit from the card's firmware: raise it with mstconfig -d <pf> set SRIOV_EN=1 NUM_OF_VFS=<n>, then reboot.",
  i915: "With i915-sriov-dkms the limit is the i915.max_vfs= boot parameter (at most 7).",
  xe: "The xe driver's limit is the xe.max_vfs= module parameter.",
};

const DEFAULT_LIMIT_HINT = "The limit comes from the device's SR-IOV capability or its firmware; Linux cannot raise it.";

function parseKernelUint(value: string): number | null {
  // kstrtou16(buf, 0): decimal, 0x hex or 0 octal, optional "+" and one trailing newline
  const v = value.replace(/\n$/, "");
  if (/^\+?0x[0-9a-f]+$/i.test(v)) return Number.parseInt(v.replace(/^\+?0x/i, ""), 16);
  if (/^\+?0[0-7]*$/.test(v)) return Number.parseInt(v.replace(/^\+/, ""), 8);
  if (/^\+?[1-9]\d*$/.test(v)) return Number.parseInt(v, 10);
  return null;
}

/** "igb 0000:01:00.0: …" → "igb"; bus-level lines ("pci …", "pcieport …") name no driver. */
function driverFromLog(lines: readonly string[], device: string): string | null {
  const re = new RegExp(String.raw`(?:^|\s)([\w.-]+) ${device.replace(/\./g, "\\.")}(?::| \S+:)`);
  for (const line of lines) {
    const m = line.match(re);
    if (m?.[1] && !["pci", "pcieport", "pci_bus"].includes(m[1])) return m[1];
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// sysfs writes (and the shortfall after a successful sriov_numvfs write)

interface SysfsFacts extends Facts {
  /** "" when unknown (a shortfall without its kernel line) */
  device: string;
  value: string;
  ctx: SysfsWriteContext;
  /** the value as the kernel parses a VF count; null when it is not one */
  count: number | null;
  /** the device's driver: from the context, else from the log */
  driver: string | null;
  /** decodeShortfall only */
  enabled?: number;
}

function drv(f: SysfsFacts): string {
  return f.driver ?? "the driver";
}

/** The PF netdev: from the context, else from a netdev_* line ("bnxt_en 0000:3b:00.0 enp59s0f0np0: …"). */
function pfName(f: SysfsFacts): string | null {
  if (f.ctx.pfNetdev) return f.ctx.pfNetdev;
  if (!f.device) return null;
  const re = new RegExp(String.raw`${f.device.replace(/\./g, "\\.")} ([\w.@-]+): `);
  for (const line of f.lines) {
    const m = line.match(re);
    if (m?.[1]) return m[1];
  }
  return null;
}

function pfUpExplanation(f: SysfsFacts): Explanation {
  const pf = pfName(f);
  const name = pf ?? `the interface of ${f.device}`;
  const why = (f.driver && PF_UP_DRIVERS[f.driver]) ?? `${drv(f)} needs the PF interface up to create working VFs`;
  return {
    cause: `${name} is down, and ${why}.`,
    fix:
      `Bring ${name} up with "ip link set ${pf ?? "<interface>"} up" (no address needed)` +
      (pf ? "" : ` — its name is in /sys/bus/pci/devices/${f.device}/net/`) +
      ", then set the VF count again. At boot, bring the PF up before the VFs are created.",
  };
}

function vfLimitHint(f: SysfsFacts): string {
  return (f.driver && VF_LIMIT_HINT[f.driver]) ?? DEFAULT_LIMIT_HINT;
}

const MMIO_FIX =
  'In the BIOS/UEFI enable "SR-IOV Support" (also called "SR-IOV Global Enable") and "Above 4G Decoding" ' +
  '("MMIO High" / "Memory Mapped I/O above 4GB"), then reboot. If the BIOS has no such items or it still fails, ' +
  "boot with pci=realloc on the kernel command line (e.g. GRUB_CMDLINE_LINUX, update the bootloader, reboot) so " +
  "Linux reassigns the bridge windows itself.";

const BUS_FIX =
  'Enable ARI in the BIOS ("PCIe ARI Support" / "ARI Forwarding") and reboot, so VFs use function numbers on the ' +
  "PF's bus; or boot with pci=assign-busses (often together with pci=realloc) so Linux renumbers the buses; or " +
  "ask for fewer VFs.";

/**
 * Kernel-log evidence: decisive whatever the errno, and shared with decodeShortfall (a driver may log the reason and
 * then report success with fewer VFs). Strings are the kernel's, matched loosely on wording that changed over time.
 */
const LOG_RULES: readonly Rule<SysfsFacts>[] = [
  {
    // vfio_pci_core: "Cannot bind to PF with SR-IOV enabled" → -EBUSY (the VFs might be in use; it won't guess)
    code: "vfio-pf-has-vfs",
    log: /Cannot bind to PF with SR-IOV enabled/i,
    explain: (f) => vfioPfHasVfs(f),
  },
  {
    // vfio_pci_core_request: the unbind/remove waits until the VFIO user (QEMU) lets go of the device
    code: "device-held-by-vfio-user",
    log: new RegExp(String.raw`(${BDF}): (?:Relaying device request to user|No device request channel registered, blocked until released by user)`, "i"),
    explain: (f, hit) => {
      const held = hit?.[1] ?? f.device;
      return {
        cause:
          `${held} is held through VFIO by a running program — usually a VM's QEMU — and the kernel is waiting for it to ` +
          "release the device; the write blocks until then.",
        fix:
          `Shut down the VM that uses ${held} or hot-unplug the device from it (virsh detach-device, or remove it in the ` +
          "VM's hardware settings), then retry.",
      };
    },
  },
  {
    // igb/ixgbe/nfp -EPERM, i40e -EINVAL, ice/idpf -EBUSY, bnxt returns 0: the driver keeps VFs a VM still uses
    code: "vfs-assigned-to-vm",
    log: /(?:while they are assigned|while VFs (?:are )?assigned|because some are assigned to VMs|since some VFs are assigned to VMs|VFs are assigned - VFs will not be deallocated)/i,
    explain: (f) => ({
      cause: `${drv(f)} refused to change the VFs of ${f.device} because at least one VF is assigned to a VM.`,
      fix: `Shut down or detach the VMs that use VFs of ${f.device}, then set the count again.`,
    }),
  },
  {
    // drivers/pci/iov.c sriov_numvfs_store: the count changes only from 0 (SR-IOV spec: no partial disable)
    code: "vfs-already-enabled",
    log: /(\d+) VFs already enabled\. Disable before enabling (\d+) VFs/i,
    explain: (f, hit) => alreadyEnabled(f, hit?.[1] ?? null, hit?.[2] ?? f.value),
  },
  {
    // iov.c sriov_enable: VF BARs got no space from the firmware → -ENOMEM
    code: "mmio-resources",
    log: /not enough MMIO resources for SR-IOV|SR-IOV: IOV BARS not allocated/i,
    support: [/BAR \d+.*(?:no space|failed to assign|can't assign)/i],
    explain: (f) => ({
      cause:
        `The firmware left no memory window for the VF BARs of ${f.device} ("not enough MMIO resources for SR-IOV"), so ` +
        `the kernel cannot place ${f.count ?? "the"} VFs.`,
      fix: MMIO_FIX,
    }),
  },
  {
    // iov.c: "can't enable %d VFs (bus %02x out of range of %pR)", older "SR-IOV: bus number out of range" → -ENOMEM
    code: "bus-number-out-of-range",
    log: /can't enable (\d+) VFs \(bus ([0-9a-f]+) out of range of (\[bus [^\]]+\])\)|SR-IOV: bus number out of range/i,
    explain: (f, hit) => ({
      cause:
        (hit?.[2]
          ? `${hit[1]} VFs of ${f.device} would need bus ${hit[2]}, but the bridge above it only forwards ${hit[3]}`
          : `The VFs of ${f.device} would need a bus number outside the range the firmware gave its bridge`) +
        ": no bus numbers were reserved for VFs and ARI (Alternative Routing-ID, which lets VFs share the PF's bus) is off.",
      fix: BUS_FIX,
    }),
  },
  {
    // iov.c (5.13+): -ENOENT when the PF has no driver at all
    code: "no-pf-driver",
    log: /no driver bound to device; cannot configure SR-IOV/i,
    explain: (f) => noPfDriver(f),
  },
  {
    // iov.c: -ENOENT when the driver has no .sriov_configure (older kernels also print it when no driver is bound)
    code: "driver-no-sysfs-sriov",
    log: /(?:does not|doesn't) support SR-?IOV configuration via sysfs/i,
    when: (f) => f.ctx.driver !== null,
    explain: (f) => noSysfsSriov(f),
  },
  {
    code: "no-pf-driver",
    log: /(?:does not|doesn't) support SR-?IOV configuration via sysfs/i,
    explain: (f) => noPfDriver(f),
  },
  {
    // bnxt_sriov_configure returns 0 (a "successful" write with no VFs); igbvf/ixgbevf probe fails the same way
    code: "pf-netdev-down",
    log: /Reject SRIOV config request since if is down|PF still in reset state\.\s+Is the PF interface up/i,
    explain: (f) => pfUpExplanation(f),
  },
  {
    code: "firmware-reset-in-progress",
    log: /Reject SRIOV config request when FW reset is in progress/i,
    explain: (f) => ({
      cause: `${drv(f)} refused because a firmware reset of ${f.device} is in progress.`,
      fix: "Wait until the reset finishes (the PF's link comes back), then set the VF count again.",
    }),
  },
  {
    // i40e "Unable to enable %d VFs. Limited to %d VFs due to device resource constraints.", ice/others similar
    code: "driver-vf-limit",
    log: /(?:Unable to enable|Can't enable|cannot enable) (\d+) VFs[.,:]? (?:Limited to|max (?:VFs )?supported is|max is) (\d+)/i,
    explain: (f, hit) => ({
      cause: `${drv(f)} limits ${f.device} to ${hit?.[2]} VFs (device resources or firmware); ${hit?.[1]} were asked.`,
      fix: `Ask for ${hit?.[2]} or fewer. ${vfLimitHint(f)}`,
    }),
  },
  {
    // dd.c call_driver_probe: "probe with driver %s failed with error %d"; before 6.x: "%s: probe of %s failed with error %d"
    code: "probe-failed",
    log: new RegExp(String.raw`(?:(${BDF}): probe with driver (\S+) failed with error (-?\d+)|(\S+): probe of (${BDF}) failed with error (-?\d+))`, "i"),
    explain: (_f, hit) => {
      const dev = hit?.[1] ?? hit?.[5] ?? "the device";
      const name = hit?.[2] ?? hit?.[4] ?? "the driver";
      const err = normalizeErrno(hit?.[3] ?? hit?.[6] ?? null);
      const iommu = name === "vfio-pci" && (err === "EINVAL" || err === "ENODEV");
      return {
        cause: `${name} matched ${dev} but its probe failed with ${describeErrno(err)}` + (iommu ? ": the device has no IOMMU group." : "."),
        fix: iommu
          ? 'vfio-pci needs the IOMMU: enable VT-d / AMD-Vi ("IOMMU") in the BIOS, and intel_iommu=on on the kernel command line for Intel CPUs, then reboot.'
          : `Read ${name}'s lines around it in the kernel log; the device may need a reset (or a host power cycle), a firmware file, or to be freed by whatever holds it.`,
      };
    },
  },
];

function vfioPfHasVfs(f: SysfsFacts): Explanation {
  return {
    cause:
      `vfio-pci refused ${f.device}: it is an SR-IOV physical function with ` +
      `${f.ctx.currentVfs ? `${f.ctx.currentVfs} VFs` : "VFs"} enabled, and vfio-pci does not take a PF whose VFs may be in use.`,
    fix:
      `Pass the VFs through instead and leave ${f.device} on its own driver (clear its driver_override with an empty ` +
      `write so it returns to that driver). To give the whole card to a VM, set ${f.device}'s VF count to 0 first — ` +
      "this removes every VF — then bind it to vfio-pci.",
  };
}

function alreadyEnabled(f: SysfsFacts, current: string | null, requested: string): Explanation {
  const cur = current ?? (f.ctx.currentVfs ? String(f.ctx.currentVfs) : null);
  return {
    cause:
      `${f.device} already has ${cur ? `${cur} VFs` : "VFs enabled"}; the kernel changes the VF count only from 0 ` +
      `(all or nothing), so writing ${requested} was refused.`,
    fix:
      `Set the count to 0 first, then to ${requested} (Passdeck's plans do this). If that still fails, something re-created ` +
      "VFs between the two writes — NetworkManager (sriov.total-vfs), systemd-networkd (SR-IOVVirtualFunctions=), a udev " +
      "rule or a boot script: change or remove it there.",
  };
}

function noPfDriver(f: SysfsFacts): Explanation {
  return {
    cause: `No driver is bound to ${f.device}, and only the PF's own driver can create VFs.`,
    fix:
      `Bind ${f.device} to its vendor driver (modprobe it; clear a vfio-pci driver_override with an empty write, then ` +
      `echo ${f.device} > /sys/bus/pci/drivers_probe), then set the VF count again.`,
  };
}

function noSysfsSriov(f: SysfsFacts): Explanation {
  const name = f.driver ?? "The driver";
  const cause = `${name} is bound to ${f.device} but cannot create VFs through sriov_numvfs ("Driver does not support SRIOV configuration via sysfs").`;
  if (f.driver === "vfio-pci")
    return {
      cause,
      fix:
        `${f.device} is on vfio-pci: bind it back to its vendor driver first (clear driver_override, unbind, drivers_probe). ` +
        "vfio-pci creates VFs only when loaded with enable_sriov=1, for userspace PF drivers.",
    };
  if (f.driver === "i915")
    return {
      cause,
      fix:
        "The in-kernel i915 cannot create VFs on this GPU: install i915-sriov-dkms and boot with i915.enable_guc=3 " +
        "i915.max_vfs=7, or on newer kernels use the xe driver with xe.max_vfs=7.",
    };
  return {
    cause,
    fix:
      `Create the VFs with the driver's module parameter instead (for example "options ${f.driver ?? "<driver>"} max_vfs=N" in ` +
      "/etc/modprobe.d/, then reload the driver or reboot), or use a newer driver that supports sysfs SR-IOV.",
  };
}

const WRITE_LABEL: Readonly<Record<SysfsAttribute, string>> = {
  sriov_numvfs: "the VF count (sriov_numvfs)",
  sriov_drivers_autoprobe: "sriov_drivers_autoprobe",
  driver_override: "driver_override",
  unbind: "the driver unbind",
  drivers_probe: "drivers_probe",
  bind: "the driver bind",
};

/** errno and context rules, after the log evidence. */
const SYSFS_RULES: readonly Rule<SysfsFacts>[] = [
  ...LOG_RULES,
  {
    // the PCI core takes device_lock(PF) for the whole driver callback; a stuck driver/firmware blocks the write
    code: "write-timed-out",
    when: (f) => f.ctx.timedOut === true,
    support: [/blocked for more than \d+ seconds/i, /timed? ?out|timeout/i],
    deviceLines: true,
    explain: (f) => ({
      cause:
        `${WRITE_LABEL[f.subject as SysfsAttribute]} of ${f.device} did not finish in time: the kernel holds the device lock ` +
        `while ${drv(f)} works, so a busy driver or a hung firmware command keeps the write (and every other access to ` +
        "the device) waiting.",
      fix:
        `Check dmesg for ${f.driver ? `${f.driver} errors` : "driver errors"} or "blocked for more than" warnings; wait a minute and re-read the device — the ` +
        "write may still complete. Do not retry in a loop. If it stays stuck, reboot the host (a process blocked in " +
        "the kernel cannot be killed).",
    }),
  },
  {
    code: "sysfs-read-only",
    errnos: ["EROFS"],
    explain: (f) => ({
      cause: `/sys is mounted read-only here (typical inside a container), so ${WRITE_LABEL[f.subject as SysfsAttribute]} of ${f.device} cannot be written.`,
      fix: "Run Passdeck on the host itself, or in a privileged container with /sys mounted read-write.",
    }),
  },
  {
    code: "permission-denied",
    errnos: ["EACCES"],
    explain: (f) => notRoot(f),
  },
  {
    code: "permission-denied",
    errnos: ["EPERM"],
    on: ["sriov_drivers_autoprobe", "driver_override", "unbind", "drivers_probe", "bind"],
    explain: (f) => notRoot(f),
  },
  // --- sriov_numvfs (drivers/pci/iov.c sriov_numvfs_store, in this order) ---
  {
    code: "invalid-value",
    on: ["sriov_numvfs"],
    errnos: ["EINVAL", "ERANGE"],
    when: (f) => f.count === null,
    explain: (f) => invalidValue(f),
  },
  {
    code: "sriov-disabled-in-firmware",
    on: ["sriov_numvfs"],
    errnos: ["ERANGE"],
    when: (f) => f.ctx.totalVfs === 0,
    explain: (f) => ({
      cause: `${f.device} reports sriov_totalvfs = 0: SR-IOV is switched off in the BIOS or in the card's firmware, so no VF count above 0 is allowed.`,
      fix:
        'Enable "SR-IOV Support" in the BIOS/UEFI (globally or for this slot) and reboot; for Mellanox/NVIDIA cards also ' +
        "enable it in the card's firmware (mstconfig set SRIOV_EN=1 NUM_OF_VFS=<n>).",
    }),
  },
  {
    code: "vf-count-above-total",
    on: ["sriov_numvfs"],
    errnos: ["ERANGE"],
    explain: (f) => {
      const total = f.ctx.totalVfs;
      return {
        cause:
          typeof total === "number"
            ? `${f.device} supports at most ${total} VFs (sriov_totalvfs = ${total}); ${f.count} is more than that.`
            : `${f.count} is more VFs than ${f.device} supports (its sriov_totalvfs).`,
        fix: `${typeof total === "number" ? `Choose ${total} or fewer` : `Choose at most the number in /sys/bus/pci/devices/${f.device}/sriov_totalvfs`}. ${vfLimitHint(f)}`,
      };
    },
  },
  {
    code: "no-pf-driver",
    on: ["sriov_numvfs"],
    errnos: ["ENOENT"],
    when: (f) => f.ctx.driver === null,
    explain: (f) => noPfDriver(f),
  },
  {
    code: "driver-no-sysfs-sriov",
    on: ["sriov_numvfs"],
    errnos: ["ENOENT"],
    explain: (f) => noSysfsSriov(f),
  },
  {
    // disabling (0) is refused only when a VF is in use; enabling only when VFs exist already
    code: "vfs-assigned-to-vm",
    on: ["sriov_numvfs"],
    errnos: ["EBUSY", "EPERM"],
    when: (f) => f.count === 0,
    explain: (f) => ({
      cause: `${drv(f)} refused to remove the VFs of ${f.device} (${f.errno}): a VF is still in use, normally by a running VM.`,
      fix: `Shut down or detach the VMs that use VFs of ${f.device}, then set the count again.`,
    }),
  },
  {
    code: "vfs-already-enabled",
    on: ["sriov_numvfs"],
    errnos: ["EBUSY"],
    explain: (f) => alreadyEnabled(f, null, f.value.trim()),
  },
  {
    code: "pf-netdev-down",
    on: ["sriov_numvfs"],
    when: (f) => f.ctx.pfNetdevUp === false && f.driver !== null && f.driver in PF_UP_DRIVERS,
    explain: (f) => pfUpExplanation(f),
  },
  {
    code: "vf-resources-unavailable",
    on: ["sriov_numvfs"],
    errnos: ["ENOMEM"],
    explain: (f) => ({
      cause:
        `The kernel could not find resources for ${f.count} VFs of ${f.device} (ENOMEM). For SR-IOV this is one of two ` +
        "things: no MMIO window for the VF BARs, or no bus numbers for the VFs; the kernel log was not available to tell which.",
      fix: 'Look in dmesg for "not enough MMIO resources for SR-IOV" or "bus number out of range". MMIO: ' + MMIO_FIX + " Bus numbers: " + BUS_FIX,
    }),
  },
  {
    // iov.c: -EIO when VF Offset/Stride are 0 (broken capability); drivers return it for failed firmware commands
    code: "sriov-enable-io-error",
    on: ["sriov_numvfs"],
    errnos: ["EIO"],
    deviceLines: true,
    explain: (f) => ({
      cause:
        `Enabling VFs on ${f.device} failed with an I/O error: the device's SR-IOV capability is inconsistent (VF offset or ` +
        `stride 0) or a firmware command of ${drv(f)} failed.`,
      fix: "Update the card's firmware and the BIOS; power the host fully off and on (resets the card); check the kernel lines for the failing command.",
    }),
  },
  {
    code: "driver-rejected-vf-count",
    on: ["sriov_numvfs"],
    errnos: ["EINVAL", "EPERM", "ENOSPC", "EOPNOTSUPP"],
    deviceLines: true,
    explain: (f) => ({
      cause: `${drv(f)} refused to enable ${f.count} VFs on ${f.device} (${describeErrno(f.errno)}) without logging why.`,
      fix: `Try fewer VFs, and check ${drv(f)}'s prerequisites: firmware SR-IOV settings, eSwitch mode (legacy), PF interface up.`,
    }),
  },
  // --- sriov_drivers_autoprobe, driver_override (kstrtobool / driver_set_override) ---
  {
    code: "invalid-value",
    on: ["sriov_drivers_autoprobe", "driver_override"],
    errnos: ["EINVAL"],
    explain: (f) => invalidValue(f),
  },
  // --- bind / unbind / drivers_probe (drivers/base/bus.c, dd.c) ---
  {
    code: "vfio-pf-has-vfs",
    on: ["bind", "drivers_probe"],
    errnos: ["EBUSY", null],
    when: (f) => (f.ctx.currentVfs ?? 0) > 0 && (f.ctx.targetDriver ?? "vfio-pci") === "vfio-pci",
    explain: (f) => vfioPfHasVfs(f),
  },
  {
    // __driver_probe_device: -EBUSY when dev->driver is already set
    code: "already-bound",
    on: ["bind"],
    errnos: ["EBUSY"],
    when: (f) => f.ctx.driver !== null,
    explain: (f) => ({
      cause: `${f.device} is already bound to ${f.ctx.driver ?? "a driver"}; a device has one driver at a time, so the bind was refused.`,
      fix: `Unbind it first (echo ${f.device} > /sys/bus/pci/devices/${f.device}/driver/unbind), then bind; Passdeck's plans unbind before binding.`,
    }),
  },
  {
    code: "device-busy",
    on: ["bind", "unbind", "drivers_probe", "driver_override"],
    errnos: ["EBUSY"],
    deviceLines: true,
    explain: (f) => ({
      cause: `${f.device} is in use: its driver or a program holding it refused (EBUSY).`,
      fix: `Stop what uses ${f.device} — a VM holding it through vfio, a mounted filesystem, an active network interface — then retry.`,
    }),
  },
  {
    // bind_store: -ENODEV unless the device exists and driver_match_device() (ID table or driver_override) says yes
    code: "driver-did-not-match",
    on: ["bind"],
    errnos: ["ENODEV"],
    explain: (f) => {
      const target = f.ctx.targetDriver ?? "vfio-pci";
      return {
        cause:
          `${f.ctx.targetDriver ?? "The driver"} did not accept ${f.device}: its ID table does not list the device and ` +
          "driver_override does not name it (bind works only for a matching driver), or the address is gone.",
        fix: `Write ${target} to /sys/bus/pci/devices/${f.device}/driver_override first, then bind (or echo ${f.device} > /sys/bus/pci/drivers_probe).`,
      };
    },
  },
  {
    code: "driver-not-loaded",
    on: ["bind"],
    errnos: ["ENOENT"],
    explain: (f) => {
      const target = f.ctx.targetDriver ?? "vfio-pci";
      return {
        cause: `${f.ctx.targetDriver ?? "The driver"} is not loaded: its bind file does not exist.`,
        fix: `modprobe ${target}, and list it in /etc/modules-load.d/ so it loads at boot.`,
      };
    },
  },
  {
    // unbind_store: -ENODEV unless the device is bound to exactly this driver
    code: "not-bound-to-driver",
    on: ["unbind"],
    errnos: ["ENODEV", "EINVAL", "ENOENT"],
    explain: (f) => ({
      cause: `${f.device} is not bound to the driver it was unbound from (already unbound, or now on another driver).`,
      fix: `Re-read its driver (readlink /sys/bus/pci/devices/${f.device}/driver) and unbind from the driver shown; if none, nothing needs unbinding.`,
    }),
  },
  {
    code: "device-gone",
    on: ["drivers_probe", "driver_override", "sriov_drivers_autoprobe"],
    errnos: ["ENODEV", "ENOENT"],
    explain: (f) => ({
      cause: `There is no PCI device ${f.device} (any more): VFs disappear when the VF count changes or the PF driver reloads, or the address is wrong.`,
      fix: "Re-scan the host and use the current address; a VF's address comes from its PF's virtfnN link.",
    }),
  },
  {
    // device_driver_attach maps EPROBE_DEFER to EAGAIN
    code: "probe-deferred",
    on: ["bind", "drivers_probe"],
    errnos: ["EAGAIN", "EPROBE_DEFER"],
    explain: (f) => ({
      cause: `${f.ctx.targetDriver ?? "The driver"} deferred probing ${f.device}: it is waiting for another device or resource.`,
      fix: "Retry in a few seconds; if it persists, the kernel log says what the driver waits for.",
    }),
  },
  {
    // drivers_probe_store: success even when nothing bound; -EINVAL when the attach itself failed
    code: "probe-bound-nothing",
    on: ["bind", "drivers_probe"],
    errnos: [null, "EINVAL"],
    deviceLines: true,
    explain: (f) => ({
      cause: `The kernel took the probe request for ${f.device}, but no driver bound it.`,
      fix:
        `Check that driver_override names a loaded driver (cat /sys/bus/pci/devices/${f.device}/driver_override; modprobe ` +
        `${f.ctx.targetDriver ?? "vfio-pci"}), and that the driver supports the device.`,
    }),
  },
];

function notRoot(f: SysfsFacts): Explanation {
  return {
    cause: `Writing ${WRITE_LABEL[f.subject as SysfsAttribute]} of ${f.device} needs root, and this process is not root (${describeErrno(f.errno)}).`,
    fix: "Run Passdeck's host side as root (sudo, or a systemd service running as root).",
  };
}

function invalidValue(f: SysfsFacts): Explanation {
  const what: Record<SysfsAttribute, string> = {
    sriov_numvfs: "a whole number of VFs (0 to sriov_totalvfs)",
    sriov_drivers_autoprobe: "0 or 1",
    driver_override: "a driver name (or an empty write to clear it), shorter than a page",
    unbind: "the device's PCI address",
    drivers_probe: "a PCI address",
    bind: "a PCI address",
  };
  return {
    cause: `The kernel rejected ${JSON.stringify(f.value)} for ${WRITE_LABEL[f.subject as SysfsAttribute]} of ${f.device}: it takes ${what[f.subject as SysfsAttribute]}.`,
    fix: `Write ${what[f.subject as SysfsAttribute]}. If a Passdeck plan produced this value, it is a Passdeck bug: report it with this message.`,
  };
}

function sysfsFacts(input: SysfsWriteInput): SysfsFacts {
  const ctx = input.context ?? {};
  return {
    subject: input.attribute,
    errno: normalizeErrno(input.errno),
    lines: input.kernelLog,
    device: input.device,
    value: input.value,
    ctx,
    count: input.attribute === "sriov_numvfs" ? parseKernelUint(input.value) : null,
    driver: ctx.driver ?? driverFromLog(input.kernelLog, input.device),
  };
}

export function decodeSysfsWriteError(input: SysfsWriteInput): Decoded {
  const f = sysfsFacts(input);
  const decoded = applyRules(SYSFS_RULES, f);
  if (decoded) return decoded;
  const label = WRITE_LABEL[input.attribute];
  // never hide the kernel's own words: every line goes out verbatim
  const lines = f.lines.length > 0 ? " The kernel's lines from the write are shown verbatim." : " No kernel log was readable (root can read /dev/kmsg).";
  if (f.errno === null)
    return {
      code: "no-effect",
      cause: `Writing ${JSON.stringify(input.value)} to ${label} of ${input.device} returned no error but did not take effect.${lines}`,
      fix: "Re-read the device state; check dmesg for the driver's complaint, then retry.",
      errno: null,
      kernelLines: [...f.lines],
    };
  return {
    code: "kernel-refused",
    cause: `The kernel refused writing ${JSON.stringify(input.value)} to ${label} of ${input.device} with ${describeErrno(f.errno)}.${lines}`,
    fix: "Passdeck has no specific diagnosis for this error. The kernel lines (dmesg) usually name the cause; check the driver's documentation for it.",
    errno: f.errno,
    kernelLines: [...f.lines],
  };
}

/** The dmesg line the PCI core prints when a driver enabled fewer VFs than written; names the driver and the PF. */
const SHORTFALL_LINE = new RegExp(String.raw`(?:([\w.-]+) )?(${BDF}): (\d+) VFs requested; only (\d+) enabled`, "i");

const SHORTFALL_RULES: readonly Rule<SysfsFacts>[] = [
  ...LOG_RULES.filter((r) =>
    ["vfs-assigned-to-vm", "mmio-resources", "bus-number-out-of-range", "pf-netdev-down", "firmware-reset-in-progress", "driver-vf-limit"].includes(r.code),
  ).map((r) => ({ ...r, support: [...(r.support ?? []), SHORTFALL_LINE] })),
  {
    code: "vf-shortfall",
    support: [SHORTFALL_LINE],
    deviceLines: true,
    explain: (f) => ({
      cause:
        `${f.driver ?? "The PF driver"} enabled only ${f.enabled} of the ${f.count} VFs asked for${f.device ? ` on ${f.device}` : ""}: ` +
        "the driver capped the count (queues, interrupt vectors or firmware resources) and the write still succeeded.",
      fix:
        `Use ${f.enabled} VFs (the count reads back as ${f.enabled}), or free resources for more: ${vfLimitHint(f)} ` +
        "Some drivers also need fewer queues per VF or the PF interface up.",
    }),
  },
];

/** sriov_numvfs read back lower than written: the driver's sriov_configure returned fewer ("%d VFs requested; only %d enabled"). */
export function decodeShortfall(requested: number, enabled: number, kernelLog: string[]): Decoded {
  const line = kernelLog.map((l) => SHORTFALL_LINE.exec(l)).find((m) => m !== null) ?? null;
  const device = line?.[2] ?? "";
  const driver = line?.[1] && line[1] !== "pci" ? line[1] : device ? driverFromLog(kernelLog, device) : null;
  const f: SysfsFacts = {
    subject: "shortfall",
    errno: null,
    lines: kernelLog,
    device,
    value: String(requested),
    ctx: {},
    count: requested,
    driver,
    enabled,
  };
  // the last rule has no condition, so a diagnosis always comes back
  return applyRules(SHORTFALL_RULES, f)!;
}

// ---------------------------------------------------------------------------------------------------------------
// ip link set <pf> vf <n> <setting> <value>

interface IpFacts extends Facts {
  input: IpLinkVfInput;
  pf: string;
  driver: string;
  /** the kernel's extack text ("Error: …") when iproute2 printed one instead of the errno */
  extack: string | null;
  stderr: string;
}

const SETTING_LABEL: Readonly<Record<VfSetting, string>> = {
  mac: "MAC address",
  vlan: "VLAN",
  qos: "VLAN QoS priority",
  spoofchk: "spoof checking",
  trust: "trust mode",
  state: "link state",
  min_tx_rate: "minimum TX rate",
  max_tx_rate: "maximum TX rate",
};

/** What each setting accepts, for "ip refused the argument" and EINVAL fixes. */
const SETTING_RANGE: Readonly<Record<VfSetting, string>> = {
  mac: "a unicast MAC such as 02:11:22:33:44:55",
  vlan: "a VLAN ID 0–4094 (0 clears the port VLAN)",
  qos: "a priority 0–7, given with a VLAN",
  spoofchk: "on or off",
  trust: "on or off",
  state: "auto, enable or disable",
  min_tx_rate: "a whole number of Mb/s (0 = no minimum)",
  max_tx_rate: "a whole number of Mb/s (0 = no limit)",
};

/** Known driver gaps, so the message says what the driver does instead. */
const DRIVER_SETTING_NOTE: Readonly<Record<string, string>> = {
  "igb:state": "igb VFs always follow the PF's link (as with state auto).",
  "igb:max_tx_rate": "igb limits VF rates only on the 82576; other igb parts (i350, i210 …) refuse it.",
  "igb:min_tx_rate": "igb has no minimum rate (min_tx_rate must be 0).",
  "ixgbe:min_tx_rate": "ixgbe has no minimum rate (min_tx_rate must be 0).",
  "ixgbe:max_tx_rate": "ixgbe accepts max_tx_rate only above 10 Mb/s and up to the link speed.",
};

function driverNote(f: IpFacts): string {
  const note = f.input.pfDriver ? DRIVER_SETTING_NOTE[`${f.input.pfDriver}:${f.input.setting}`] : undefined;
  return note ? ` ${note}` : "";
}

function vfArgs(f: IpFacts): string {
  return `"${f.input.setting} ${f.input.value}"`;
}

function macKind(value: string): "zero" | "broadcast" | "multicast" | "malformed" | "unicast" {
  const parts = value.trim().toLowerCase().split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-f]{1,2}$/.test(p))) return "malformed";
  const bytes = parts.map((p) => Number.parseInt(p, 16));
  if (bytes.every((b) => b === 0)) return "zero";
  if (bytes.every((b) => b === 0xff)) return "broadcast";
  return (bytes[0]! & 1) === 1 ? "multicast" : "unicast";
}

function intValue(value: string): number | null {
  return /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : null;
}

const UNSUPPORTED = ["EOPNOTSUPP", "ENOTSUPP"];

const IP_RULES: readonly Rule<IpFacts>[] = [
  {
    code: "iproute2-missing",
    when: (f) => f.input.exitCode === 127 || /command not found|spawn ip ENOENT|ip: not found/i.test(f.stderr),
    explain: () => ({
      cause: "The ip command (iproute2) is not installed or not on the PATH.",
      fix: "Install iproute2 (apt install iproute2, dnf install iproute) and retry.",
    }),
  },
  {
    code: "pf-netdev-not-found",
    when: (f) => /Cannot find device/i.test(f.stderr),
    explain: (f) => ({
      cause:
        `There is no network interface named ${f.pf}: it was renamed (predictable names change with slots and firmware), ` +
        "moved to another network namespace, or its driver is not loaded.",
      fix: "Re-scan the host; the PF's current interface name is in /sys/bus/pci/devices/<pf address>/net/.",
    }),
  },
  {
    // iproute2's own parser: "Error: argument "x" is wrong: Invalid "vlan" value", "Garbage instead of arguments"
    code: "ip-invalid-argument",
    when: (f) => /argument "[^"]*" is wrong|Invalid "[\w ]+" value|Garbage instead of arguments|is a garbage|Invalid (?:MAC )?address/i.test(f.stderr),
    explain: (f) => ({
      cause: `ip rejected ${vfArgs(f)} before asking the kernel: ${f.stderr.trim().split("\n")[0]}`,
      fix: `Give ${SETTING_LABEL[f.input.setting]} as ${SETTING_RANGE[f.input.setting]}.`,
    }),
  },
  {
    code: "permission-denied",
    errnos: ["EPERM", "EACCES"],
    explain: () => ({
      cause: 'Changing VF settings needs root (CAP_NET_ADMIN); the kernel answered "Operation not permitted" (not root).',
      fix: "Run Passdeck's host side as root, or give it CAP_NET_ADMIN.",
    }),
  },
  {
    // bnxt_en / bnx2x: "vf ndo called though PF is down" → -EINVAL; others answer -ENETDOWN
    code: "pf-netdev-down",
    log: /vf ndo called though PF is down/i,
    explain: (f) => pfDownIp(f),
  },
  {
    code: "pf-netdev-down",
    errnos: ["ENETDOWN"],
    explain: (f) => pfDownIp(f),
  },
  {
    code: "vf-index-out-of-range",
    log: /Invalid VF id|vf ndo called for uninitialized VF|vf ndo called though sriov is disabled|VF number out of range|Invalid VF Identifier/i,
    explain: (f) => vfIndex(f),
  },
  {
    code: "vf-index-out-of-range",
    errnos: ["EINVAL", "ENODEV", "ERANGE"],
    when: (f) => typeof f.input.vfCount === "number" && f.input.vf >= f.input.vfCount,
    explain: (f) => vfIndex(f),
  },
  {
    // rtnetlink do_setvf: -EOPNOTSUPP when the PF driver lacks the ndo for this one setting
    code: "vf-setting-unsupported",
    errnos: UNSUPPORTED,
    explain: (f) => ({
      cause:
        `${f.driver} (the driver of ${f.pf}) does not support setting the ${SETTING_LABEL[f.input.setting]} of a VF: the kernel ` +
        `answered "Operation not supported" to ${vfArgs(f)} on VF ${f.input.vf}.${driverNote(f)}`,
      fix: `Remove ${f.input.setting} from VF ${f.input.vf}'s settings on ${f.pf}: ${f.driver} cannot apply it. The VF's other ` + "settings are not affected.",
    }),
  },
  {
    code: "vf-invalid-mac",
    on: ["mac"],
    errnos: ["EINVAL", "EADDRNOTAVAIL"],
    explain: (f) => {
      const kind = macKind(f.input.value);
      const why =
        kind === "zero"
          ? `${f.driver} refuses the all-zero MAC 00:00:00:00:00:00 as a VF's address (bnx2x and igb reject it).`
          : kind === "multicast" || kind === "broadcast"
            ? `${f.input.value} is a ${kind} address (lowest bit of the first byte set); a VF needs a unicast MAC.`
            : kind === "malformed"
              ? `${JSON.stringify(f.input.value)} is not a MAC address.`
              : `${f.driver} rejected ${f.input.value} for VF ${f.input.vf}.`;
      return {
        cause: `Invalid MAC for VF ${f.input.vf} on ${f.pf}: ${why}`,
        fix:
          "Use a unicast, locally administered MAC: first byte 02, 06, 0a or 0e, e.g. 02:xx:xx:xx:xx:xx with your own digits." +
          (kind === "zero" ? " To drop an admin MAC instead, reload the PF driver (this resets all its VFs)." : ""),
      };
    },
  },
  {
    code: "vf-invalid-vlan",
    on: ["vlan"],
    errnos: ["EINVAL", "ERANGE"],
    when: (f) => {
      const v = intValue(f.input.value);
      return v === null || v < 0 || v > 4094;
    },
    explain: (f) => ({
      cause: `VLAN ${f.input.value} is out of range for VF ${f.input.vf} on ${f.pf}: VLAN IDs are 1–4094 (0 clears the port VLAN; 4095 is reserved).`,
      fix: "Use a VLAN ID from 1 to 4094, or 0 to remove the VLAN.",
    }),
  },
  {
    code: "vf-invalid-qos",
    on: ["qos"],
    errnos: ["EINVAL", "ERANGE"],
    when: (f) => {
      const v = intValue(f.input.value);
      return v === null || v < 0 || v > 7;
    },
    explain: (f) => ({
      cause: `QoS ${f.input.value} is out of range for VF ${f.input.vf} on ${f.pf}: the 802.1p priority is 0–7.`,
      fix: "Use a priority from 0 to 7, set together with a VLAN.",
    }),
  },
  {
    // igb/ixgbe ndo_set_vf_rate: -EINVAL above link speed, for any min rate, with the PF link down, or min > max
    code: "vf-invalid-rate",
    on: ["min_tx_rate", "max_tx_rate"],
    errnos: ["EINVAL", "ERANGE"],
    explain: (f) => ({
      cause:
        `${f.driver} rejected ${SETTING_LABEL[f.input.setting]} ${f.input.value} Mb/s for VF ${f.input.vf}: a rate must not ` +
        `exceed ${f.pf}'s link speed, the minimum must not exceed the maximum, and some drivers need the PF link up.${driverNote(f)}`,
      fix: `Use a rate at or below the link speed (ethtool ${f.pf} shows it) with min ≤ max, and the PF link up; 0 removes the limit.`,
    }),
  },
  {
    code: "vf-invalid-argument",
    errnos: ["EINVAL", "ERANGE"],
    explain: (f) => ({
      cause: `${f.driver} rejected ${vfArgs(f)} for VF ${f.input.vf} on ${f.pf} (Invalid argument).`,
      fix: `Check that VF ${f.input.vf} exists (VFs are numbered from 0) and give ${SETTING_LABEL[f.input.setting]} as ${SETTING_RANGE[f.input.setting]}.`,
    }),
  },
  {
    code: "pf-netdev-vanished",
    errnos: ["ENODEV"],
    explain: (f) => ({
      cause: `${f.pf} disappeared while the command ran ("No such device"): its driver was reloaded or reset, or the interface was renamed.`,
      fix: `Re-scan the host and apply the setting again; if ${f.pf} keeps resetting, look for ${f.driver} errors in dmesg.`,
    }),
  },
  {
    code: "vf-busy",
    errnos: ["EBUSY", "EAGAIN", "EINPROGRESS"],
    explain: (f) => ({
      cause: `${f.driver} is busy with VF ${f.input.vf} on ${f.pf} (a VF reset or another configuration is in progress) and refused for now (${f.errno}).`,
      fix: "Retry in a few seconds. If it persists, the VF's driver (in the VM) may be stuck: restart the VM or reset the VF.",
    }),
  },
];

function pfDownIp(f: IpFacts): Explanation {
  return {
    cause: `${f.driver} accepts VF settings only while the PF interface ${f.pf} is up, and ${f.pf} is down.`,
    fix: `Bring ${f.pf} up with "ip link set ${f.pf} up" (no address needed), then apply the VF settings again.`,
  };
}

function vfIndex(f: IpFacts): Explanation {
  const n = f.input.vfCount;
  return {
    cause:
      typeof n === "number"
        ? `${f.pf} has ${n} VFs${n > 0 ? ` (0–${n - 1})` : ""}; VF ${f.input.vf} does not exist.`
        : `VF ${f.input.vf} does not exist on ${f.pf} (or SR-IOV is off on it).`,
    fix: `Create the VFs first (set the PF's VF count), or use a VF number below the count.`,
  };
}

/** Failure of `ip link set <pf> vf <n> <setting> <value>`, one setting per call. */
export function decodeIpLinkVfError(input: IpLinkVfInput): Decoded {
  const stderr = input.stderr ?? "";
  const rtnl = [...stderr.matchAll(/RTNETLINK answers: ([^\n]+)/g)].pop()?.[1]?.trim() ?? null;
  const extack = /^Error: (?!argument ")(.+?)\.?$/m.exec(stderr)?.[1] ?? null;
  const f: IpFacts = {
    subject: input.setting,
    errno: normalizeErrno(rtnl),
    lines: input.kernelLog ?? [],
    device: null,
    input,
    pf: input.pfNetdev,
    driver: input.pfDriver ?? `The driver of ${input.pfNetdev}`,
    extack,
    stderr,
  };
  const decoded = applyRules(IP_RULES, f);
  if (decoded) return decoded;
  const said = extack ? `: ${extack}` : f.errno ? ` with ${describeErrno(f.errno)}` : "";
  return {
    code: f.errno || extack ? "kernel-refused" : "ip-failed",
    cause:
      f.errno || extack
        ? `The kernel refused ${vfArgs(f)} for VF ${input.vf} on ${input.pfNetdev}${said}.`
        : `ip link set ${input.pfNetdev} vf ${input.vf} ${input.setting} ${input.value} exited with ${input.exitCode}: ${stderr.trim() || "(no output)"}`,
    fix: "Passdeck has no specific diagnosis for this; the message above is the kernel's (or ip's) own. Check dmesg and the driver's documentation.",
    errno: f.errno,
    kernelLines: [...f.lines],
  };
}
