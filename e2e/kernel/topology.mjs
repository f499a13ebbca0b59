// The kernel rig's emulated machine, as data. The QEMU command line is generated from it (qemuDeviceArgs), and the
// tests find devices and check the expected IOMMU groups from it (resolveAddress, expectedGroups), so a later issue
// adds a device or a group by adding an entry here, never by copying command-line fragments.
//
// A device: { id, kind, bus, addr, props?, expect? }
//   id     unique; also the QEMU device id, so other devices can name it as their `bus`
//   kind   a key of KINDS below (what QEMU device it becomes and what it is for)
//   bus    "pcie.0" (the q35 root complex) or the id of the port/bridge it sits below
//   addr   "dev" or "dev.fn" on that bus, hex like QEMU's addr= ("4", "0.1", "1"); fixes the guest PCI address
//   props  extra QEMU properties (strings/numbers/booleans), appended as key=value
//   expect what the tests check on this device (vendorId/deviceId, totalVfs, driver, vfDriver, hostCritical)

/** @typedef {string | number | boolean} PropValue */
/**
 * @typedef {object} TopologyDevice
 * @property {string} id
 * @property {string} kind
 * @property {string} [bus]
 * @property {string} [addr]
 * @property {Record<string, PropValue>} [props]
 * @property {{ vendorId?: string; deviceId?: string; driver?: string; totalVfs?: number; vfDriver?: string; hostCritical?: RegExp }} [expect]
 */
/**
 * @typedef {object} ExpectedGroup
 * @property {string} name
 * @property {string[]} members
 * @property {"isolated" | "shared" | "host-critical" | "pf-with-vfs"} verdict
 * @property {RegExp} [reason]
 */
/** @typedef {{ driver: string | null; role: string; pci?: boolean }} Kind */

/** The NIC that carries the rig's user-mode network; the guest finds it by this MAC (names are not stable). */
export const FORWARD_MAC = "52:54:00:d5:7a:01";
/** Ports inside the guest: Passdeck's production server and the test-only control agent. */
export const GUEST_SERVER_PORT = 7878;
export const GUEST_AGENT_PORT = 7879;
/** NICs on a LAN of their own (kind "nic" with a MAC): the guest brings their links up, as a host's cabled NIC. */
export const lanMacs = () => devices.filter((d) => d.kind === "nic" && d.props?.mac).map((d) => String(d.props?.mac));

/** Guest network as QEMU user networking expects it. */
export const GUEST_NET = { address: "10.0.2.15/24", gateway: "10.0.2.2" };

/** Machine-level settings. The IOMMU must be the first -device, before any PCI device. */
export const machine = {
  type: "q35",
  memoryMiB: 1024,
  cpus: 2,
  iommu: { driver: "intel-iommu", props: { intremap: "on", "caching-mode": "on" } },
  // no_timer_check: under TCG on a busy host the kernel's early check that the timer interrupt arrives through the
  // interrupt-remapped IO-APIC can run out of time and panic ("timer doesn't work through Interrupt-remapped
  // IO-APIC", seen here with the host's load at 6 on 2 cores); the check only verifies the emulator's timer wiring.
  kernelParams: ["console=ttyS0", "intel_iommu=on", "panic=-1", "mitigations=off", "no_timer_check"],
};

/**
 * Device kinds: the QEMU driver and how the entry becomes -device arguments.
 * @type {Record<string, Kind>}
 */
export const KINDS = {
  "root-port": { driver: "pcie-root-port", role: "PCIe root port (exposes ACS unless disable-acs=on)" },
  "pcie-pci-bridge": { driver: "pcie-pci-bridge", role: "PCIe-to-PCI bridge (conventional PCI bus behind it)" },
  "switch-upstream": { driver: "x3130-upstream", role: "PCIe switch upstream port" },
  "switch-downstream": { driver: "xio3130-downstream", role: "PCIe switch downstream port (no ACS capability)" },
  nic: { driver: null, role: "NIC (props.model is the QEMU device); no network behind it unless forwarded" },
  "forwarded-nic": { driver: "virtio-net-pci", role: "virtio NIC on user networking with the host port forwards" },
  "nvme-subsys": { driver: "nvme-subsys", role: "NVMe subsystem (not a PCI device)", pci: false },
  nvme: { driver: "nvme", role: "NVMe controller" },
  endpoint: { driver: null, role: "any other PCI endpoint (props.model is the QEMU device)" },
  "virtio-9p": { driver: "virtio-9p-pci", role: "a host directory in the guest: the root filesystem (read-only) or Passdeck's data directory" },
};

/** @type {TopologyDevice[]} */
export const devices = [
  // Rig plumbing on the root complex.
  { id: "rootfs", kind: "virtio-9p", bus: "pcie.0", addr: "1", props: { fsdev: "rootfs", mount_tag: "root" } },
  // /var/lib/passdeck, kept on the host across guest boots: the reboot test needs the same data directory.
  { id: "datafs", kind: "virtio-9p", bus: "pcie.0", addr: "9", props: { fsdev: "datafs", mount_tag: "passdeck-data" } },
  {
    id: "fwd",
    kind: "forwarded-nic",
    bus: "pcie.0",
    addr: "2",
    props: { mac: FORWARD_MAC },
    expect: { vendorId: "1af4", driver: "virtio-pci", hostCritical: /default (IPv4 |IPv6 )?route/ },
  },

  // SR-IOV NIC: igb (82576), 7 VFs driven by igbvf, each VF in its own group.
  { id: "rp_igb", kind: "root-port", bus: "pcie.0", addr: "3", props: { chassis: 1, slot: 1 } },
  {
    id: "igb",
    kind: "nic",
    bus: "rp_igb",
    addr: "0",
    props: { model: "igb", mac: "52:54:00:d5:7a:10" },
    expect: { vendorId: "8086", deviceId: "10c9", driver: "igb", totalVfs: 7, vfDriver: "igbvf" },
  },

  // SR-IOV NVMe: the PF needs a subsystem; VFs stay unprobed by nvme until `nvme virt-mgmt` (fine).
  { id: "nvme_subsys_sriov", kind: "nvme-subsys", props: { nqn: "passdeck-rig-sriov" } },
  { id: "rp_nvme", kind: "root-port", bus: "pcie.0", addr: "4", props: { chassis: 2, slot: 2 } },
  {
    id: "nvme_sriov",
    kind: "nvme",
    bus: "rp_nvme",
    addr: "0",
    props: {
      serial: "pdrigsriov",
      subsys: "nvme_subsys_sriov",
      sriov_max_vfs: 4,
      sriov_vq_flexible: 8,
      sriov_vi_flexible: 4,
      max_ioqpairs: 12,
      msix_qsize: 12,
    },
    expect: { vendorId: "1b36", deviceId: "0010", driver: "nvme", totalVfs: 4 },
  },

  // Conventional PCI behind a PCIe-to-PCI bridge: bridge and everything behind it share one group.
  { id: "rp_bridge", kind: "root-port", bus: "pcie.0", addr: "5", props: { chassis: 3, slot: 3 } },
  { id: "pcibridge", kind: "pcie-pci-bridge", bus: "rp_bridge", addr: "0" },
  {
    id: "e1000",
    kind: "nic",
    bus: "pcibridge",
    addr: "1",
    props: { model: "e1000", mac: "52:54:00:d5:7a:20" },
    expect: { vendorId: "8086", deviceId: "100e" },
  },
  { id: "testdev", kind: "endpoint", bus: "pcibridge", addr: "2", props: { model: "pci-testdev" }, expect: { vendorId: "1b36", deviceId: "0005" } },

  // A multifunction endpoint without ACS between its functions (like a GPU and its HDMI audio).
  { id: "rp_gpu", kind: "root-port", bus: "pcie.0", addr: "6", props: { chassis: 4, slot: 4 } },
  {
    id: "gpu",
    kind: "endpoint",
    bus: "rp_gpu",
    addr: "0.0",
    props: { model: "bochs-display", multifunction: "on" },
    expect: { vendorId: "1234", deviceId: "1111" },
  },
  { id: "gpu_audio", kind: "endpoint", bus: "rp_gpu", addr: "0.1", props: { model: "intel-hda" }, expect: { vendorId: "8086", deviceId: "2668" } },

  // A root port without ACS: it shares its group with the device below it.
  { id: "rp_noacs", kind: "root-port", bus: "pcie.0", addr: "7", props: { chassis: 5, slot: 5, "disable-acs": "on" } },
  {
    id: "e1000e",
    kind: "nic",
    bus: "rp_noacs",
    addr: "0",
    props: { model: "e1000e", mac: "52:54:00:d5:7a:30" },
    expect: { vendorId: "8086", deviceId: "10d3" },
  },

  // A PCIe switch: its downstream ports have no ACS, so each shares a group with its device.
  { id: "rp_switch", kind: "root-port", bus: "pcie.0", addr: "8", props: { chassis: 6, slot: 6 } },
  { id: "sw_up", kind: "switch-upstream", bus: "rp_switch", addr: "0" },
  { id: "sw_down0", kind: "switch-downstream", bus: "sw_up", addr: "0", props: { chassis: 7, slot: 0 } },
  { id: "sw_down1", kind: "switch-downstream", bus: "sw_up", addr: "1", props: { chassis: 7, slot: 1 } },
  { id: "nvme_sw", kind: "nvme", bus: "sw_down0", addr: "0", props: { serial: "pdrigswitch" }, expect: { vendorId: "1b36", deviceId: "0010", driver: "nvme" } },
  // A PCIe endpoint (qemu-xhci): a conventional PCI device (QEMU's edu) below a downstream port is something real
  // hardware does not have, and Passdeck then (reasonably) reads the port as a PCIe-to-PCI bridge.
  {
    id: "xhci",
    kind: "endpoint",
    bus: "sw_down1",
    addr: "0",
    props: { model: "qemu-xhci" },
    expect: { vendorId: "1b36", deviceId: "000d", driver: "xhci_hcd" },
  },
];

/**
 * The groups the guest kernel must form for each real reason, with Passdeck's verdict and the words of its reason.
 * members: device ids that must be exactly the group's members (the group is found by its first member).
 * @type {ExpectedGroup[]}
 */
export const expectedGroups = [
  { name: "conventional PCI behind a PCIe-to-PCI bridge", members: ["pcibridge", "e1000", "testdev"], verdict: "shared", reason: /PCIe-to-PCI bridge/ },
  { name: "multifunction display + audio", members: ["gpu", "gpu_audio"], verdict: "shared", reason: /multifunction/ },
  // One endpoint with its port: passable alone (the port stays on pcieport), but the port is in the group because it lacks ACS.
  {
    name: "root port with disable-acs=on and its device",
    members: ["rp_noacs", "e1000e"],
    verdict: "isolated",
    reason: /root port\) does not isolate .*lacks ACS/,
  },
  {
    name: "switch downstream port 0 and its NVMe",
    members: ["sw_down0", "nvme_sw"],
    verdict: "isolated",
    reason: /switch downstream port\) does not isolate .*lacks ACS/,
  },
  {
    name: "switch downstream port 1 and its USB controller",
    members: ["sw_down1", "xhci"],
    verdict: "isolated",
    reason: /switch downstream port\) does not isolate .*lacks ACS/,
  },
  { name: "igb SR-IOV PF alone", members: ["igb"], verdict: "isolated" },
  { name: "NVMe SR-IOV PF alone", members: ["nvme_sriov"], verdict: "isolated" },
];

/** @param {string | undefined} id */
function byId(id) {
  const d = devices.find((x) => x.id === id);
  if (!d) throw new Error(`topology: no device "${id}"`);
  return d;
}

/** @param {PropValue} value */
function formatProp(value) {
  if (value === true) return "on";
  if (value === false) return "off";
  return String(value);
}

/**
 * "3" -> {dev:3, fn:0}; "0.1" -> {dev:0, fn:1}
 * @param {string | undefined} addr
 * @returns {{ dev: number; fn: number }}
 */
export function parseAddr(addr) {
  const [dev = "", fn = "0"] = String(addr).split(".");
  return { dev: parseInt(dev, 16), fn: parseInt(fn, 16) };
}

/** @param {string | undefined} addr */
function qemuAddr(addr) {
  const { dev, fn } = parseAddr(addr);
  return fn ? `0x${dev.toString(16)}.0x${fn.toString(16)}` : `0x${dev.toString(16)}`;
}

/**
 * QEMU arguments for the machine and every device.
 * @param {{serverHostPort:number, agentHostPort:number, dataDir:string}} ports host-side ports (127.0.0.1) forwarded to the guest, and the host directory the guest mounts as /var/lib/passdeck
 * @returns {string[]}
 */
export function qemuDeviceArgs({ serverHostPort, agentHostPort, dataDir }) {
  const ids = new Set();
  for (const d of devices) {
    if (ids.has(d.id)) throw new Error(`topology: duplicate id "${d.id}"`);
    ids.add(d.id);
    if (!KINDS[d.kind]) throw new Error(`topology: ${d.id} has unknown kind "${d.kind}"`);
    if (d.bus && d.bus !== "pcie.0") byId(d.bus);
  }

  const args = ["-machine", `${machine.type}`, "-m", String(machine.memoryMiB), "-smp", String(machine.cpus)];
  args.push("-device", [machine.iommu.driver, ...Object.entries(machine.iommu.props).map(([k, v]) => `${k}=${formatProp(v)}`)].join(","));
  args.push("-fsdev", "local,id=rootfs,path=/,security_model=none,readonly=on,multidevs=remap");
  if (/[,\s]/.test(dataDir)) throw new Error(`topology: the data directory path cannot hold commas or spaces: ${dataDir}`);
  args.push("-fsdev", `local,id=datafs,path=${dataDir},security_model=none`);

  for (const d of devices) {
    const kind = /** @type {Kind} */ (KINDS[d.kind]); // checked above
    const props = { ...(d.props ?? {}) };
    /** @type {PropValue | null | undefined} */
    let driver = kind.driver;
    if (!driver) {
      driver = props.model;
      delete props.model;
      if (!driver) throw new Error(`topology: ${d.id} (${d.kind}) needs props.model`);
    }
    if (d.kind === "nic" || d.kind === "forwarded-nic") {
      props.romfile = "";
      if (d.kind === "forwarded-nic") {
        args.push(
          "-netdev",
          `user,id=net_${d.id},restrict=on,hostfwd=tcp:127.0.0.1:${serverHostPort}-:${GUEST_SERVER_PORT},hostfwd=tcp:127.0.0.1:${agentHostPort}-:${GUEST_AGENT_PORT}`,
        );
        props.netdev = `net_${d.id}`;
      } else {
        // A NIC needs a peer: a restricted user network (no way out, no forwards) that otherwise behaves like a LAN,
        // IPv6 router advertisements included, so the guest's NIC gets the SLAAC address and the RA default route a
        // real host's cabled NIC gets (issue 15: Passdeck must not mistake them for what the host depends on).
        args.push("-netdev", `user,id=net_${d.id},restrict=on`);
        props.netdev = `net_${d.id}`;
      }
    }
    const parts = [driver, `id=${d.id}`];
    if (kind.pci !== false) parts.push(`bus=${d.bus}`, `addr=${qemuAddr(d.addr)}`);
    for (const [k, v] of Object.entries(props)) parts.push(`${k}=${formatProp(v)}`);
    args.push("-device", parts.join(","));
  }
  return args;
}

/**
 * The guest PCI address of a topology device, found in an inventory's devices (address + parentChain) by its
 * dev.fn path from the root complex: bus numbers are assigned by the guest, dev.fn are fixed by the topology.
 * @param {{address:string, parentChain:string[]}[]} inventoryDevices
 * @param {string} id
 * @returns {string}
 */
export function resolveAddress(inventoryDevices, id) {
  /** @type {{ dev: number; fn: number }[]} */
  const path = [];
  for (let d = byId(id); ; d = byId(d.bus)) {
    if (/** @type {Kind} */ (KINDS[d.kind]).pci === false) throw new Error(`topology: ${id} is not a PCI device`);
    path.unshift(parseAddr(d.addr));
    if (d.bus === "pcie.0") break;
  }
  /** @param {string} address */
  const devfn = (address) => {
    const m = /^[0-9a-f]{4}:[0-9a-f]{2}:([0-9a-f]{2})\.([0-7])$/.exec(address);
    return m ? { dev: parseInt(m[1] ?? "", 16), fn: parseInt(m[2] ?? "", 16) } : null;
  };
  const matches = inventoryDevices.filter((dev) => {
    const chain = [...dev.parentChain, dev.address];
    if (chain.length !== path.length || !chain[0]?.startsWith("0000:00:")) return false;
    return chain.every((a, i) => {
      const x = devfn(a);
      return x !== null && x.dev === path[i]?.dev && x.fn === path[i]?.fn;
    });
  });
  const [match] = matches;
  if (matches.length !== 1 || !match) throw new Error(`topology: ${id} matched ${matches.length} guest devices`);
  return match.address;
}
