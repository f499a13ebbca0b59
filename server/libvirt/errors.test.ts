import { describe, expect, it } from "vitest";
import { decodeVirshError } from "./errors";

// Messages as virsh 9.0 printed them, on this machine's libvirtd and in the kernel rig's guest.
const decode = (stderr: string, operation = "start the VM") => decodeVirshError({ operation, uri: "qemu:///system", stderr, code: 1 });

describe("decodeVirshError", () => {
  it.each([
    ["error: failed to get domain 'nosuch'\n", "no-such-domain", "the VM is not defined in libvirt (qemu:///system) any more"],
    [
      "error: Failed to start domain 'rigvm'\nerror: internal error: Unable to configure VF 0 of PF 'eth1' because the PF is not online. Please change host network config to put the PF online.\n",
      "pf-not-online",
      "libvirt cannot set VF 0's MAC/VLAN because its PF eth1 is down",
    ],
    [
      "error: internal error: qemu unexpectedly closed the monitor: vfio 0000:01:10.0: failed to setup container for group 18: Could not open '/dev/vfio/vfio': Permission denied\n",
      "vfio-node-permission",
      "QEMU's user cannot open /dev/vfio/vfio",
    ],
    [
      "error: Failed to attach device from hd.xml\nerror: Requested operation is not valid: device is already in the domain configuration\n",
      "already-attached",
      "the VM already has this device in that definition",
    ],
    ["error: Requested operation is not valid: domain is not running\n", "domain-not-running", "a live change was asked of a VM that is not running"],
    [
      "error: unsupported configuration: host doesn't support passthrough of host PCI devices\n",
      "host-no-vfio",
      "libvirt says this host cannot pass PCI devices through (no IOMMU or no vfio)",
    ],
    [
      "error: Requested operation is not valid: PCI device 0000:01:10.0 is in use by driver QEMU, domain vm-a\n",
      "device-in-use-by-vm",
      "the device is already in use by the VM vm-a",
    ],
  ])("%s → %s", (stderr, code, cause) => {
    const d = decode(stderr);
    expect([d.code, d.cause]).toEqual([code, cause]);
    expect(d.fix.length).toBeGreaterThan(10);
  });

  it("names the URI when libvirt cannot be reached, and keeps libvirt's own words for what it does not know", () => {
    const down = decode(
      "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory\n",
      "list the VMs",
    );
    expect(down.code).toBe("libvirt-unreachable");
    expect(down.cause).toBe(
      "libvirt cannot be reached at qemu:///system: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory",
    );
    const other = decode(
      "error: XML error: Invalid value for attribute 'type' in element 'graphics': 'none'.\n",
      "attach 0000:01:10.0 to rigvm (persistent config)",
    );
    expect([other.code, other.cause]).toEqual([
      "libvirt-error",
      "libvirt refused to attach 0000:01:10.0 to rigvm (persistent config): XML error: Invalid value for attribute 'type' in element 'graphics': 'none'.",
    ]);
  });
});
