/**
 * server/simulator/: a simulated Linux kernel for demos and tests. It never touches the host: it writes sysfs and
 * procfs only into a tree it is given (a temporary directory), and answers writes to that tree as the kernel would.
 * It prints each procfs format with server/host/formats/, the same modules server/host/ parses the real host with.
 *
 * The demo hosts. Each is a plain ScenarioSpec built fresh on every call (a simulated kernel may mutate its copy).
 * IDs are the real vendor/device IDs of the parts named in the comments, so pci.ids resolves them.
 */
import { formatPciAddress } from "@/lib/pci-address";
import type { CpuSpec, LinkSpec, LinkSpeed, NetdevSpec, PciFunctionSpec, PortKind, ScenarioSpec } from "./spec";
import { predictableIfName } from "./spec";
import { writeScenarioTree, type ScenarioRoots } from "./write-tree";

export interface ScenarioSummary {
  name: string;
  title: string;
  description: string;
}

const SCENARIOS: Record<string, () => ScenarioSpec> = {
  desktop,
  server,
  "iommu-off": iommuOff,
  amd,
  "bench-1000": bench1000,
  rig,
};

export function listScenarios(): ScenarioSummary[] {
  return Object.values(SCENARIOS).map((make) => {
    const { name, title, description } = make();
    return { name, title, description };
  });
}

export function getScenario(name: string): ScenarioSpec {
  const make = Object.hasOwn(SCENARIOS, name) ? SCENARIOS[name] : undefined;
  if (!make) throw new Error(`unknown scenario "${name}": choose one of ${Object.keys(SCENARIOS).join(", ")}`);
  return make();
}

export function writeScenarioByName(name: string, dir: string): ScenarioRoots {
  return writeScenarioTree(getScenario(name), dir);
}

// ---------------------------------------------------------------------------------------------------------------
// Building blocks

const INTEL = 0x8086;
const AMD = 0x1022;
const ATI = 0x1002;
const NVIDIA = 0x10de;
const SAMSUNG = 0x144d;
const ASMEDIA = 0x1b21;
const ASPEED = 0x1a03;
const MELLANOX = 0x15b3;
const BROADCOM = 0x1000;

const CLASS = {
  hostBridge: 0x060000,
  isaBridge: 0x060100,
  pciBridge: 0x060400,
  vga: 0x030000,
  display3d: 0x030200,
  hdAudio: 0x040300,
  ethernet: 0x020000,
  wifi: 0x028000,
  nvme: 0x010802,
  ahci: 0x010601,
  xhci: 0x0c0330,
  smbus: 0x0c0500,
  serialBus: 0x0c8000,
  usbTypeC: 0x0c8000,
  ram: 0x050000,
  signalProcessing: 0x118000,
  systemPeripheral: 0x088000,
  ioapic: 0x080020,
  iommu: 0x080600,
  commController: 0x078000,
  memoryController: 0x058000,
  instrumentation: 0x130000,
  encryption: 0x108000,
} as const;

type Extra = Omit<Partial<PciFunctionSpec>, "address" | "vendor" | "device" | "class"> & { sub?: readonly [number, number] };

/** One PCI function: IDs, class and whatever else differs from the defaults (no driver, revision 0). */
function fn(address: string, id: readonly [number, number], cls: number, extra: Extra = {}): PciFunctionSpec {
  const { sub, ...rest } = extra;
  return {
    address,
    vendor: id[0],
    device: id[1],
    subsystemVendor: sub?.[0] ?? id[0],
    subsystemDevice: sub?.[1] ?? 0x0000,
    class: cls,
    revision: 0,
    ...rest,
  };
}

/** A PCIe port (class 0x060400) bound to pcieport, or a PCIe-to-PCI bridge (no port driver binds those). */
function port(address: string, id: readonly [number, number], kind: PortKind, secondaryBus: number, extra: Extra = {}): PciFunctionSpec {
  return fn(address, id, CLASS.pciBridge, {
    bridge: kind,
    secondaryBus,
    ...(kind === "pcie-to-pci" ? {} : { driver: "pcieport" }),
    ...extra,
  });
}

function link(speed: LinkSpeed, width: number, maxSpeed: LinkSpeed = speed, maxWidth: number = width): LinkSpec {
  return { speed, width, maxSpeed, maxWidth };
}

const addr = (domain: number, bus: number, device: number, func = 0) => formatPciAddress({ domain, bus, device, fn: func });

const INTEL_FLAGS =
  "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf tsc_known_freq pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch cpuid_fault epb invpcid_single ssbd ibrs ibpb stibp ibrs_enhanced tpr_shadow flexpriority ept vpid ept_ad fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid rdseed adx smap clflushopt clwb intel_pt sha_ni xsaveopt xsavec xgetbv1 xsaves split_lock_detect avx_vnni dtherm ida arat pln pts hwp hwp_notify hwp_act_window hwp_epp hwp_pkg_req hfi vnmi umip pku ospke waitpkg gfni vaes vpclmulqdq rdpid movdiri movdir64b fsrm md_clear serialize arch_lbr ibt flush_l1d arch_capabilities".split(
    " ",
  );
const AMD_FLAGS =
  "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl nonstop_tsc cpuid extd_apicid aperfmperf rapl pni pclmulqdq monitor ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm cmp_legacy svm extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw ibs skinit wdt tce topoext perfctr_core perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 hw_pstate ssbd mba ibrs ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 erms invpcid cqm rdt_a rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local clzero irperf xsaveerptr rdpru wbnoinvd arat npt lbrv svm_lock nrip_save tsc_scale vmcb_clean flushbyasid decodeassists pausefilter pfthreshold avic v_vmsave_vmload vgif v_spec_ctrl umip pku ospke vaes vpclmulqdq rdpid overflow_recov succor smca fsrm".split(
    " ",
  );
const XEON_FLAGS = INTEL_FLAGS.filter(
  (f) =>
    ![
      "hfi",
      "avx_vnni",
      "waitpkg",
      "movdiri",
      "movdir64b",
      "serialize",
      "arch_lbr",
      "ibt",
      "split_lock_detect",
      "gfni",
      "vaes",
      "vpclmulqdq",
      "rdpid",
      "fsrm",
      "sha_ni",
      "hwp_pkg_req",
    ].includes(f),
).concat("avx512f avx512dq avx512cd avx512bw avx512vl pku ospke avx512_vnni cat_l3 cdp_l3 mba".split(" "));

const ALDER_LAKE: CpuSpec = {
  vendor: "GenuineIntel",
  model: "12th Gen Intel(R) Core(TM) i7-12700K",
  family: 6,
  modelNumber: 151,
  stepping: 2,
  mhz: 3600,
  cacheKb: 25600,
  flags: INTEL_FLAGS,
};
const XEON_GOLD: CpuSpec = {
  vendor: "GenuineIntel",
  model: "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz",
  family: 6,
  modelNumber: 85,
  stepping: 4,
  mhz: 2100,
  cacheKb: 22528,
  flags: XEON_FLAGS,
};

/** systemd's name for a netdev on a PCI function, plus its MAC and state. */
function nic(address: string, mac: string, operstate: NetdevSpec["operstate"], more: Partial<NetdevSpec> = {}): NetdevSpec {
  return { name: predictableIfName(address), mac, operstate, ...more };
}

// ---------------------------------------------------------------------------------------------------------------
// desktop

function desktop(): ScenarioSpec {
  const board = [0x1043, 0x8882] as const; // ASUS PRIME Z690
  const onboard = (address: string, id: readonly [number, number], cls: number, extra: Extra = {}) =>
    fn(address, id, cls, { sub: board, revision: 0x11, ...extra });
  return {
    name: "desktop",
    title: "Consumer Intel desktop",
    description:
      "Core i7-12700K with VT-d on: the GPU shares a group with its HDMI audio, and the chipset root ports lack ACS, so the onboard NIC and a USB card are stuck in one group.",
    host: {
      hostname: "workstation",
      kernelRelease: "6.8.0-49-generic",
      cmdline: "BOOT_IMAGE=/boot/vmlinuz-6.8.0-49-generic root=UUID=4d2b8f1e-9a4c-4f57-8f2e-3c6a2b7d9e10 ro quiet splash intel_iommu=on vt.handoff=7",
      cpu: ALDER_LAKE,
      iommu: { vendor: "intel", acpiTable: true, enabled: true, interruptRemapping: true },
      driverOverrideUnset: "",
      vfioLoaded: false,
    },
    pci: [
      onboard("0000:00:00.0", [INTEL, 0x4668], CLASS.hostBridge, { revision: 0x02 }),
      // CPU PEG root ports implement ACS: what sits behind each gets a group of its own
      port("0000:00:01.0", [INTEL, 0x460d], "root-port", 0x01, { acs: true, revision: 0x02, link: link(16, 16) }),
      onboard("0000:00:02.0", [INTEL, 0x4680], CLASS.vga, { revision: 0x0c, driver: "i915", link: "integrated", resetMethods: ["flr"] }),
      port("0000:00:06.0", [INTEL, 0x464d], "root-port", 0x02, { acs: true, revision: 0x02, link: link(8, 4, 16, 4) }),
      onboard("0000:00:14.0", [INTEL, 0x7ae0], CLASS.xhci, { driver: "xhci_hcd", resetMethods: ["pm"] }),
      onboard("0000:00:14.2", [INTEL, 0x7aa7], CLASS.ram), // shared SRAM: no driver, same slot as the xHCI
      onboard("0000:00:17.0", [INTEL, 0x7ae2], CLASS.ahci, { driver: "ahci", sataPorts: 4, resetMethods: ["pm"] }),
      // PCH root ports #1 and #5: functions of one multifunction device, without ACS
      port("0000:00:1c.0", [INTEL, 0x7ab8], "root-port", 0x03, { revision: 0x11, link: link(5, 1, 8, 1) }),
      port("0000:00:1c.4", [INTEL, 0x7abc], "root-port", 0x04, { revision: 0x11, link: link(8, 2, 8, 4) }),
      onboard("0000:00:1f.0", [INTEL, 0x7a84], CLASS.isaBridge),
      onboard("0000:00:1f.3", [INTEL, 0x7ad0], CLASS.hdAudio, { driver: "snd_hda_intel", resetMethods: ["flr", "pm"] }),
      onboard("0000:00:1f.4", [INTEL, 0x7aa3], CLASS.smbus, { driver: "i801_smbus" }),
      onboard("0000:00:1f.5", [INTEL, 0x7aa4], CLASS.serialBus),
      // GeForce RTX 3070 and its HDMI audio: one multifunction device, two functions on bus 01, so no bus reset
      fn("0000:01:00.0", [NVIDIA, 0x2484], CLASS.vga, { parent: "0000:00:01.0", sub: [0x1462, 0x3903], revision: 0xa1, driver: "nouveau", link: link(16, 16) }),
      fn("0000:01:00.1", [NVIDIA, 0x228b], CLASS.hdAudio, {
        parent: "0000:00:01.0",
        sub: [0x1462, 0x3903],
        revision: 0xa1,
        driver: "snd_hda_intel",
        link: link(16, 16),
      }),
      // Samsung 970 EVO Plus holding / and /boot/efi
      fn("0000:02:00.0", [SAMSUNG, 0xa808], CLASS.nvme, {
        parent: "0000:00:06.0",
        sub: [SAMSUNG, 0xa801],
        driver: "nvme",
        link: link(8, 4),
        resetMethods: ["flr", "bus"],
        disks: [
          {
            name: "nvme0n1",
            dev: "259:0",
            sizeBytes: 1_000_204_886_016,
            model: "Samsung SSD 970 EVO Plus 1TB",
            partitions: [
              { number: 1, sizeBytes: 1_127_219_200 },
              { number: 2, sizeBytes: 999_075_537_920 },
            ],
          },
        ],
      }),
      // onboard Intel I225-V 2.5GbE: the default route, IPv4 and IPv6
      fn("0000:03:00.0", [INTEL, 0x15f3], CLASS.ethernet, {
        parent: "0000:00:1c.0",
        sub: board,
        revision: 0x03,
        driver: "igc",
        link: link(5, 1),
        resetMethods: ["flr", "bus"],
        netdevs: [{ name: "enp3s0", mac: "04:42:1a:3c:5e:7f", operstate: "up", ipv4: ["192.168.1.10/24"], ipv6: ["2001:db8:1::10/64"] }],
      }),
      // ASMedia ASM2142 USB 3.1 card
      fn("0000:04:00.0", [ASMEDIA, 0x2142], CLASS.xhci, {
        parent: "0000:00:1c.4",
        sub: [0x1043, 0x8756],
        driver: "xhci_hcd",
        link: link(8, 2),
        resetMethods: ["bus"],
      }),
    ],
    network: {
      virtual: [],
      defaultV4: { iface: "enp3s0", gateway: "192.168.1.1", metric: 100 },
      defaultV6: { iface: "enp3s0", gateway: "fe80::1", metric: 100 },
    },
    storage: {
      holders: [],
      mounts: [
        { source: "/dev/nvme0n1p2", mountpoint: "/", fstype: "ext4" },
        { source: "/dev/nvme0n1p1", mountpoint: "/boot/efi", fstype: "vfat" },
      ],
      swaps: [{ source: "/swap.img", kind: "file", sizeKb: 8_388_604 }],
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// server

/** The server's I210 on vfio-pci, held at boot by Proxmox VE's QEMU for VM 101 "router" (pid ROUTER_PID). */
export const ROUTER_NIC = "0000:86:00.0";
export const ROUTER_PID = 2817;

function server(): ScenarioSpec {
  const board = [0x15d9, 0x095d] as const; // Supermicro X11DPi-N
  const pch = (address: string, id: readonly [number, number], cls: number, extra: Extra = {}) =>
    fn(address, id, cls, { sub: board, revision: 0x09, numaNode: 0, ...extra });
  const x710 = (func: number, offset: number, numVfs: number): PciFunctionSpec =>
    fn(`0000:3b:00.${func}`, [INTEL, 0x1572], CLASS.ethernet, {
      parent: "0000:3a:00.0",
      sub: [INTEL, 0x0007], // Ethernet Converged Network Adapter X710-DA2
      revision: 0x02,
      driver: "i40e",
      numaNode: 0,
      acs: true,
      link: link(8, 8),
      resetMethods: ["flr"],
      // The two PFs' VF ranges must not overlap: PF1's First VF Offset starts after PF0's 64 VFs.
      sriov: { totalVfs: 64, numVfs, offset, stride: 1, vfDevice: 0x154c, vfDriver: "iavf", vfNetdevs: true },
      netdevs: [{ name: `ens1f${func}`, mac: `3c:fd:fe:a1:b2:c${func}`, operstate: "up" }],
    });
  const i350 = (func: number, netdev: NetdevSpec): PciFunctionSpec =>
    fn(`0000:18:00.${func}`, [INTEL, 0x1521], CLASS.ethernet, {
      parent: "0000:17:00.0",
      sub: board,
      revision: 0x01,
      driver: "igb",
      numaNode: 0,
      acs: true, // the kernel's multifunction-endpoint ACS quirk covers the I350
      link: link(5, 4),
      resetMethods: ["flr"],
      // I350 VFs start 0x180 routing IDs past the PF: on the next bus number, four apart
      sriov: { totalVfs: 7, numVfs: 0, offset: 0x180, stride: 4, vfDevice: 0x1520, vfDriver: "igbvf" },
      netdevs: [netdev],
    });
  return {
    name: "server",
    title: "Dual-socket Xeon hypervisor",
    description:
      "Proxmox-style host: X710 SR-IOV NIC with four VFs on iavf, an SR-IOV NVMe, the management port under bridge vmbr0, root on LVM, the BMC's VGA behind a PCIe-to-PCI bridge, and an I210 that VM 101's QEMU holds on vfio-pci.",
    host: {
      hostname: "pve1",
      kernelRelease: "6.8.12-4-pve",
      cmdline: "BOOT_IMAGE=/boot/vmlinuz-6.8.12-4-pve root=/dev/mapper/pve-root ro quiet intel_iommu=on iommu=pt",
      cpu: XEON_GOLD,
      iommu: { vendor: "intel", acpiTable: true, enabled: true, interruptRemapping: true },
      driverOverrideUnset: "(null)",
      vfioLoaded: true,
    },
    pci: [
      pch("0000:00:00.0", [INTEL, 0x2020], CLASS.hostBridge, { revision: 0x04 }),
      pch("0000:00:14.0", [INTEL, 0xa1af], CLASS.xhci, { driver: "xhci_hcd", resetMethods: ["pm"] }),
      pch("0000:00:14.2", [INTEL, 0xa1b1], CLASS.signalProcessing, { driver: "intel_pch_thermal" }),
      pch("0000:00:17.0", [INTEL, 0xa182], CLASS.ahci, {
        driver: "ahci",
        sataPorts: 8,
        resetMethods: ["pm"],
        disks: [
          {
            name: "sda",
            dev: "8:0",
            sizeBytes: 480_103_981_056,
            model: "SAMSUNG MZ7KH480",
            partitions: [
              { number: 1, sizeBytes: 1_031_168 },
              { number: 2, sizeBytes: 1_073_741_824 },
              { number: 3, sizeBytes: 479_028_190_720 },
            ],
          },
        ],
      }),
      // PCH root port with ACS: the BMC's bridge and VGA get their own group, explained by the bridge alone
      port("0000:00:1c.0", [INTEL, 0xa190], "root-port", 0x02, { sub: board, revision: 0xf9, numaNode: 0, acs: true, link: link(5, 1) }),
      pch("0000:00:1f.0", [INTEL, 0xa1c2], CLASS.isaBridge),
      pch("0000:00:1f.2", [INTEL, 0xa1a1], CLASS.memoryController),
      pch("0000:00:1f.4", [INTEL, 0xa1a3], CLASS.smbus, { driver: "i801_smbus" }),
      pch("0000:00:1f.5", [INTEL, 0xa1a4], CLASS.serialBus),
      // ASPEED AST2500 BMC: its PCIe-to-PCI bridge, then the VGA on conventional PCI (no link files)
      port("0000:02:00.0", [ASPEED, 0x1150], "pcie-to-pci", 0x03, { parent: "0000:00:1c.0", revision: 0x04, numaNode: 0, link: link(5, 1) }),
      fn("0000:03:00.0", [ASPEED, 0x2000], CLASS.vga, {
        parent: "0000:02:00.0",
        sub: board,
        revision: 0x41,
        driver: "ast",
        numaNode: 0,
        resetMethods: ["pm", "bus"],
      }),
      // PCIe stack 17: the onboard I350 management ports
      port("0000:17:00.0", [INTEL, 0x2030], "root-port", 0x18, { revision: 0x04, numaNode: 0, acs: true, link: link(5, 4, 8, 4) }),
      i350(0, { name: "eno1", mac: "ac:1f:6b:2d:4e:10", operstate: "up" }),
      i350(1, { name: "eno2", mac: "ac:1f:6b:2d:4e:11", operstate: "down" }),
      // PCIe stack 3a: the X710 dual-port SR-IOV NIC
      port("0000:3a:00.0", [INTEL, 0x2030], "root-port", 0x3b, { revision: 0x04, numaNode: 0, acs: true, link: link(8, 8, 8, 16) }),
      x710(0, 16, 4),
      x710(1, 79, 0),
      // PCIe stack 5d (second NUMA node with sub-NUMA clustering): Samsung PM1735 with SR-IOV, no VFs yet
      port("0000:5d:00.0", [INTEL, 0x2030], "root-port", 0x5e, { revision: 0x04, numaNode: 1, acs: true, link: link(16, 4) }),
      fn("0000:5e:00.0", [SAMSUNG, 0xa824], CLASS.nvme, {
        parent: "0000:5d:00.0",
        sub: [SAMSUNG, 0xa812],
        driver: "nvme",
        numaNode: 1,
        link: link(16, 4),
        resetMethods: ["flr", "bus"],
        sriov: { totalVfs: 32, numVfs: 0, offset: 1, stride: 1, vfDevice: 0xa824, vfDriver: "nvme" },
        disks: [{ name: "nvme1n1", dev: "259:0", sizeBytes: 3_200_631_791_616, model: "SAMSUNG MZPLJ3T2HBJR-00007" }],
      }),
      // PCIe stack 85: an Intel I210 NIC on vfio-pci (Proxmox's hostpci0 sets driver_override), open by VM 101's QEMU
      port("0000:85:00.0", [INTEL, 0x2030], "root-port", 0x86, { revision: 0x04, numaNode: 1, acs: true, link: link(2.5, 1, 8, 4) }),
      fn(ROUTER_NIC, [INTEL, 0x1533], CLASS.ethernet, {
        parent: "0000:85:00.0",
        sub: [INTEL, 0x0001], // Ethernet Server Adapter I210-T1
        revision: 0x03,
        driver: "vfio-pci",
        driverOverride: "vfio-pci",
        numaNode: 1,
        link: link(2.5, 1),
        resetMethods: ["flr", "bus"],
      }),
    ],
    // Proxmox VE's QEMU for VM 101 ("router"), started by qm start in its own scope, the I210 given as hostpci0
    processes: [
      {
        pid: ROUTER_PID,
        comm: "kvm",
        uid: 0,
        cgroup: "/qemu.slice/101.scope",
        startTicks: 31_874,
        opens: [ROUTER_NIC],
        argv: [
          "/usr/bin/kvm",
          "-id",
          "101",
          "-name",
          "router,debug-threads=on",
          "-no-shutdown",
          "-chardev",
          "socket,id=qmp,path=/var/run/qemu-server/101.qmp,server=on,wait=off",
          "-mon",
          "chardev=qmp,mode=control",
          "-pidfile",
          "/var/run/qemu-server/101.pid",
          "-daemonize",
          "-smbios",
          "type=1,uuid=6f1c9d3e-2b7a-4c55-9e1d-8a0b3c4d5e61",
          "-smp",
          "2,sockets=1,cores=2,maxcpus=2",
          "-nodefaults",
          "-vnc",
          "unix:/var/run/qemu-server/101.vnc,password=on",
          "-cpu",
          "host,+kvm_pv_eoi,+kvm_pv_unhalt",
          "-m",
          "2048",
          "-device",
          "pci-bridge,id=pci.1,chassis_nr=1,bus=pci.0,addr=0x1e",
          "-device",
          `vfio-pci,host=${ROUTER_NIC},id=hostpci0,bus=pci.0,addr=0x10`,
          "-drive",
          "file=/dev/pve/vm-101-disk-0,if=none,id=drive-scsi0,format=raw,cache=none,aio=io_uring,detect-zeroes=on",
          "-machine",
          "type=pc+pve0",
        ],
      },
    ],
    network: {
      virtual: [{ kind: "bridge", name: "vmbr0", mac: "ac:1f:6b:2d:4e:10", operstate: "up", lowers: ["eno1"], ipv4: ["10.0.0.5/24"] }],
      defaultV4: { iface: "vmbr0", gateway: "10.0.0.1", metric: 0 },
    },
    storage: {
      holders: [
        { name: "dm-0", kind: "dm", dev: "253:0", dmName: "pve-root", slaves: ["sda3"], sizeBytes: 100_931_731_456 },
        { name: "dm-1", kind: "dm", dev: "253:1", dmName: "pve-swap", slaves: ["sda3"], sizeBytes: 8_589_934_592 },
      ],
      mounts: [{ source: "/dev/mapper/pve-root", mountpoint: "/", fstype: "ext4" }],
      swaps: [{ source: "/dev/dm-1", kind: "partition", sizeKb: 8_388_604, priority: -2 }],
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// iommu-off

function iommuOff(): ScenarioSpec {
  const board = [0x1458, 0x5000] as const; // Gigabyte B460
  const onboard = (address: string, id: readonly [number, number], cls: number, extra: Extra = {}) => fn(address, id, cls, { sub: board, ...extra });
  // Intel I350-T2: SR-IOV capability present, but the BIOS gave it no VFs (sriov_totalvfs 0)
  const i350 = (func: number): PciFunctionSpec =>
    fn(`0000:03:00.${func}`, [INTEL, 0x1521], CLASS.ethernet, {
      parent: "0000:00:1c.0",
      sub: [INTEL, 0x0002],
      revision: 0x01,
      driver: "igb",
      link: link(5, 4, 5, 4),
      acs: true,
      resetMethods: ["flr"],
      sriov: { totalVfs: 0, numVfs: 0, offset: 0x180, stride: 4, vfDevice: 0x1520, vfDriver: "igbvf" },
      netdevs: [nic(`0000:03:00.${func}`, `a0:36:9f:12:34:5${func}`, "down")],
    });
  return {
    name: "iommu-off",
    title: "IOMMU off in the kernel",
    description:
      "Core i5 office desktop with VT-d enabled in the BIOS but not on the kernel command line: no IOMMU groups, no interrupt remapping, and an SR-IOV NIC whose VFs are disabled in firmware.",
    host: {
      hostname: "office-pc",
      kernelRelease: "5.15.0-119-generic",
      cmdline: "BOOT_IMAGE=/boot/vmlinuz-5.15.0-119-generic root=UUID=9f3c1a2b-7d4e-4c1f-a8b2-5e6d7c8f9a01 ro quiet splash",
      cpu: {
        vendor: "GenuineIntel",
        model: "Intel(R) Core(TM) i5-10400 CPU @ 2.90GHz",
        family: 6,
        modelNumber: 165,
        stepping: 3,
        mhz: 2900,
        cacheKb: 12288,
        flags: XEON_FLAGS.filter((f) => !f.startsWith("avx512")),
      },
      iommu: { vendor: "intel", acpiTable: true, enabled: false, interruptRemapping: false },
      driverOverrideUnset: "(null)",
      vfioLoaded: false,
    },
    pci: [
      onboard("0000:00:00.0", [INTEL, 0x9b53], CLASS.hostBridge, { revision: 0x03 }),
      port("0000:00:01.0", [INTEL, 0x1901], "root-port", 0x01, { revision: 0x03, acs: true, link: link(16, 16) }),
      onboard("0000:00:14.0", [INTEL, 0xa3af], CLASS.xhci, { driver: "xhci_hcd" }),
      onboard("0000:00:17.0", [INTEL, 0xa382], CLASS.ahci, { driver: "ahci", sataPorts: 6 }),
      port("0000:00:1b.0", [INTEL, 0xa3e9], "root-port", 0x02, { revision: 0xf0, link: link(8, 4) }),
      port("0000:00:1c.0", [INTEL, 0xa392], "root-port", 0x03, { revision: 0xf0, link: link(5, 4) }),
      onboard("0000:00:1f.0", [INTEL, 0xa3c8], CLASS.isaBridge),
      onboard("0000:00:1f.3", [INTEL, 0xa3f0], CLASS.hdAudio, { driver: "snd_hda_intel" }),
      onboard("0000:00:1f.4", [INTEL, 0xa3a3], CLASS.smbus, { driver: "i801_smbus" }),
      // onboard I219-V: the default route
      onboard("0000:00:1f.6", [INTEL, 0x0d4d], CLASS.ethernet, {
        driver: "e1000e",
        resetMethods: ["flr"],
        netdevs: [{ name: "eno1", mac: "18:c0:4d:8a:9b:0c", operstate: "up", ipv4: ["192.168.0.20/24"] }],
      }),
      // GeForce GTX 1660 SUPER and its audio
      fn("0000:01:00.0", [NVIDIA, 0x21c4], CLASS.vga, { parent: "0000:00:01.0", sub: [0x1458, 0x4014], revision: 0xa1, driver: "nvidia", link: link(16, 16) }),
      fn("0000:01:00.1", [NVIDIA, 0x1aeb], CLASS.hdAudio, {
        parent: "0000:00:01.0",
        sub: [0x1458, 0x4014],
        revision: 0xa1,
        driver: "snd_hda_intel",
        link: link(16, 16),
      }),
      // WD Blue SN570: / and /boot/efi
      fn("0000:02:00.0", [0x15b7, 0x501a], CLASS.nvme, {
        parent: "0000:00:1b.0",
        sub: [0x15b7, 0x501a],
        driver: "nvme",
        link: link(8, 4),
        resetMethods: ["flr", "bus"],
        disks: [
          {
            name: "nvme0n1",
            dev: "259:0",
            sizeBytes: 500_107_862_016,
            model: "WD Blue SN570 500GB",
            partitions: [{ number: 1, sizeBytes: 536_870_912 }, { number: 2 }],
          },
        ],
      }),
      i350(0),
      i350(1),
    ],
    network: { virtual: [], defaultV4: { iface: "eno1", gateway: "192.168.0.1", metric: 100 } },
    storage: {
      holders: [],
      mounts: [
        { source: "/dev/nvme0n1p2", mountpoint: "/", fstype: "ext4" },
        { source: "/dev/nvme0n1p1", mountpoint: "/boot/efi", fstype: "vfat" },
      ],
      swaps: [{ source: "/swapfile", kind: "file", sizeKb: 2_097_148 }],
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// rig

/**
 * The kernel rig's SR-IOV NIC as a demo host (e2e/kernel/topology.mjs): QEMU's igb (82576) behind a root port, with
 * the static facts the guest's 6.1 kernel reports (offset 128, stride 2, 7 VFs, "(null)" driver_override). The
 * rig's differential test runs the same writes on both and compares what sysfs shows after each.
 */
function rig(): ScenarioSpec {
  const qemu = [0x1b36, 0x0000] as const;
  return {
    name: "rig",
    title: "The kernel rig's igb NIC",
    description: "QEMU q35 with an emulated Intel IOMMU and QEMU's igb SR-IOV NIC (7 VFs on igbvf), as the kernel rig's guest shows it.",
    host: {
      hostname: "passdeck-rig",
      kernelRelease: "6.1.0-56-amd64",
      cmdline: "console=ttyS0 intel_iommu=on panic=-1 mitigations=off quiet",
      cpu: { ...XEON_GOLD, model: "QEMU TCG CPU version 2.5+" },
      iommu: { vendor: "intel", acpiTable: true, enabled: true, interruptRemapping: true },
      driverOverrideUnset: "(null)",
      vfioLoaded: true,
    },
    pci: [
      fn("0000:00:00.0", [INTEL, 0x29c0], CLASS.hostBridge, { sub: [0x1af4, 0x1100] }),
      fn("0000:00:02.0", [0x1af4, 0x1041], CLASS.ethernet, {
        sub: [0x1af4, 0x1100],
        revision: 0x01,
        driver: "virtio-pci",
        netdevs: [{ name: "eth0", mac: "52:54:00:d5:7a:01", operstate: "up", ipv4: ["10.0.2.15/24"], ipv6Autoconf: ["fec0::5054:ff:fed5:7a01/64"] }],
      }),
      port("0000:00:03.0", [0x1b36, 0x000c], "root-port", 0x01, { sub: qemu, acs: true, link: link(2.5, 1) }),
      fn("0000:01:00.0", [INTEL, 0x10c9], CLASS.ethernet, {
        parent: "0000:00:03.0",
        sub: [0x1af4, 0x1100],
        revision: 0x01,
        driver: "igb",
        acs: true,
        link: link(2.5, 1),
        resetMethods: ["flr"],
        sriov: { totalVfs: 7, numVfs: 0, offset: 128, stride: 2, vfDevice: 0x10ca, vfDriver: "igbvf", vfNetdevs: true },
        // its link is up on the rig's LAN, which advertises fec0::/64 (QEMU's user network): SLAAC, as the guest shows
        netdevs: [{ name: "eth1", mac: "52:54:00:d5:7a:10", operstate: "up", ipv6Autoconf: ["fec0::5054:ff:fed5:7a10/64"] }],
      }),
    ],
    network: {
      virtual: [],
      defaultV4: { iface: "eth0", gateway: "10.0.2.2", metric: 0 },
      raDefaultsV6: [
        { iface: "eth0", gateway: "fe80::2", metric: 1024 },
        { iface: "eth1", gateway: "fe80::2", metric: 1024 },
      ],
    },
    storage: { holders: [], mounts: [], swaps: [] }, // the rig's root is 9p + overlay: no PCI disk holds it
  };
}

// ---------------------------------------------------------------------------------------------------------------
// amd

function amd(): ScenarioSpec {
  const board = [0x1043, 0x87c0] as const; // ASUS ROG STRIX B550
  const soc = (address: string, id: readonly [number, number], cls: number, extra: Extra = {}) => fn(address, id, cls, { sub: board, ...extra });
  const dummy = (address: string) => soc(address, [AMD, 0x1482], CLASS.hostBridge); // "PCIe Dummy Host Bridge"
  const gpp = (address: string, secondaryBus: number, l: LinkSpec) =>
    port(address, [AMD, 0x1483], "root-port", secondaryBus, { sub: board, acs: true, link: l });
  const chipsetPort = (device: number, secondaryBus: number, l: LinkSpec) =>
    port(`0000:03:${device.toString(16).padStart(2, "0")}.0`, [AMD, 0x43ea], "downstream-port", secondaryBus, { parent: "0000:02:00.2", sub: board, link: l });
  const dataFabric = Array.from({ length: 8 }, (_, i) => soc(`0000:00:18.${i}`, [AMD, 0x1440 + i], CLASS.hostBridge));
  return {
    name: "amd",
    title: "AMD Ryzen with AMD-Vi",
    description:
      "Ryzen 9 5950X on a B550 board: AMD-Vi on by default, the Radeon and its audio in one group, and everything on the B550 chipset (USB, SATA, Wi-Fi, the X550 10GbE, an X520 on a second LAN with only a SLAAC address) in a single group.",
    host: {
      hostname: "ryzen",
      kernelRelease: "6.1.0-27-amd64",
      cmdline: "BOOT_IMAGE=/@/boot/vmlinuz-6.1.0-27-amd64 root=UUID=1b7e4f2a-3c5d-4e6f-8a9b-0c1d2e3f4a5b ro rootflags=subvol=@ quiet iommu=pt",
      cpu: {
        vendor: "AuthenticAMD",
        model: "AMD Ryzen 9 5950X 16-Core Processor",
        family: 25,
        modelNumber: 33,
        stepping: 0,
        mhz: 3400,
        cacheKb: 512,
        flags: AMD_FLAGS,
      },
      iommu: { vendor: "amd", acpiTable: true, enabled: true, interruptRemapping: true, amdIommuFunction: "0000:00:00.2" },
      driverOverrideUnset: "(null)",
      vfioLoaded: true,
    },
    pci: [
      // the root complex and the IOMMU itself are not translated by the IOMMU: no group
      soc("0000:00:00.0", [AMD, 0x1480], CLASS.hostBridge, { behindIommu: false }),
      soc("0000:00:00.2", [AMD, 0x1481], CLASS.iommu, { behindIommu: false }),
      dummy("0000:00:01.0"),
      gpp("0000:00:01.1", 0x01, link(16, 4)),
      gpp("0000:00:01.2", 0x02, link(16, 4)),
      dummy("0000:00:02.0"),
      dummy("0000:00:03.0"),
      gpp("0000:00:03.1", 0x09, link(16, 16)),
      dummy("0000:00:04.0"),
      dummy("0000:00:05.0"),
      dummy("0000:00:07.0"),
      port("0000:00:07.1", [AMD, 0x1484], "root-port", 0x0c, { sub: board, acs: true, link: link(16, 16) }),
      dummy("0000:00:08.0"),
      port("0000:00:08.1", [AMD, 0x1484], "root-port", 0x0d, { sub: board, acs: true, link: link(16, 16) }),
      soc("0000:00:14.0", [AMD, 0x790b], CLASS.smbus, { revision: 0x61, driver: "piix4_smbus" }),
      soc("0000:00:14.3", [AMD, 0x790e], CLASS.isaBridge, { revision: 0x51 }),
      ...dataFabric,
      // Samsung 980 PRO: btrfs / and /home, /boot/efi
      fn("0000:01:00.0", [SAMSUNG, 0xa80a], CLASS.nvme, {
        parent: "0000:00:01.1",
        sub: [SAMSUNG, 0xa801],
        driver: "nvme",
        link: link(16, 4),
        resetMethods: ["flr", "bus"],
        disks: [
          {
            name: "nvme0n1",
            dev: "259:0",
            sizeBytes: 2_000_398_934_016,
            model: "Samsung SSD 980 PRO 2TB",
            partitions: [{ number: 1, sizeBytes: 536_870_912 }, { number: 2 }],
          },
        ],
      }),
      // the B550 chipset: xHCI, SATA and its switch's upstream port are one multifunction device without ACS
      soc("0000:02:00.0", [AMD, 0x43ee], CLASS.xhci, { parent: "0000:00:01.2", driver: "xhci_hcd", link: link(16, 4), resetMethods: ["pm"] }),
      soc("0000:02:00.1", [AMD, 0x43eb], CLASS.ahci, { parent: "0000:00:01.2", driver: "ahci", link: link(16, 4), sataPorts: 6, resetMethods: ["pm"] }),
      port("0000:02:00.2", [AMD, 0x43e9], "upstream-port", 0x03, { parent: "0000:00:01.2", sub: board, link: link(16, 4) }),
      chipsetPort(0x00, 0x04, link(5, 1, 8, 1)),
      chipsetPort(0x04, 0x05, link(8, 4)),
      chipsetPort(0x08, 0x06, link(5, 1, 8, 1)),
      chipsetPort(0x09, 0x07, link(5, 1, 8, 1)),
      chipsetPort(0x0a, 0x08, link(2.5, 1, 8, 1)),
      fn("0000:04:00.0", [INTEL, 0x2723], CLASS.wifi, {
        parent: "0000:03:00.0",
        sub: [INTEL, 0x0084],
        revision: 0x1a,
        driver: "iwlwifi",
        link: link(5, 1),
        resetMethods: ["flr", "bus"],
        netdevs: [{ name: "wlp4s0", mac: "a8:7e:ea:11:22:33", operstate: "down" }],
      }),
      // Intel X550-T1 10GbE: SR-IOV capable (0 VFs), the default route
      fn("0000:05:00.0", [INTEL, 0x1563], CLASS.ethernet, {
        parent: "0000:03:04.0",
        sub: [INTEL, 0x001b],
        revision: 0x01,
        driver: "ixgbe",
        link: link(8, 4),
        resetMethods: ["flr", "bus"],
        sriov: { totalVfs: 63, numVfs: 0, offset: 128, stride: 2, vfDevice: 0x1565, vfDriver: "ixgbevf" },
        netdevs: [{ name: "enp5s0", mac: "b4:96:91:aa:bb:cc", operstate: "up", ipv4: ["192.168.50.2/24"], ipv6: ["2001:db8:50::2/64"] }],
      }),
      fn("0000:06:00.0", [0x10ec, 0x8125], CLASS.ethernet, {
        parent: "0000:03:08.0",
        sub: board,
        revision: 0x05,
        driver: "r8169",
        link: link(5, 1),
        resetMethods: ["bus"],
        netdevs: [nic("0000:06:00.0", "24:4b:fe:01:02:03", "down")],
      }),
      // Intel X520-1 (82599ES) in the chipset's x1 slot, cabled to a second LAN whose router sends IPv6 router
      // advertisements: nobody configured it, yet it is up with a SLAAC address and an RA-learned default route.
      // The host does not depend on it (no socket uses them): a notice to acknowledge, not host-critical.
      fn("0000:07:00.0", [INTEL, 0x10fb], CLASS.ethernet, {
        parent: "0000:03:09.0",
        sub: [INTEL, 0x0006],
        revision: 0x01,
        driver: "ixgbe",
        link: link(5, 1, 5, 8),
        resetMethods: ["flr", "bus"],
        sriov: { totalVfs: 63, numVfs: 0, offset: 128, stride: 2, vfDevice: 0x10ed, vfDriver: "ixgbevf" },
        netdevs: [{ name: "enp7s0", mac: "90:e2:ba:4a:5b:6c", operstate: "up", ipv6Autoconf: ["2001:db8:60:0:92e2:baff:fe4a:5b6c/64"] }],
      }),
      // Radeon RX 6800 XT behind its own switch (upstream 09:00.0, downstream 0a:00.0 with ACS)
      port("0000:09:00.0", [ATI, 0x1478], "upstream-port", 0x0a, { parent: "0000:00:03.1", revision: 0xc1, link: link(16, 16) }),
      port("0000:0a:00.0", [ATI, 0x1479], "downstream-port", 0x0b, { parent: "0000:09:00.0", acs: true, link: link(16, 16) }),
      fn("0000:0b:00.0", [ATI, 0x73bf], CLASS.vga, { parent: "0000:0a:00.0", sub: [0x1da2, 0xe438], revision: 0xc1, driver: "amdgpu", link: link(16, 16) }),
      fn("0000:0b:00.1", [ATI, 0xab28], CLASS.hdAudio, { parent: "0000:0a:00.0", sub: [ATI, 0xab28], driver: "snd_hda_intel", link: link(16, 16) }),
      soc("0000:0c:00.0", [AMD, 0x148a], CLASS.instrumentation, { parent: "0000:00:07.1", link: link(16, 16) }),
      // the CPU's own functions behind 00:08.1: each has ACS, each its own group
      soc("0000:0d:00.0", [AMD, 0x1485], CLASS.instrumentation, { parent: "0000:00:08.1", acs: true, link: link(16, 16) }),
      soc("0000:0d:00.1", [AMD, 0x1486], CLASS.encryption, { parent: "0000:00:08.1", acs: true, driver: "ccp", link: link(16, 16) }),
      soc("0000:0d:00.3", [AMD, 0x149c], CLASS.xhci, { parent: "0000:00:08.1", acs: true, driver: "xhci_hcd", link: link(16, 16), resetMethods: ["flr"] }),
      soc("0000:0d:00.4", [AMD, 0x1487], CLASS.hdAudio, {
        parent: "0000:00:08.1",
        acs: true,
        driver: "snd_hda_intel",
        link: link(16, 16),
        resetMethods: ["flr"],
      }),
    ],
    network: {
      virtual: [],
      defaultV4: { iface: "enp5s0", gateway: "192.168.50.1", metric: 100 },
      defaultV6: { iface: "enp5s0", gateway: "fe80::1", metric: 100 },
      raDefaultsV6: [{ iface: "enp7s0", gateway: "fe80::9ec7:a6ff:fe12:3401", metric: 1024 }],
    },
    storage: {
      holders: [],
      // btrfs: mountinfo shows an anonymous device (0:27), so / maps to nvme0n1 only through its source
      mounts: [
        { source: "/dev/nvme0n1p2", mountpoint: "/", fstype: "btrfs", root: "/@", options: "rw,noatime" },
        { source: "/dev/nvme0n1p2", mountpoint: "/home", fstype: "btrfs", root: "/@home", options: "rw,noatime" },
        { source: "/dev/nvme0n1p1", mountpoint: "/boot/efi", fstype: "vfat" },
      ],
      swaps: [],
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// bench-1000

const BENCH_FUNCTIONS = 1000;

/**
 * A two-socket Xeon with eight PCIe stacks filled to exactly 1,000 functions: four SR-IOV PFs with 128 VFs each
 * (two E810 cards and a dual-port ConnectX-6 Dx whose second PF's VFs spill onto the next bus), NVMe drives behind
 * PCIe switches, Quadro GPUs behind a switch, quad-port NICs, and a final NIC switch sized to hit the count.
 */
function bench1000(): ScenarioSpec {
  const pci: PciFunctionSpec[] = [];
  const board = [0x15d9, 0x1b64] as const;
  let nvmeIndex = 0;

  const add = (f: PciFunctionSpec) => {
    pci.push(f);
    return f.address;
  };
  /** PCIe stack: a root bus with the VT-d/RAS/IOAPIC functions every Xeon stack has; hands out its buses in order. */
  const stack = (rootBus: number, lastBus: number, node: number) => {
    let next = rootBus + 1;
    const bus = (count = 1) => {
      const b = next;
      next += count;
      if (next - 1 > lastBus) throw new Error(`bench-1000: stack ${rootBus.toString(16)} is out of bus numbers`);
      return b;
    };
    for (const [func, id, cls] of [
      [0, 0x2024, CLASS.systemPeripheral],
      [2, 0x2025, CLASS.systemPeripheral],
      [4, 0x2026, CLASS.ioapic],
    ] as const)
      add(fn(addr(0, rootBus, 5, func), [INTEL, id], cls, { revision: 0x04, numaNode: node }));
    let rootPortDevice = 0;
    const rootPort = (l: LinkSpec, secondary: number) =>
      add(port(addr(0, rootBus, rootPortDevice++, 0), [INTEL, 0x2030], "root-port", secondary, { revision: 0x04, numaNode: node, acs: true, link: l }));
    return { bus, rootPort, node };
  };
  type Stack = ReturnType<typeof stack>;

  const e810 = (s: Stack, mac: number) => {
    const b = s.bus();
    const parent = s.rootPort(link(16, 16), b);
    const a = addr(0, b, 0);
    add(
      fn(a, [INTEL, 0x1592], CLASS.ethernet, {
        parent,
        sub: [INTEL, 0x0002],
        revision: 0x02,
        driver: "ice",
        numaNode: s.node,
        link: link(16, 16),
        resetMethods: ["flr"],
        sriov: { totalVfs: 128, numVfs: 128, offset: 8, stride: 1, vfDevice: 0x1889, vfDriver: "vfio-pci" },
        netdevs: [nic(a, `b4:96:91:00:${mac.toString(16).padStart(2, "0")}:00`, "up")],
      }),
    );
  };
  const connectx6 = (s: Stack) => {
    const b = s.bus(2); // PF1's last VFs spill onto b+1, so the port's bus range reserves it
    const parent = s.rootPort(link(16, 16), b);
    for (const func of [0, 1]) {
      const a = addr(0, b, 0, func);
      add(
        fn(a, [MELLANOX, 0x101d], CLASS.ethernet, {
          parent,
          sub: [MELLANOX, 0x0016],
          driver: "mlx5_core",
          numaNode: s.node,
          acs: true,
          link: link(16, 16),
          resetMethods: ["flr"],
          sriov: { totalVfs: 128, numVfs: 128, offset: func === 0 ? 2 : 129, stride: 1, vfDevice: 0x101e, vfDriver: "vfio-pci" },
          netdevs: [nic(a, `0c:42:a1:5e:6f:0${func}`, "up")],
        }),
      );
    }
  };
  /** Root port → switch upstream port → downstream ports with ACS, one device (or none) below each. */
  const pcieSwitch = (s: Stack, ports: number, below: (bus: number, parent: string) => void, empty = 0) => {
    const up = s.bus();
    const parent = s.rootPort(link(16, 16), up);
    const internal = s.bus();
    const upstream = add(port(addr(0, up, 0), [BROADCOM, 0xc010], "upstream-port", internal, { parent, revision: 0xb0, numaNode: s.node, link: link(16, 16) }));
    for (let i = 0; i < ports + empty; i++) {
      const b = s.bus();
      const ds = add(
        port(addr(0, internal, i), [BROADCOM, 0xc010], "downstream-port", b, {
          parent: upstream,
          revision: 0xb0,
          numaNode: s.node,
          acs: true,
          link: link(16, 4),
        }),
      );
      if (i < ports) below(b, ds);
    }
  };
  const nvme = (s: Stack) => (b: number, parent: string) => {
    const n = nvmeIndex++;
    add(
      fn(addr(0, b, 0), [INTEL, 0x0b60], CLASS.nvme, {
        parent,
        sub: [INTEL, 0x8008], // D7-P5510
        driver: "nvme",
        numaNode: s.node,
        link: link(16, 4),
        resetMethods: ["flr", "bus"],
        disks: [
          {
            name: `nvme${n}n1`,
            dev: `259:${n === 0 ? 0 : n + 2}`,
            sizeBytes: 3_840_755_982_336,
            model: "INTEL SSDPF2KX038TZ",
            ...(n === 0
              ? {
                  partitions: [
                    { number: 1, sizeBytes: 536_870_912 },
                    { number: 2, sizeBytes: 3_840_219_111_424 },
                  ],
                }
              : {}),
          },
        ],
      }),
    );
  };
  // Quadro RTX 4000: VGA, HD audio, USB xHCI and USB-C UCSI functions, no ACS between them
  const gpu = (s: Stack, vfio: boolean) => (b: number, parent: string) => {
    const parts: [number, number, number, string][] = [
      [0, 0x1eb1, CLASS.vga, "nvidia"],
      [1, 0x10f8, CLASS.hdAudio, "snd_hda_intel"],
      [2, 0x1ad8, CLASS.xhci, "xhci_hcd"],
      [3, 0x1ad9, CLASS.usbTypeC, "nvidia-gpu"],
    ];
    for (const [func, id, cls, driver] of parts)
      add(
        fn(addr(0, b, 0, func), [NVIDIA, id], cls, {
          parent,
          sub: [NVIDIA, 0x12a0],
          revision: 0xa1,
          driver: vfio ? "vfio-pci" : driver,
          numaNode: s.node,
          link: link(8, 16),
        }),
      );
  };
  // Intel 82580 quad-port (I340-T4): no SR-IOV; the multifunction ACS quirk isolates the ports
  const quadNic = (s: Stack) => (b: number, parent: string) => {
    for (let func = 0; func < 4; func++) {
      const a = addr(0, b, 0, func);
      add(
        fn(a, [INTEL, 0x150e], CLASS.ethernet, {
          parent,
          sub: [INTEL, 0x12a1],
          revision: 0x01,
          driver: "igb",
          numaNode: s.node,
          acs: true,
          link: link(5, 4),
          resetMethods: ["flr"],
          netdevs: [nic(a, `00:1b:21:${hex2(b)}:00:0${func}`, "down")],
        }),
      );
    }
  };
  const direct = (s: Stack, l: LinkSpec, below: (bus: number, parent: string) => void) => {
    const b = s.bus();
    below(b, s.rootPort(l, b));
  };

  // Stack 00: the PCH, the BMC and the management NIC.
  const pch = (address: string, id: readonly [number, number], cls: number, extra: Extra = {}) =>
    add(fn(address, id, cls, { sub: board, revision: 0x09, numaNode: 0, ...extra }));
  pch("0000:00:00.0", [INTEL, 0x2020], CLASS.hostBridge, { revision: 0x07 });
  for (let func = 0; func < 8; func++) pch(addr(0, 0, 4, func), [INTEL, 0x2021], CLASS.systemPeripheral, { revision: 0x07, driver: "ioatdma" });
  for (const [func, id, cls] of [
    [0, 0x2024, CLASS.systemPeripheral],
    [2, 0x2025, CLASS.systemPeripheral],
    [4, 0x2026, CLASS.ioapic],
  ] as const)
    pch(addr(0, 0, 5, func), [INTEL, id], cls, { revision: 0x07 });
  pch("0000:00:14.0", [INTEL, 0xa1af], CLASS.xhci, { driver: "xhci_hcd" });
  pch("0000:00:14.2", [INTEL, 0xa1b1], CLASS.signalProcessing, { driver: "intel_pch_thermal" });
  pch("0000:00:16.0", [INTEL, 0xa1ba], CLASS.commController, { driver: "mei_me" });
  pch("0000:00:17.0", [INTEL, 0xa182], CLASS.ahci, { driver: "ahci", sataPorts: 8 });
  pch("0000:00:1c.0", [INTEL, 0xa190], CLASS.pciBridge, {
    bridge: "root-port",
    secondaryBus: 0x01,
    driver: "pcieport",
    acs: true,
    link: link(5, 1),
    revision: 0xf9,
  });
  pch("0000:00:1c.4", [INTEL, 0xa194], CLASS.pciBridge, {
    bridge: "root-port",
    secondaryBus: 0x03,
    driver: "pcieport",
    acs: true,
    link: link(2.5, 1),
    revision: 0xf9,
  });
  for (const [func, id, cls] of [
    [0, 0xa1c2, CLASS.isaBridge],
    [2, 0xa1a1, CLASS.memoryController],
    [4, 0xa1a3, CLASS.smbus],
    [5, 0xa1a4, CLASS.serialBus],
  ] as const)
    pch(addr(0, 0, 0x1f, func), [INTEL, id], cls, func === 4 ? { driver: "i801_smbus" } : {});
  add(port("0000:01:00.0", [ASPEED, 0x1150], "pcie-to-pci", 0x02, { parent: "0000:00:1c.0", revision: 0x04, numaNode: 0, link: link(5, 1) }));
  add(
    fn("0000:02:00.0", [ASPEED, 0x2000], CLASS.vga, {
      parent: "0000:01:00.0",
      sub: board,
      revision: 0x41,
      driver: "ast",
      numaNode: 0,
      resetMethods: ["pm", "bus"],
    }),
  );
  add(
    fn("0000:03:00.0", [INTEL, 0x1533], CLASS.ethernet, {
      parent: "0000:00:1c.4",
      sub: board,
      revision: 0x03,
      driver: "igb",
      numaNode: 0,
      link: link(2.5, 1),
      resetMethods: ["flr", "bus"],
      netdevs: [{ name: "eno1", mac: "ac:1f:6b:90:00:01", operstate: "up", ipv4: ["10.20.0.10/16"] }],
    }),
  );

  const s17 = stack(0x17, 0x39, 0);
  e810(s17, 1);
  pcieSwitch(s17, 24, nvme(s17));
  direct(s17, link(5, 4, 8, 4), quadNic(s17));
  direct(s17, link(5, 4, 8, 4), quadNic(s17));

  const s3a = stack(0x3a, 0x5c, 0);
  connectx6(s3a);
  pcieSwitch(s3a, 8, gpu(s3a, true));
  direct(s3a, link(5, 4, 8, 4), quadNic(s3a));
  direct(s3a, link(5, 4, 8, 4), quadNic(s3a));

  const s5d = stack(0x5d, 0x7f, 0);
  pcieSwitch(s5d, 24, nvme(s5d));
  for (let i = 0; i < 3; i++) direct(s5d, link(5, 4, 8, 4), quadNic(s5d));

  stack(0x80, 0x84, 1); // socket 1's DMI stack: only its VT-d/RAS functions

  const s85 = stack(0x85, 0xad, 1);
  e810(s85, 2);
  pcieSwitch(s85, 24, nvme(s85));
  direct(s85, link(5, 4, 8, 4), quadNic(s85));
  direct(s85, link(5, 4, 8, 4), quadNic(s85));

  const sae = stack(0xae, 0xd6, 1);
  pcieSwitch(sae, 8, gpu(sae, false));
  pcieSwitch(sae, 24, nvme(sae));

  // The last stack: the stack functions, then a NIC switch whose size brings the total to exactly 1,000:
  // root port + upstream port + k × (downstream port + 4 NIC functions) + r empty downstream ports.
  const vfs = () => pci.reduce((n, f) => n + (f.sriov?.numVfs ?? 0), 0);
  const sd7 = stack(0xd7, 0xff, 1);
  const remaining = BENCH_FUNCTIONS - pci.length - vfs() - 2;
  pcieSwitch(sd7, Math.floor(remaining / 5), quadNic(sd7), remaining % 5);
  if (pci.length + vfs() !== BENCH_FUNCTIONS) throw new Error(`bench-1000 has ${pci.length + vfs()} functions`);
  return {
    name: "bench-1000",
    title: "1,000-function benchmark host",
    description:
      "Two-socket Xeon with exactly 1,000 PCI functions: four SR-IOV PFs with 128 VFs each on vfio-pci, 120 NVMe drives and 16 GPUs behind PCIe switches, and rows of quad-port NICs.",
    host: {
      hostname: "bench-1000",
      kernelRelease: "6.8.12-4-pve",
      cmdline: "BOOT_IMAGE=/boot/vmlinuz-6.8.12-4-pve root=/dev/nvme0n1p2 ro quiet intel_iommu=on iommu=pt",
      cpu: XEON_GOLD,
      iommu: { vendor: "intel", acpiTable: true, enabled: true, interruptRemapping: true },
      driverOverrideUnset: "",
      vfioLoaded: true,
    },
    pci,
    network: { virtual: [], defaultV4: { iface: "eno1", gateway: "10.20.0.1", metric: 0 } },
    storage: {
      holders: [],
      mounts: [
        { source: "/dev/nvme0n1p2", mountpoint: "/", fstype: "ext4" },
        { source: "/dev/nvme0n1p1", mountpoint: "/boot/efi", fstype: "vfat" },
      ],
      swaps: [],
    },
  };
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}
