/**
 * libvirt inside the guest (libvirtd started by guest-init.sh, as a hypervisor host runs it): its node devices
 * against Passdeck's inventory and the guest's sysfs, and `passdeck vm` attach/list/detach against the real daemon,
 * read back with `virsh dumpxml`. The browser flow with a started VM is rig-vms.spec.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guestExec, guestWrite } from "./rig.mjs";
import { resolveAddress } from "./topology.mjs";
import { guestInventory, rig, sysfsTruth, trpcQuery, waitFor } from "./guest";
import { defineGuestDomain, undefineGuestDomain, virsh } from "./guest-libvirt";

let igb: string;
let vfs: string[];
const passdeck = (...args: string[]) => guestExec(["node", "dist/passdeck.mjs", ...args], { timeoutMs: 180_000 });
const DOMAIN = "rig-cli-vm";
const POOL = "rig-pool";
const POOL_VM = "rig-pool-vm";
let uuid: string;

beforeAll(async () => {
  rig();
  igb = resolveAddress((await guestInventory()).devices, "igb");
  expect((await guestWrite(`/sys/bus/pci/devices/${igb}/sriov_numvfs`, "0")).ok).toBe(true);
  const r = await passdeck("vfs", "set", igb, "2", "--confirm"); // the PF's SLAAC address: an acknowledged warning
  expect(r.code, r.stderr).toBe(0);
  vfs = (await waitFor("2 VFs", sysfsTruth, (t) => t.find((x) => x.address === igb)!.vfs.length === 2, 60_000)).find((x) => x.address === igb)!.vfs;
  uuid = await defineGuestDomain(DOMAIN);
});

afterAll(async () => {
  await undefineGuestDomain(DOMAIN);
  await undefineGuestDomain(POOL_VM);
  await guestExec(["sh", "-c", `virsh -q -c qemu:///system net-destroy ${POOL}; virsh -q -c qemu:///system net-undefine ${POOL}`]);
  await guestWrite(`/sys/bus/pci/devices/${igb}/sriov_numvfs`, "0");
});

describe("libvirt in the guest", () => {
  it("its node device for the igb PF lists the same VFs and IOMMU group as sysfs; the server's cross-check finds what libvirt missed", async () => {
    const truth = await sysfsTruth();
    const pf = truth.find((t) => t.address === igb)!;
    const xml = await virsh("nodedev-dumpxml", `pci_${igb.replace(/[:.]/g, "_")}`);
    expect(xml).toContain(`<capability type='virt_functions' maxCount='${pf.totalVfs}'>`);
    expect(xml).toContain(`<iommuGroup number='${pf.group}'>`);
    for (const vf of pf.vfs) {
      const [, bus, rest] = vf.split(":");
      const [slot, fn] = rest!.split(".");
      expect(xml).toContain(`bus='0x${bus}' slot='0x${slot}' function='0x${fn}'`);
    }
    // There is no udev in the guest, so libvirtd (started at boot) never heard of the VFs created since: the
    // cross-check must say so, and agree once libvirtd has enumerated again.
    interface Check {
      available: boolean;
      checked: number;
      disagreements: { address: string; field: string }[];
    }
    const stale = await trpcQuery<Check>("vms.nodeDeviceCheck");
    expect(stale.available).toBe(true);
    expect(stale.checked).toBeGreaterThanOrEqual(3);
    expect(stale.disagreements.map((d) => [d.address, d.field])).toEqual(pf.vfs.map((vf) => [vf, "missing"]));
    await guestExec(["sh", "-c", "pkill -x libvirtd; while pgrep -x libvirtd >/dev/null; do sleep 0.2; done; libvirtd -d"]);
    await waitFor(
      "libvirtd to answer again",
      () => guestExec(["virsh", "-q", "-c", "qemu:///system", "uri"]),
      (r) => r.code === 0,
      60_000,
    );
    const fresh = await trpcQuery<Check>("vms.nodeDeviceCheck");
    expect(fresh.disagreements).toEqual([]);
  });

  it("passdeck vm attach gives VF 1 to a defined VM's config with MAC and VLAN; vm list and dumpxml --inactive show it; detach takes it back", async () => {
    const vf = vfs[1]!;
    const attached = await passdeck("vm", "attach", DOMAIN, vf, "--mac", "02:00:00:0a:0b:0c", "--vlan", "300", "--confirm");
    expect(attached.code, attached.stderr).toBe(0);
    const xml = await virsh("dumpxml", uuid, "--inactive");
    const [, bus, rest] = vf.split(":");
    const [slot, fn] = rest!.split(".");
    expect(xml).toMatch(
      new RegExp(
        `<interface type='hostdev' managed='yes'>\\s*<mac address='02:00:00:0a:0b:0c'/>\\s*<source>\\s*<address type='pci' domain='0x0000' bus='0x${bus}' slot='0x${slot}' function='0x${fn}'/>\\s*</source>\\s*<vlan>\\s*<tag id='300'/>`,
      ),
    );
    const list = JSON.parse((await passdeck("vm", "list", "--json")).stdout) as {
      name: string;
      devices: { address: string; mac: string; vlan: number[]; in: string[]; host: { vf: { pf: string; index: number } } }[];
    }[];
    expect(list.find((r) => r.name === DOMAIN)!.devices).toEqual([
      expect.objectContaining({
        address: vf,
        mac: "02:00:00:0a:0b:0c",
        vlan: [300],
        in: ["config"],
        host: expect.objectContaining({ vf: expect.objectContaining({ pf: igb, index: 1 }) }),
      }),
    ]);
    const detached = await passdeck("vm", "detach", DOMAIN, vf);
    expect(detached.code, detached.stderr).toBe(0);
    expect(await virsh("dumpxml", uuid, "--inactive")).not.toContain("<interface type='hostdev'");
  });

  it("a VF pool on the igb PF lists its VFs; a VM taking 'any VF of the pool' gets one at start, and pool list says which", async () => {
    const netdev = (await guestInventory()).devices.find((d) => d.address === igb)!.netdevs[0]!;
    // libvirt sets the handed-out VF's MAC through the PF, which must be up.
    expect((await guestExec(["ip", "link", "set", netdev, "up"])).code).toBe(0);
    const created = await passdeck("pool", "create", POOL, igb);
    expect(created.code, created.stderr).toBe(0);
    expect(await virsh("net-dumpxml", POOL)).toContain(`<pf dev='${netdev}'/>`);
    interface Row {
      name: string;
      active: boolean;
      vfs: string[];
      handedOut: { address: string; domain: string }[];
      usedByConfigs: string[];
    }
    const before = (JSON.parse((await passdeck("pool", "list", "--json")).stdout) as Row[]).find((r) => r.name === POOL)!;
    expect([before.active, before.vfs, before.handedOut]).toEqual([true, vfs, []]);

    await defineGuestDomain(POOL_VM, `<interface type='network'><source network='${POOL}'/><mac address='02:00:00:00:99:01'/></interface>`);
    await virsh("start", POOL_VM);
    const live = await virsh("dumpxml", POOL_VM);
    const taken = vfs.find((vf) => live.includes(`bus='0x${vf.slice(5, 7)}' slot='0x${vf.slice(8, 10)}' function='0x${vf.slice(11)}'`))!;
    expect(taken).toBeDefined();
    const after = (JSON.parse((await passdeck("pool", "list", "--json")).stdout) as Row[]).find((r) => r.name === POOL)!;
    expect(after.handedOut).toEqual([{ address: taken, domain: POOL_VM }]);
    expect(after.usedByConfigs).toEqual([POOL_VM]);
    // The running VM's VF guards the PF like any other: no count change, no pool removal.
    const count = await passdeck("vfs", "set", igb, "3", "--force");
    expect([count.code, count.stderr]).toEqual([2, expect.stringContaining(`is in use by the running VM ${POOL_VM}`)]);
    const remove = await passdeck("pool", "delete", POOL);
    expect([remove.code, remove.stderr]).toEqual([2, expect.stringContaining(`${taken} in ${POOL_VM}`)]);
    await virsh("destroy", POOL_VM);
  });
});
