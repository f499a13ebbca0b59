import { describe, expect, it } from "vitest";
import type { DeviceHolder } from "@/server/host/holders";
import { compareHold, comparisonText, describeHold, describeHolderEvidence, type LibvirtClaim } from "./holds";

const A = "0000:86:00.0";
const pve: DeviceHolder = {
  pid: 2817,
  command: "kvm",
  guest: { name: "router", uuid: null, vmid: 101 },
  manager: "proxmox",
  startedAt: null,
  evidence: "open",
};
const web: DeviceHolder = {
  pid: 900,
  command: "qemu-system-x86",
  guest: { name: "web", uuid: "0F0E0D0C-0B0A-0908-0706-050403020100", vmid: null },
  manager: "libvirt",
  startedAt: null,
  evidence: "open",
};
const webVm: LibvirtClaim = { vm: "web", uuid: "0f0e0d0c-0b0a-0908-0706-050403020100", active: true, live: true };

describe("holds in words", () => {
  it("says held by for an open file, named on the command line of for a command line alone", () => {
    expect(describeHold({ kernel: "vfio-open", holders: [pve] })).toBe("held by kvm pid 2817 (VM 101 router, Proxmox VE)");
    expect(describeHold({ kernel: null, holders: [{ ...pve, evidence: "declared" }] })).toBe(
      "named on the command line of kvm pid 2817 (VM 101 router, Proxmox VE)",
    );
    expect(describeHold({ kernel: "vfio-open", holders: [web, { ...pve, evidence: "declared" }] })).toBe(
      "held by qemu-system-x86 pid 900 (VM web, libvirt) and named on the command line of kvm pid 2817 (VM 101 router, Proxmox VE)",
    );
    expect(describeHolderEvidence({ ...pve, evidence: "declared" })).toBe("named on the command line of kvm pid 2817 (VM 101 router, Proxmox VE)");
  });
});

describe("libvirt's record against the kernel's", () => {
  it("agrees when the running VM libvirt names holds it (by UUID), or nobody holds it and no running VM claims it", () => {
    expect(compareHold({ kernel: "vfio-open", holders: [web] }, [webVm])).toEqual({ kind: "agree" });
    expect(compareHold({ kernel: "vfio-open", holders: [] }, [webVm])).toEqual({ kind: "agree" });
    expect(compareHold(null, [{ ...webVm, active: false }])).toEqual({ kind: "agree" });
    expect(compareHold(null, [])).toEqual({ kind: "agree" });
  });

  it("names a holder no libvirt VM knows, a running VM the kernel shows nothing for, and a holder that is another VM", () => {
    const held = { kernel: "vfio-open" as const, holders: [pve] };
    expect(comparisonText(A, compareHold(held, []))).toBe(
      `No libvirt VM names ${A}, but the kernel shows it held by kvm pid 2817 (VM 101 router, Proxmox VE).`,
    );
    expect(comparisonText(A, compareHold(null, [webVm]))).toBe(
      `libvirt says VM web (running) has ${A}, but the kernel shows no process holding it (vfio-pci has not enabled it).`,
    );
    expect(comparisonText(A, compareHold(held, [webVm]))).toBe(
      `libvirt says VM web (running) has ${A}, but the kernel shows it held by kvm pid 2817 (VM 101 router, Proxmox VE), which is not that VM.`,
    );
    expect(compareHold({ kernel: "vfio-open", holders: [web] }, [{ ...webVm, active: false }]).kind).toBe("other-holder");
  });
});
