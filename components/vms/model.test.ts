import { describe, expect, it } from "vitest";
import { diffLines, heldIn, howHeld, isNetworkXml, memoryText, poolVfsText, poolWhenText, sizeText, whenText } from "./model";

describe("the VMs page's words", () => {
  it("says which definition holds a device, and when they differ", () => {
    expect(heldIn(["config", "live"], true)).toBe("running VM and persistent config");
    expect(heldIn(["live"], true)).toBe("only in the running VM (hot-plugged): gone when it stops");
    expect(heldIn(["config"], true)).toBe("only in the persistent config: from the next start");
    expect(heldIn(["config"], false)).toBe("persistent config: at the next start");
  });

  it("says how libvirt holds it", () => {
    expect(howHeld({ as: "interface", managed: true })).toBe("network VF interface, managed (libvirt moves it to vfio-pci and back)");
    expect(howHeld({ as: "hostdev", managed: false })).toBe("PCI hostdev, unmanaged (it must be on vfio-pci before the VM starts)");
  });

  it("gives sizes as libvirt users read them", () => {
    expect([memoryText(65536), memoryText(4 * 1024 * 1024), memoryText(1536 * 1024), memoryText(null)]).toEqual([
      "64 MiB",
      "4 GiB",
      "1.5 GiB",
      "memory unknown",
    ]);
    expect(sizeText({ vcpus: 1, memoryKiB: 65536 })).toBe("1 vCPU · 64 MiB");
    expect(sizeText({ vcpus: 8, memoryKiB: null })).toBe("8 vCPUs · memory unknown");
  });

  it("marks every line of the device XML added or removed", () => {
    const xml = '<hostdev mode="subsystem" type="pci" managed="yes">\n  <rom bar="off"/>\n</hostdev>';
    expect(diffLines({ op: "add", xml })).toEqual(['+ <hostdev mode="subsystem" type="pci" managed="yes">', '+   <rom bar="off"/>', "+ </hostdev>"]);
    expect(diffLines({ op: "remove", xml: "<a/>" })).toEqual(["- <a/>"]);
  });

  it("says when each definition's change reaches the guest", () => {
    expect(whenText({ op: "add", target: "config" })).toBe("the VM gets it from its next start");
    expect(whenText({ op: "add", target: "live" })).toBe("the running guest gets it now (hot-plug)");
    expect(whenText({ op: "remove", target: "live" })).toBe("the running guest must release it now (PCIe hot-unplug)");
    expect(whenText({ op: "remove", target: "config" })).toBe("the VM no longer gets it from its next start");
  });

  it("tells a VF pool's network XML from a VM's device XML, and says when a pool's definition counts", () => {
    const pool = '<network>\n  <name>vfs</name>\n  <forward mode="hostdev" managed="yes">\n    <pf dev="eno2"/>\n  </forward>\n</network>';
    expect(
      [pool, '<interface type="hostdev" managed="yes">\n</interface>', '<hostdev mode="subsystem" type="pci" managed="yes"/>'].map((xml) =>
        isNetworkXml({ xml }),
      ),
    ).toEqual([true, false, false]);
    expect(poolWhenText("add")).toBe("libvirt keeps the pool and starts it at boot (autostart); a VM takes a VF of it with <interface type='network'>");
    expect(poolWhenText("remove")).toBe("libvirt forgets the pool: no VM can take a VF of it any more");
  });

  it("says how many of a pool's VFs running VMs have, or why none are listed", () => {
    expect(poolVfsText({ active: false, vfs: [], handedOut: [] })).toBe("none listed: libvirt lists the PF's VFs when the pool starts");
    expect(poolVfsText({ active: true, vfs: [], handedOut: [] })).toBe("libvirt found no VFs on the PF");
    const vfs = ["0000:3b:02.0", "0000:3b:02.1", "0000:3b:02.2"];
    expect(poolVfsText({ active: true, vfs, handedOut: [{ address: vfs[1]!, domain: "web" }] })).toBe("3 VFs, 1 in running VMs");
    expect(poolVfsText({ active: true, vfs: vfs.slice(0, 1), handedOut: [] })).toBe("1 VF, 0 in running VMs");
  });
});
