/** The written trees, checked file by file against the layout and formats the kernel produces. */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { getScenario, listScenarios, writeScenarioByName } from "./catalog";
import { formats, kernfsLinkTarget, writeScenarioTree, type ScenarioRoots } from "./write-tree";

const work = fs.mkdtempSync(join(tmpdir(), "passdeck-tree-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const trees = new Map<string, ScenarioRoots>();
function tree(name: string): ScenarioRoots {
  if (!trees.has(name)) trees.set(name, writeScenarioByName(name, join(work, name)));
  return trees.get(name)!;
}
const sysOf = (name: string) => (rel: string) => join(tree(name).sysRoot, rel);
const read = (path: string) => fs.readFileSync(path, "latin1");
const ls = (path: string) => fs.readdirSync(path).sort();
const dev = (name: string, address: string) => sysOf(name)(`bus/pci/devices/${address}`);
const groupMembers = (name: string, id: number) => ls(sysOf(name)(`kernel/iommu_groups/${id}/devices`));
const groupOf = (name: string, address: string) =>
  Number(
    fs
      .readlinkSync(`${dev(name, address)}/iommu_group`)
      .split("/")
      .pop(),
  );

/**
 * Every symlink under root: relative, and resolving to something that exists. A process's /proc/<pid>/fd links are
 * what its descriptors point at, absolute paths on the host ("/dev/vfio/15"), as procfs shows them: not checked.
 */
function checkLinks(root: string): number {
  let count = 0;
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isSymbolicLink() && /\/proc\/\d+\/fd$/.test(dir)) continue;
      if (e.isSymbolicLink()) {
        const target = fs.readlinkSync(p);
        if (target.startsWith("/")) throw new Error(`${p} is absolute: ${target}`);
        if (!fs.existsSync(p)) throw new Error(`${p} -> ${target} dangles`);
        count++;
      } else if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return count;
}

describe("kernfsLinkTarget", () => {
  it("goes up to an ancestor of the target's parent, as kernfs does", () => {
    expect(kernfsLinkTarget("bus/pci/devices/0000:03:00.0", "devices/pci0000:00/0000:00:1c.0/0000:03:00.0")).toBe(
      "../../../devices/pci0000:00/0000:00:1c.0/0000:03:00.0",
    );
    expect(kernfsLinkTarget("devices/pci0000:00/0000:00:1c.0/0000:03:00.0/net/enp3s0/device", "devices/pci0000:00/0000:00:1c.0/0000:03:00.0")).toBe(
      "../../../0000:03:00.0",
    );
    expect(kernfsLinkTarget("devices/p/0000:3b:00.0/virtfn0", "devices/p/0000:3b:02.0")).toBe("../0000:3b:02.0");
    expect(kernfsLinkTarget("class/iommu/dmar0", "devices/virtual/iommu/dmar0")).toBe("../../devices/virtual/iommu/dmar0");
  });
});

describe("every scenario", () => {
  it.each(["desktop", "server", "iommu-off", "amd"])("%s: all links are relative and resolve; both roots exist", (name) => {
    const roots = tree(name);
    expect(roots.sysRoot).toBe(resolve(work, name, "sys"));
    expect(roots.procRoot).toBe(resolve(work, name, "proc"));
    expect(checkLinks(roots.sysRoot)).toBeGreaterThan(50);
    checkLinks(roots.procRoot);
    expect(fs.readlinkSync(join(roots.sysRoot, "class/net/lo"))).toBe("../../devices/virtual/net/lo");
  });

  it("replaces whatever was in the directory before", () => {
    const dir = join(work, "rewrite");
    fs.mkdirSync(join(dir, "sys/stale"), { recursive: true });
    fs.writeFileSync(join(dir, "leftover"), "x");
    writeScenarioTree(getScenario("iommu-off"), dir);
    writeScenarioTree(getScenario("iommu-off"), dir);
    expect(ls(dir)).toEqual(["proc", "sys"]);
    expect(fs.existsSync(join(dir, "sys/stale"))).toBe(false);
  });
});

describe("desktop", () => {
  const sys = sysOf("desktop");
  const proc = (rel: string) => join(tree("desktop").procRoot, rel);

  it("nests device directories by topology and links bus/pci/devices to them", () => {
    expect(fs.readlinkSync(sys("bus/pci/devices/0000:03:00.0"))).toBe("../../../devices/pci0000:00/0000:00:1c.0/0000:03:00.0");
    expect(ls(sys("bus/pci/devices"))).toHaveLength(18);
    expect(fs.readlinkSync(`${dev("desktop", "0000:03:00.0")}/subsystem`)).toBe("../../../../bus/pci");
  });

  it("writes the attributes in the kernel's formats", () => {
    const nic = dev("desktop", "0000:03:00.0");
    expect(read(`${nic}/vendor`)).toBe("0x8086\n");
    expect(read(`${nic}/device`)).toBe("0x15f3\n");
    expect(read(`${nic}/subsystem_vendor`)).toBe("0x1043\n");
    expect(read(`${nic}/class`)).toBe("0x020000\n");
    expect(read(`${nic}/revision`)).toBe("0x03\n");
    expect(read(`${nic}/numa_node`)).toBe("-1\n");
    expect(read(`${nic}/driver_override`)).toBe("\n"); // newer-kernel style in this scenario
    expect(read(`${nic}/enable`)).toBe("1\n");
    expect(read(`${nic}/current_link_speed`)).toBe("5.0 GT/s PCIe\n");
    expect(read(`${nic}/current_link_width`)).toBe("1\n");
    expect(read(`${nic}/reset_method`)).toBe("flr bus\n");
    expect(read(`${nic}/reset`)).toBe("");
    expect(read(`${nic}/uevent`)).toBe(
      "DRIVER=igc\nPCI_CLASS=20000\nPCI_ID=8086:15F3\nPCI_SUBSYS_ID=1043:8882\nPCI_SLOT_NAME=0000:03:00.0\nMODALIAS=pci:v00008086d000015F3sv00001043sd00008882bc02sc00i00\n",
    );
    expect(read(`${nic}/modalias`)).toBe("pci:v00008086d000015F3sv00001043sd00008882bc02sc00i00\n");
    expect(read(dev("desktop", "0000:04:00.0") + "/uevent")).toContain("PCI_CLASS=C0330\n");
    const config = fs.readFileSync(`${nic}/config`);
    expect(config.length).toBe(4096);
    expect(config.readUInt16LE(0)).toBe(0x8086);
    expect(config.readUInt16LE(2)).toBe(0x15f3);
    // an RC integrated endpoint has link files that say Unknown; conventional chipset functions have none
    expect(read(dev("desktop", "0000:00:02.0") + "/current_link_speed")).toBe("Unknown\n");
    expect(fs.existsSync(dev("desktop", "0000:00:1f.3") + "/current_link_speed")).toBe(false);
    // no reset method, no reset file (the GPU shares bus 01 with its audio function, so no bus reset either)
    expect(fs.existsSync(dev("desktop", "0000:01:00.0") + "/reset")).toBe(false);
    expect(fs.existsSync(dev("desktop", "0000:00:14.2") + "/driver")).toBe(false);
    expect(read(dev("desktop", "0000:00:14.2") + "/enable")).toBe("0\n");
  });

  it("computes the groups with the kernel's rules, numbered in probe order", () => {
    const groups = ls(sys("kernel/iommu_groups"))
      .map(Number)
      .sort((a, b) => a - b);
    expect(groups).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(groupMembers("desktop", 6)).toEqual(["0000:00:1c.0", "0000:00:1c.4", "0000:03:00.0", "0000:04:00.0"]);
    expect(groupMembers("desktop", 7)).toEqual(["0000:00:1f.0", "0000:00:1f.3", "0000:00:1f.4", "0000:00:1f.5"]);
    expect(groupMembers("desktop", 4)).toEqual(["0000:00:14.0", "0000:00:14.2"]);
    expect(groupMembers("desktop", 8)).toEqual(["0000:01:00.0", "0000:01:00.1"]);
    expect(fs.readlinkSync(`${dev("desktop", "0000:01:00.0")}/iommu_group`)).toBe("../../../../kernel/iommu_groups/8");
    expect(fs.readlinkSync(`${dev("desktop", "0000:00:01.0")}/iommu_group`)).toMatch(/\/kernel\/iommu_groups\/1$/);
    expect(fs.readlinkSync(`${sys("kernel/iommu_groups/9/devices")}/0000:02:00.0`)).toBe("../../../../devices/pci0000:00/0000:00:06.0/0000:02:00.0");
    expect(read(sys("kernel/iommu_groups/0/type"))).toBe("DMA-FQ\n");
    expect(fs.readlinkSync(sys("class/iommu/dmar0"))).toBe("../../devices/virtual/iommu/dmar0");
    expect(read(sys("devices/virtual/iommu/dmar0/intel-iommu/version"))).toBe("1:0\n");
    expect(fs.readlinkSync(`${dev("desktop", "0000:00:02.0")}/iommu`)).toBe("../../virtual/iommu/dmar0");
    expect(read(sys("firmware/acpi/tables/DMAR")).slice(0, 4)).toBe("DMAR");
  });

  it("binds drivers through bus/pci/drivers, ports to pcieport", () => {
    expect(fs.readlinkSync(`${dev("desktop", "0000:03:00.0")}/driver`)).toBe("../../../../bus/pci/drivers/igc");
    expect(fs.readlinkSync(sys("bus/pci/drivers/igc/0000:03:00.0"))).toBe("../../../../devices/pci0000:00/0000:00:1c.0/0000:03:00.0");
    expect(ls(sys("bus/pci/drivers/pcieport"))).toEqual([
      "0000:00:01.0",
      "0000:00:06.0",
      "0000:00:1c.0",
      "0000:00:1c.4",
      "bind",
      "new_id",
      "remove_id",
      "unbind",
    ]);
    expect(ls(sys("bus/pci/drivers/xhci_hcd"))).toContain("module");
    expect(fs.existsSync(sys("bus/pci/drivers/vfio-pci"))).toBe(false);
    expect(fs.existsSync(sys("module/vfio_pci"))).toBe(false);
    expect(read(sys("module/igc/refcnt"))).toBe("0\n");
    for (const f of ["drivers_probe", "drivers_autoprobe", "rescan"]) expect(fs.existsSync(sys(`bus/pci/${f}`))).toBe(true);
    expect(fs.readlinkSync(`${dev("desktop", "0000:00:1c.0")}/pci_bus/0000:03/device`)).toBe("../../../0000:00:1c.0");
  });

  it("lays out the NIC, the NVMe disk and its partitions with their class links", () => {
    const netdir = `${dev("desktop", "0000:03:00.0")}/net/enp3s0`;
    expect(read(`${netdir}/address`)).toBe("04:42:1a:3c:5e:7f\n");
    expect(read(`${netdir}/operstate`)).toBe("up\n");
    expect(read(`${netdir}/ifindex`)).toBe("2\n");
    expect(fs.readlinkSync(`${netdir}/device`)).toBe("../../../0000:03:00.0");
    expect(fs.readlinkSync(sys("class/net/enp3s0"))).toBe("../../devices/pci0000:00/0000:00:1c.0/0000:03:00.0/net/enp3s0");
    const disk = sys("devices/pci0000:00/0000:00:06.0/0000:02:00.0/nvme/nvme0/nvme0n1");
    expect(read(`${disk}/dev`)).toBe("259:0\n");
    expect(read(`${disk}/nvme0n1p2/dev`)).toBe("259:2\n");
    expect(read(`${disk}/nvme0n1p2/partition`)).toBe("2\n");
    expect(ls(`${disk}/nvme0n1p2/holders`)).toEqual([]);
    expect(fs.readlinkSync(sys("class/block/nvme0n1p1"))).toBe("../../devices/pci0000:00/0000:00:06.0/0000:02:00.0/nvme/nvme0/nvme0n1/nvme0n1p1");
    expect(fs.readlinkSync(sys("dev/block/259:2"))).toBe("../../devices/pci0000:00/0000:00:06.0/0000:02:00.0/nvme/nvme0/nvme0n1/nvme0n1p2");
    expect(ls(sys("devices/pci0000:00/0000:00:17.0"))).toEqual(expect.arrayContaining(["ata1", "ata4"]));
  });

  it("writes /proc/net/route in the kernel's format, padded to 127 columns", () => {
    const lines = read(proc("net/route")).split("\n");
    expect(lines[0]).toBe("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT".padEnd(127));
    expect(lines[1]).toBe("enp3s0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0".padEnd(127));
    expect(lines[2]).toBe("enp3s0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0".padEnd(127));
    expect(lines).toHaveLength(4);
    expect(fs.readlinkSync(proc("net"))).toBe("self/net");
  });

  it("writes the IPv6 tables and fib_trie with the LOCAL entries", () => {
    expect(read(proc("net/if_inet6"))).toBe(
      "00000000000000000000000000000001 01 80 10 80       lo\n" +
        "20010db8000100000000000000000010 02 40 00 80   enp3s0\n" +
        "fe80000000000000064" +
        "21afffe3c5e7f 02 40 20 80   enp3s0\n",
    );
    const v6 = read(proc("net/ipv6_route")).split("\n");
    expect(v6).toContain(
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000064 00000001 00000000 00000003   enp3s0",
    );
    expect(v6).toContain(
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo",
    );
    const trie = read(proc("net/fib_trie"));
    expect(trie.startsWith("Main:\n")).toBe(true);
    expect(trie).toContain("\nLocal:\n");
    expect(trie).toMatch(/\|-- 192\.168\.1\.10\n\s+\/32 host LOCAL\n/);
    expect(trie).toMatch(/\|-- 127\.0\.0\.1\n\s+\/32 host LOCAL\n/);
    expect(trie).toMatch(/\|-- 192\.168\.1\.0\n\s+\/24 link UNICAST\n/);
  });

  it("writes mounts, swaps, cmdline, cpuinfo and interrupts with remapping", () => {
    const info = read(proc("self/mountinfo")).split("\n");
    expect(info.find((l) => l.includes(" / / "))).toMatch(/^\d+ 1 259:2 \/ \/ rw,relatime shared:\d+ - ext4 \/dev\/nvme0n1p2 rw,errors=remount-ro$/);
    expect(info.some((l) => l.includes(" - proc proc "))).toBe(true);
    expect(info.some((l) => l.includes(" - sysfs sysfs "))).toBe(true);
    expect(read(proc("mounts"))).toContain("/dev/nvme0n1p1 /boot/efi vfat rw,relatime,");
    expect(read(proc("swaps"))).toBe("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/swap.img" + " ".repeat(31) + "file\t\t8388604\t\t0\t\t-2\n");
    expect(read(proc("cmdline"))).toMatch(/intel_iommu=on .*\n$/);
    expect(read(proc("sys/kernel/osrelease"))).toBe("6.8.0-49-generic\n");
    const cpuinfo = read(proc("cpuinfo"));
    expect(cpuinfo.split("\n\n").filter((b) => b.startsWith("processor"))).toHaveLength(2);
    expect(cpuinfo).toContain("vendor_id\t: GenuineIntel\n");
    expect(cpuinfo).toMatch(/^flags\t\t: .* vmx .*$/m);
    const irqs = read(proc("interrupts"));
    expect(irqs.split("\n")[0]).toBe(`${" ".repeat(11)}CPU0       CPU1       `);
    expect(irqs).toMatch(/\n +\d+: +\d+ +\d+ {2}IR-PCI-MSIX-0000:03:00.0 {3}0-edge {6}enp3s0\n/);
    expect(irqs).toMatch(/IR-PCI-MSIX-0000:03:00.0 {3}1-edge {6}enp3s0-TxRx-0\n/);
    expect(irqs).toMatch(/IR-IO-APIC {3}2-edge {6}timer/);
    expect(irqs).toContain("DMAR-MSI   0-edge      dmar0");
  });
});

describe("server", () => {
  const sys = sysOf("server");
  const proc = (rel: string) => join(tree("server").procRoot, rel);
  const pf = dev("server", "0000:3b:00.0");

  it("writes the PF's SR-IOV files and links virtfnN/physfn to each other", () => {
    expect(["totalvfs", "numvfs", "offset", "stride", "vf_device", "drivers_autoprobe"].map((f) => read(`${pf}/sriov_${f}`))).toEqual([
      "64\n",
      "4\n",
      "16\n",
      "1\n",
      "154c\n",
      "1\n",
    ]);
    expect(read(dev("server", "0000:3b:00.1") + "/sriov_numvfs")).toBe("0\n");
    for (let i = 0; i < 4; i++) {
      const vfAddr = `0000:3b:02.${i}`;
      expect(fs.readlinkSync(`${pf}/virtfn${i}`)).toBe(`../${vfAddr}`);
      const vf = dev("server", vfAddr);
      expect(fs.readlinkSync(`${vf}/physfn`)).toBe("../0000:3b:00.0");
      expect(fs.realpathSync(`${fs.realpathSync(`${pf}/virtfn${i}`)}/physfn`)).toBe(fs.realpathSync(pf));
      expect(read(`${vf}/device`)).toBe("0x154c\n");
      expect(read(`${vf}/vendor`)).toBe("0x8086\n");
      expect(read(`${vf}/class`)).toBe("0x020000\n");
      expect(read(`${vf}/reset_method`)).toBe("flr\n");
      expect(read(`${vf}/current_link_speed`)).toBe("8.0 GT/s PCIe\n");
      expect(fs.existsSync(`${vf}/sriov_totalvfs`)).toBe(false);
      expect(fs.readlinkSync(`${vf}/driver`)).toMatch(/\/drivers\/iavf$/);
      expect(groupOf("server", vfAddr)).toBe(16 + i);
      expect(groupMembers("server", 16 + i)).toEqual([vfAddr]);
    }
    // VFs are siblings of the PF under the root port, with their own interfaces
    expect(fs.realpathSync(dev("server", "0000:3b:02.1"))).toBe(join(fs.realpathSync(sys("devices")), "pci0000:3a/0000:3a:00.0/0000:3b:02.1"));
    expect(fs.readlinkSync(sys("class/net/enp59s2f1"))).toBe("../../devices/pci0000:3a/0000:3a:00.0/0000:3b:02.1/net/enp59s2f1");
    expect(fs.existsSync(`${pf}/virtfn4`)).toBe(false);
  });

  it("numbers the groups over several root buses, VFs last", () => {
    const members = (id: number) => groupMembers("server", id);
    expect([0, 1, 2, 3, 4, 5].map(members)).toEqual([
      ["0000:00:00.0"],
      ["0000:00:14.0", "0000:00:14.2"],
      ["0000:00:17.0"],
      ["0000:00:1c.0"],
      ["0000:00:1f.0", "0000:00:1f.2", "0000:00:1f.4", "0000:00:1f.5"],
      ["0000:02:00.0", "0000:03:00.0"],
    ]);
    expect([6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map(members)).toEqual([
      ["0000:17:00.0"],
      ["0000:18:00.0"],
      ["0000:18:00.1"],
      ["0000:3a:00.0"],
      ["0000:3b:00.0"],
      ["0000:3b:00.1"],
      ["0000:5d:00.0"],
      ["0000:5e:00.0"],
      ["0000:85:00.0"],
      ["0000:86:00.0"],
    ]);
    expect(ls(sys("kernel/iommu_groups"))).toHaveLength(20);
    expect(read(sys("kernel/iommu_groups/10/type"))).toBe("identity\n"); // iommu=pt
  });

  it("leaves the conventional PCI device behind the PCIe-to-PCI bridge without link files", () => {
    const bridge = dev("server", "0000:02:00.0");
    expect(read(`${bridge}/current_link_speed`)).toBe("5.0 GT/s PCIe\n");
    expect(fs.existsSync(`${bridge}/driver`)).toBe(false);
    expect(ls(`${bridge}/pci_bus`)).toEqual(["0000:03"]);
    const vga = dev("server", "0000:03:00.0");
    for (const f of ["current_link_speed", "current_link_width", "max_link_speed", "max_link_width"]) expect(fs.existsSync(`${vga}/${f}`)).toBe(false);
    expect(fs.readFileSync(`${vga}/config`).length).toBe(256);
    expect(fs.readlinkSync(sys("bus/pci/devices/0000:03:00.0"))).toBe("../../../devices/pci0000:00/0000:00:1c.0/0000:02:00.0/0000:03:00.0");
  });

  it("links the bridge vmbr0 and its port eno1 both ways, and routes through vmbr0", () => {
    const eno1 = sys("devices/pci0000:17/0000:17:00.0/0000:18:00.0/net/eno1");
    const vmbr0 = sys("devices/virtual/net/vmbr0");
    expect(fs.readlinkSync(`${eno1}/upper_vmbr0`)).toBe("../../../../../virtual/net/vmbr0");
    expect(fs.readlinkSync(`${vmbr0}/lower_eno1`)).toBe("../../../pci0000:17/0000:17:00.0/0000:18:00.0/net/eno1");
    expect(fs.realpathSync(`${vmbr0}/brif/eno1`)).toBe(fs.realpathSync(`${eno1}/brport`));
    expect(fs.existsSync(`${vmbr0}/bridge`)).toBe(true);
    expect(read(`${vmbr0}/address`)).toBe("ac:1f:6b:2d:4e:10\n");
    expect(read(proc("net/route")).split("\n")[1]!.trimEnd()).toBe("vmbr0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0");
    expect(read(proc("net/fib_trie"))).toMatch(/\|-- 10\.0\.0\.5\n\s+\/32 host LOCAL\n/);
    expect(read(dev("server", "0000:18:00.1") + "/net/eno2/operstate")).toBe("down\n");
  });

  it("stacks LVM on sda3: holders and slaves link both ways, root and swap are on dm devices", () => {
    const sda3 = sys("devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda3");
    expect(ls(`${sda3}/holders`)).toEqual(["dm-0", "dm-1"]);
    expect(fs.readlinkSync(`${sda3}/holders/dm-0`)).toBe("../../../../../../../../../../virtual/block/dm-0");
    expect(fs.realpathSync(sys("devices/virtual/block/dm-0/slaves/sda3"))).toBe(fs.realpathSync(sda3));
    expect(read(sys("devices/virtual/block/dm-0/dm/name"))).toBe("pve-root\n");
    expect(read(sys("devices/virtual/block/dm-1/dev"))).toBe("253:1\n");
    expect(fs.readlinkSync(sys("class/block/sda"))).toBe("../../devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda");
    expect(read(proc("self/mountinfo"))).toMatch(/^\d+ 1 253:0 \/ \/ rw,relatime shared:\d+ - ext4 \/dev\/mapper\/pve-root /m);
    expect(read(proc("swaps")).split("\n")[1]).toBe(`/dev/dm-1${" ".repeat(31)}partition\t8388604\t\t0\t\t-2`);
  });

  it("has vfio loaded with the I210 bound, the modules in /proc/modules, NUMA nodes and (null) overrides", () => {
    expect(ls(sys("bus/pci/drivers/vfio-pci"))).toEqual(["0000:86:00.0", "bind", "module", "new_id", "remove_id", "unbind"]);
    for (const m of ["vfio", "vfio_pci", "vfio_pci_core", "vfio_iommu_type1"]) expect(fs.existsSync(sys(`module/${m}/refcnt`))).toBe(true);
    const modules = read(proc("modules"));
    expect(modules).toMatch(/^vfio_pci \d+ 0 - Live 0x0000000000000000$/m);
    expect(modules).toMatch(/^vfio \d+ 3 vfio_pci_core,vfio_iommu_type1,vfio_pci, Live 0x0000000000000000$/m);
    expect(read(`${pf}/numa_node`)).toBe("0\n");
    expect(read(dev("server", "0000:5e:00.0") + "/numa_node")).toBe("1\n");
    expect(read(`${pf}/driver_override`)).toBe("(null)\n");
    expect(read(proc("cmdline"))).toContain("intel_iommu=on iommu=pt");
  });

  it("writes VM 101's QEMU in procfs, holding the I210 through its group file, and the I210 enabled by vfio-pci", () => {
    const nic = dev("server", "0000:86:00.0");
    expect(read(`${nic}/driver_override`)).toBe("vfio-pci\n");
    expect(read(`${nic}/enable`)).toBe("1\n");
    expect(read(dev("server", "0000:18:00.1") + "/enable")).toBe("1\n"); // igb enabled it at probe
    expect(read(proc("2817/comm"))).toBe("kvm\n");
    expect(read(proc("2817/cgroup"))).toBe("0::/qemu.slice/101.scope\n");
    expect(read(proc("2817/status"))).toMatch(/^Uid:\t0\t0\t0\t0$/m);
    const argv = read(proc("2817/cmdline")).split("\0");
    expect(argv.slice(0, 5)).toEqual(["/usr/bin/kvm", "-id", "101", "-name", "router,debug-threads=on"]);
    expect(argv).toContain("vfio-pci,host=0000:86:00.0,id=hostpci0,bus=pci.0,addr=0x10");
    expect(ls(proc("2817/fd")).map((fd) => fs.readlinkSync(proc(`2817/fd/${fd}`)))).toEqual([
      "/dev/vfio/vfio",
      `/dev/vfio/${groupOf("server", "0000:86:00.0")}`,
    ]);
  });

  it("puts the I350's possible VFs on the next bus without colliding, and reads the NVMe's SR-IOV state", () => {
    expect(read(dev("server", "0000:18:00.0") + "/sriov_offset")).toBe("384\n");
    expect(read(dev("server", "0000:5e:00.0") + "/sriov_totalvfs")).toBe("32\n");
    expect(read(dev("server", "0000:5e:00.0") + "/sriov_vf_device")).toBe("a824\n");
    expect(read(sys("devices/pci0000:5d/0000:5d:00.0/0000:5e:00.0/nvme/nvme1/nvme1n1/dev"))).toBe("259:0\n");
  });
});

describe("md holders (a spec variant)", () => {
  it("stacks an md RAID1 on two partitions and LVM on the md device, with the md attributes", () => {
    const spec = getScenario("server");
    spec.name = "server-md";
    spec.storage.holders = [
      { name: "md0", kind: "md", dev: "9:0", mdLevel: "raid1", slaves: ["sda1", "sda2"] },
      { name: "dm-0", kind: "dm", dev: "253:0", dmName: "vg0-root", slaves: ["md0"] },
    ];
    spec.storage.mounts = [{ source: "/dev/mapper/vg0-root", mountpoint: "/", fstype: "xfs" }];
    spec.storage.swaps = [];
    const roots = writeScenarioTree(spec, join(work, "server-md"));
    const sys = (rel: string) => join(roots.sysRoot, rel);
    expect(read(sys("devices/virtual/block/md0/md/level"))).toBe("raid1\n");
    expect(ls(sys("devices/virtual/block/md0/slaves"))).toEqual(["sda1", "sda2"]);
    expect(ls(sys("devices/virtual/block/md0/holders"))).toEqual(["dm-0"]);
    expect(fs.readlinkSync(sys("devices/virtual/block/dm-0/slaves/md0"))).toBe("../../md0");
    expect(fs.readlinkSync(sys("dev/block/9:0"))).toBe("../../devices/virtual/block/md0");
    expect(read(join(roots.procRoot, "self/mountinfo"))).toMatch(/ 253:0 \/ \/ rw,relatime shared:\d+ - xfs \/dev\/mapper\/vg0-root rw$/m);
  });
});

describe("iommu-off", () => {
  const sys = sysOf("iommu-off");
  const proc = (rel: string) => join(tree("iommu-off").procRoot, rel);

  it("has the firmware table but no IOMMU units, groups or group links", () => {
    expect(fs.existsSync(sys("firmware/acpi/tables/DMAR"))).toBe(true);
    expect(ls(sys("class/iommu"))).toEqual([]);
    expect(ls(sys("kernel/iommu_groups"))).toEqual([]);
    for (const a of ls(sys("bus/pci/devices"))) {
      expect(fs.existsSync(`${dev("iommu-off", a)}/iommu_group`)).toBe(false);
      expect(fs.existsSync(`${dev("iommu-off", a)}/iommu`)).toBe(false);
    }
    expect(read(proc("cmdline"))).not.toMatch(/iommu/);
    expect(fs.existsSync(sys("bus/pci/drivers/vfio-pci"))).toBe(false);
  });

  it("prints plain PCI-MSI / IO-APIC chips with the pre-6.2 hwirq encoding", () => {
    const irqs = read(proc("interrupts"));
    expect(irqs).not.toMatch(/IR-/);
    expect(irqs).toContain("   IO-APIC   2-edge      timer\n");
    // 00:1f.6: domain 0, requester ID 0x00fe << 11 = 520192
    expect(irqs).toMatch(/\n +\d+: +\d+ +\d+ +PCI-MSI 520192-edge {6}eno1\n/);
  });

  it("shows the SR-IOV capability with no VFs, and older-kernel (null) overrides", () => {
    const pf = dev("iommu-off", "0000:03:00.0");
    expect(read(`${pf}/sriov_totalvfs`)).toBe("0\n");
    expect(read(`${pf}/sriov_numvfs`)).toBe("0\n");
    expect(ls(pf).filter((e) => e.startsWith("virtfn"))).toEqual([]);
    expect(read(`${pf}/driver_override`)).toBe("(null)\n");
  });
});

describe("amd", () => {
  const sys = sysOf("amd");
  const proc = (rel: string) => join(tree("amd").procRoot, rel);

  it("exposes AMD-Vi: IVRS, ivhd0 under the IOMMU's own function, which has no group", () => {
    expect(fs.existsSync(sys("firmware/acpi/tables/IVRS"))).toBe(true);
    expect(fs.existsSync(sys("firmware/acpi/tables/DMAR"))).toBe(false);
    expect(fs.readlinkSync(sys("class/iommu/ivhd0"))).toBe("../../devices/pci0000:00/0000:00:00.2/iommu/ivhd0");
    expect(read(dev("amd", "0000:00:00.2") + "/class")).toBe("0x080600\n");
    expect(fs.existsSync(dev("amd", "0000:00:00.2") + "/iommu_group")).toBe(false);
    expect(fs.readlinkSync(dev("amd", "0000:0b:00.0") + "/iommu")).toBe("../../../../0000:00:00.2/iommu/ivhd0");
    expect(read(proc("cpuinfo"))).toMatch(/^flags\t\t: .* svm .*$/m);
    expect(read(proc("cmdline"))).toContain(" iommu=pt");
  });

  it("groups the Radeon with its audio behind ACS ports, and the whole B550 chipset together", () => {
    expect(groupMembers("amd", groupOf("amd", "0000:0b:00.0"))).toEqual(["0000:0b:00.0", "0000:0b:00.1"]);
    expect(groupMembers("amd", groupOf("amd", "0000:05:00.0"))).toEqual([
      "0000:02:00.0",
      "0000:02:00.1",
      "0000:02:00.2",
      "0000:03:00.0",
      "0000:03:04.0",
      "0000:03:08.0",
      "0000:03:09.0",
      "0000:03:0a.0",
      "0000:04:00.0",
      "0000:05:00.0",
      "0000:06:00.0",
      "0000:07:00.0",
    ]);
    expect(read(dev("amd", "0000:05:00.0") + "/sriov_totalvfs")).toBe("63\n");
    expect(read(dev("amd", "0000:05:00.0") + "/sriov_vf_device")).toBe("1565\n");
  });

  it("mounts btrfs subvolumes on an anonymous device, traceable only through the source", () => {
    const info = read(proc("self/mountinfo"));
    expect(info).toMatch(/^\d+ 1 0:27 \/@ \/ rw,noatime shared:\d+ - btrfs \/dev\/nvme0n1p2 rw,.*subvol=\/@$/m);
    expect(info).toMatch(/^\d+ \d+ 0:27 \/@home \/home .* - btrfs \/dev\/nvme0n1p2 /m);
    expect(read(proc("net/route"))).toContain("enp5s0\t00000000\t0132A8C0\t0003");
    // kernel 6.1: MSI chips not yet per device
    expect(read(proc("interrupts"))).toMatch(/IR-PCI-MSI \d+-edge {6}enp5s0\n/);
  });
});

describe("bench-1000", () => {
  it("writes exactly 1,000 functions with four PFs of 128 VFs each, one spilling onto the next bus", () => {
    const started = performance.now();
    const sysRoot = tree("bench-1000").sysRoot;
    const ms = performance.now() - started;
    console.log(`bench-1000 written in ${ms.toFixed(0)} ms`);
    const sys = (rel: string) => join(sysRoot, rel);
    const addresses = ls(sys("bus/pci/devices"));
    expect(addresses).toHaveLength(1000);
    const pfs = addresses.filter((a) => fs.existsSync(sys(`bus/pci/devices/${a}/sriov_totalvfs`)));
    expect(pfs).toEqual(["0000:18:00.0", "0000:3b:00.0", "0000:3b:00.1", "0000:86:00.0"]);
    const vfs = new Set<string>();
    for (const pf of pfs) {
      expect(read(sys(`bus/pci/devices/${pf}/sriov_numvfs`))).toBe("128\n");
      for (let i = 0; i < 128; i++) vfs.add(fs.readlinkSync(sys(`bus/pci/devices/${pf}/virtfn${i}`)).slice(3));
    }
    expect(vfs.size).toBe(512);
    const vfGroups = new Set([...vfs].map((vf) => fs.readlinkSync(sys(`bus/pci/devices/${vf}/iommu_group`))));
    expect(vfGroups.size).toBe(512);
    // PF 3b:00.1: offset 129 → its last VFs land on bus 3c, still under the root port, on a bus of their own
    expect(fs.readlinkSync(sys("bus/pci/devices/0000:3b:00.1/virtfn127"))).toBe("../0000:3c:00.1");
    expect(fs.readlinkSync(sys("bus/pci/devices/0000:3c:00.1/physfn"))).toBe("../0000:3b:00.1");
    expect(ls(sys("devices/pci0000:3a/0000:3a:00.0/pci_bus"))).toEqual(["0000:3b", "0000:3c"]);
    expect(fs.readlinkSync(sys("bus/pci/devices/0000:3c:00.1/driver"))).toMatch(/\/drivers\/vfio-pci$/);
    expect(ls(sys("bus/pci/drivers/vfio-pci")).filter((e) => e.startsWith("0000:"))).toHaveLength(512 + 32);
  }, 180_000); // a 1,000-function tree on a loaded 2-core CI machine: seconds alone, far more beside a build
});

describe("formats", () => {
  it("prints link speeds, little-endian route addresses and EUI-64 link-locals as the kernel does", () => {
    expect(formats.linkSpeed(2.5)).toBe("2.5 GT/s PCIe");
    expect(formats.linkSpeed(16)).toBe("16.0 GT/s PCIe");
    expect(formats.leHex(0xc0a80101)).toBe("0101A8C0");
    expect(formats.ipv6Hex("2001:db8::10")).toBe("20010db8000000000000000000000010");
    expect(formats.linkLocal("00:11:22:33:44:55")).toBe("fe80000000000000021122fffe334455");
    expect(formats.perDeviceMsiDomains("6.8.0-49-generic")).toBe(true);
    expect(formats.perDeviceMsiDomains("6.1.0-27-amd64")).toBe(false);
  });

  it("lists every scenario with a title and a one-line description", () => {
    expect(listScenarios().map((s) => s.name)).toEqual(["desktop", "server", "iommu-off", "amd", "bench-1000", "rig"]);
    for (const s of listScenarios()) {
      expect(s.title.length).toBeGreaterThan(5);
      expect(s.description).not.toContain("\n");
    }
  });
});
