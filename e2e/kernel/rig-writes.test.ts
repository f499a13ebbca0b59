/**
 * The write side on a real kernel: `passdeck vfs set / bind / restore` inside the guest, against the igb PF's real
 * sysfs. What the kernel shows afterwards is read by a plain shell loop (sysfsTruth), not by Passdeck.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { guestExec, guestWrite } from "./rig.mjs";
import { resolveAddress } from "./topology.mjs";
import { guestInventory, lanUp, rig, sysfsTruth, waitFor } from "./guest";

let igb: string;
let fwd: string;
const passdeck = (...args: string[]) => guestExec(["node", "dist/passdeck.mjs", ...args], { timeoutMs: 180_000 });

beforeAll(async () => {
  rig();
  const inv = await guestInventory();
  igb = resolveAddress(inv.devices, "igb");
  fwd = resolveAddress(inv.devices, "fwd");
  // Start from no VFs whatever an earlier test left.
  const r = await guestWrite(`/sys/bus/pci/devices/${igb}/sriov_numvfs`, "0");
  expect(r.ok, JSON.stringify(r.error)).toBe(true);
  await lanUp(igb);
});

describe("passdeck writes on the guest kernel", () => {
  it("vfs set creates 3 igbvf VFs and verifies them, once the PF's SLAAC address (the rig's LAN advertises a prefix) is acknowledged", async () => {
    // The PF's link is up on a LAN that sends router advertisements: an address nobody configured or uses, named.
    const asked = await passdeck("vfs", "set", igb, "3");
    expect(asked.code).toBe(2);
    expect(asked.stderr).toMatch(/autoconfigured \(SLAAC\) address fec0::5054:ff:fed5:7a10\/64 — no sockets use it.*\(add --confirm to accept\)/);
    expect(asked.stderr).not.toContain("host-critical");
    const r = await passdeck("vfs", "set", igb, "3", "--confirm", "--json");
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { result: { ok: boolean }; warnings: { code: string }[] };
    expect(out.result.ok).toBe(true);
    expect(out.warnings.map((w) => w.code)).toEqual(["autoconf-address"]);
    const truth = await waitFor("3 igbvf VFs", sysfsTruth, (t) => t.filter((x) => x.physfn === igb && x.driver === "igbvf").length === 3, 120_000);
    expect(truth.find((t) => t.address === igb)!.vfs).toHaveLength(3);
  });

  it("vf set gives VF 0 a MAC, a VLAN and trust through the PF; ip(8) in the guest shows them", async () => {
    const r = await passdeck("vf", "set", igb, "0", "--mac", "02:11:22:33:44:55", "--vlan", "100", "--trust", "on", "--spoofchk", "off");
    expect(r.code, r.stderr).toBe(0);
    const netdev = (await guestInventory()).devices.find((d) => d.address === igb)!.netdevs[0]!;
    const shown = JSON.parse((await guestExec(["ip", "-j", "link", "show", "dev", netdev])).stdout) as { vfinfo_list: Record<string, unknown>[] }[];
    expect(shown[0]!.vfinfo_list[0]).toMatchObject({ vf: 0, address: "02:11:22:33:44:55", vlan_list: [{ vlan: 100 }], trust: true, spoofchk: false });
  });

  it("vf set reports igb's refusal of link state as unsupported by igb, and undoes the settings before it", async () => {
    const r = await passdeck("vf", "set", igb, "2", "--trust", "on", "--state", "disable");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("igb");
    expect(r.stderr).toMatch(/link state/);
    expect(r.stderr).toContain("rolled back");
    const netdev = (await guestInventory()).devices.find((d) => d.address === igb)!.netdevs[0]!;
    const shown = JSON.parse((await guestExec(["ip", "-j", "link", "show", "dev", netdev])).stdout) as { vfinfo_list: Record<string, unknown>[] }[];
    expect(shown[0]!.vfinfo_list[2]).toMatchObject({ vf: 2, trust: false, link_state: "auto" });
  });

  it("bind moves one VF to vfio-pci: the driver link and /dev/vfio/<group> say so", async () => {
    const truth = await sysfsTruth();
    const vf = truth.find((t) => t.address === igb)!.vfs[1]!;
    const r = await passdeck("bind", vf, "vfio-pci");
    expect(r.code, r.stderr).toBe(0);
    const after = (await sysfsTruth()).find((t) => t.address === vf)!;
    expect(after.driver).toBe("vfio-pci");
    expect((await guestExec(["test", "-c", `/dev/vfio/${after.group}`])).code).toBe(0);
    expect((await guestExec(["cat", `/sys/bus/pci/devices/${vf}/driver_override`])).stdout.trim()).toBe("vfio-pci");
  });

  it("a VF that only sits on vfio-pci (no process opened it: enable 0) does not stop a VF count change", async () => {
    const vf = (await sysfsTruth()).find((t) => t.address === igb)!.vfs[1]!;
    expect((await guestExec(["cat", `/sys/bus/pci/devices/${vf}/enable`])).stdout.trim()).toBe("0");
    const r = await passdeck("vfs", "set", igb, "2", "--dry-run", "--confirm");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Remove the 3 VFs of ${igb}`);
    expect((await guestExec(["cat", `/sys/bus/pci/devices/${igb}/sriov_numvfs`])).stdout.trim()).toBe("3");
  });

  it("refuses the PF with VFs and the forwarded NIC that carries the default route", async () => {
    const pf = await passdeck("bind", igb, "vfio-pci");
    expect(pf.code).toBe(2);
    expect(pf.stderr).toContain("SR-IOV PF with 3 VFs enabled");
    const nic = await passdeck("bind", fwd, "vfio-pci");
    expect(nic.code).toBe(2);
    expect(nic.stderr).toContain("host-critical");
    expect(nic.stderr).toContain("default route");
    expect((await sysfsTruth()).find((t) => t.address === fwd)!.driver).toBe("virtio-pci");
  });

  it("restore gives the VF back to igbvf and clears the override; then the VFs can go", async () => {
    const vf = (await sysfsTruth()).find((t) => t.address === igb)!.vfs[1]!;
    const r = await passdeck("restore", vf);
    expect(r.code, r.stderr).toBe(0);
    expect((await sysfsTruth()).find((t) => t.address === vf)!.driver).toBe("igbvf");
    expect((await guestExec(["cat", `/sys/bus/pci/devices/${vf}/driver_override`])).stdout.trim()).toBe("(null)");
    const off = await passdeck("vfs", "set", igb, "0", "--confirm");
    expect(off.code, off.stderr).toBe(0);
    expect((await guestExec(["cat", `/sys/bus/pci/devices/${igb}/sriov_numvfs`])).stdout.trim()).toBe("0");
  });
});
