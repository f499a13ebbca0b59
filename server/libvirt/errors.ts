/**
 * libvirt's answers, decoded into cause and fix like the kernel's (server/executor/decode.ts). virsh prints
 * "error: <summary>\nerror: <detail>"; the detail is what libvirt's virReportError said.
 */
import type { Decoded } from "@/server/executor/decode";

export interface VirshFailure {
  /** what was being done, in words: "attach 0000:01:10.0 to vm-a (persistent config)" */
  operation: string;
  uri: string;
  stderr: string;
  code: number;
}

/** The message lines without virsh's "error: " prefixes, the most specific last. */
export function virshMessage(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.replace(/^error:\s*/, "").trim())
    .filter((l) => l.length > 0);
  return lines.length === 0 ? "(virsh printed nothing)" : lines[lines.length - 1]!;
}

const RULES: { code: string; test: RegExp; cause: (m: RegExpMatchArray, f: VirshFailure) => string; fix: (m: RegExpMatchArray, f: VirshFailure) => string }[] =
  [
    // Specific messages first: a generic rule ("Permission denied") must not take them.
    {
      code: "pf-not-online",
      test: /Unable to configure VF (\d+) of PF '([^']+)' because the PF is not online/,
      cause: (m) => `libvirt cannot set VF ${m[1]}'s MAC/VLAN because its PF ${m[2]} is down`,
      fix: (m) => `Bring the PF up (ip link set ${m[2]} up, and in the host's network config so it stays up), then start the VM.`,
    },
    {
      code: "vfio-node-permission",
      test: /Could not open '\/dev\/vfio\/vfio': Permission denied/,
      cause: () => "QEMU's user cannot open /dev/vfio/vfio",
      fix: () => 'udev normally makes /dev/vfio/vfio mode 0666 (KERNEL=="vfio", MODE="0666"); without udev, chmod 0666 /dev/vfio/vfio.',
    },
    {
      code: "libvirt-missing",
      test: /virsh: command not found/,
      cause: () => "libvirt's client (virsh) is not installed on this host",
      fix: () => "Install it: apt install libvirt-clients libvirt-daemon-system (Debian/Ubuntu), or dnf install libvirt-client libvirt-daemon (Fedora).",
    },
    {
      code: "libvirt-timeout",
      test: /did not answer within/,
      cause: (_m, f) => `libvirt (${f.uri}) did not answer in time while trying to ${f.operation}`,
      fix: () => "Check that libvirtd (or virtqemud) is running and not stuck: systemctl status libvirtd; journalctl -u libvirtd.",
    },
    {
      code: "libvirt-unreachable",
      test: /failed to connect to the hypervisor|Failed to connect socket|no connection driver available|unexpected \w+ URI path/i,
      cause: (_m, f) => `libvirt cannot be reached at ${f.uri}: ${virshMessage(f.stderr)}`,
      fix: () =>
        "Start the daemon (systemctl start libvirtd, or virtqemud.socket on modular installs), or set PASSDECK_LIBVIRT_URI to the connection your VMs live on.",
    },
    {
      code: "libvirt-denied",
      test: /authentication (failed|unavailable)|access denied|Permission denied/i,
      cause: (_m, f) => `libvirt at ${f.uri} refused this user: ${virshMessage(f.stderr)}`,
      fix: () => "Run Passdeck as root or as a member of the libvirt group (polkit allows that group on qemu:///system).",
    },
    {
      code: "no-such-domain",
      test: /failed to get domain|Domain not found|no domain with matching/i,
      cause: (_m, f) => `the VM is not defined in libvirt (${f.uri}) any more`,
      fix: () => "Refresh the VM list; the VM was undefined or renamed since the plan was made.",
    },
    {
      code: "already-attached",
      test: /device is already in the domain configuration|already (in use|attached)/i,
      cause: () => "the VM already has this device in that definition",
      fix: () => "Nothing to attach: refresh the VM page to see its devices.",
    },
    {
      code: "domain-not-running",
      test: /domain is not running/i,
      cause: () => "a live change was asked of a VM that is not running",
      fix: () => "Change only the persistent config (--config); it takes effect at the next start.",
    },
    {
      code: "no-free-slot",
      test: /No more available PCI slots|no free (PCI|pcie) (slot|port)/i,
      cause: () => "the running VM has no free hot-pluggable PCIe port for another device",
      fix: () => "Attach to the persistent config and restart the VM, or give it spare pcie-root-port controllers (virt-manager and virt-install add some).",
    },
    {
      code: "host-no-vfio",
      test: /host doesn't support passthrough of host PCI devices|VFIO device assignment is currently not supported/i,
      cause: () => "libvirt says this host cannot pass PCI devices through (no IOMMU or no vfio)",
      fix: () => "See the Readiness page: enable VT-d/AMD-Vi in the firmware and intel_iommu=on (or the AMD default), and load vfio-pci.",
    },
    {
      code: "pool-no-vfs",
      test: /No usable Vf's present on SRIOV PF (\S+)/,
      cause: (m) => `the PF ${m[1]} has no VFs, so the pool has nothing to hand out`,
      fix: (m) => `Create VFs on ${m[1]} first (the wizard's SR-IOV flow, or passdeck vfs set), then start the pool.`,
    },
    {
      code: "device-in-use-by-vm",
      test: /in use by driver (\S+), domain (\S+)/i,
      cause: (m) => `the device is already in use by the VM ${m[2]!.replace(/[',]/g, "")}`,
      fix: () => "A device can be in one running VM at a time: shut the other VM down or detach the device from it first.",
    },
    {
      code: "not-attached",
      test: /device not found|matching .* not found|not found in domain/i,
      cause: () => "the VM does not have this device in that definition",
      fix: () => "Nothing to detach: refresh the VM page to see its devices.",
    },
    {
      code: "guest-did-not-release",
      test: /unplug request|did not respond|timed out waiting for .*detach|DEVICE_DELETED/i,
      cause: () => "the guest did not release the device: PCIe hot-unplug needs the guest OS to agree",
      fix: () => "Shut the VM down and detach from its persistent config, or detach from inside the guest first.",
    },
    {
      code: "libvirt-unsupported",
      test: /not supported by the connection driver|Operation not supported/i,
      cause: (_m, f) => `this libvirt connection (${f.uri}) cannot do that: ${virshMessage(f.stderr)}`,
      fix: () => "The test driver and some remote drivers cannot attach devices; use qemu:///system.",
    },
  ];

export function decodeVirshError(f: VirshFailure): Decoded {
  for (const rule of RULES) {
    const m = f.stderr.match(rule.test);
    if (m) return { code: rule.code, cause: rule.cause(m, f), fix: rule.fix(m, f), errno: null, kernelLines: [] };
  }
  return {
    code: "libvirt-error",
    cause: `libvirt refused to ${f.operation}: ${virshMessage(f.stderr)}`,
    fix: "The message is libvirt's own; libvirtd's log (journalctl -u libvirtd) has the detail.",
    errno: null,
    kernelLines: [],
  };
}

/** A libvirt call that failed, carrying the decoded cause. */
export class LibvirtError extends Error {
  constructor(readonly decoded: Decoded) {
    super(decoded.cause);
    this.name = "LibvirtError";
  }
}
