/**
 * Plans that give a device to a VM or take it back, through libvirt: the persistent config always (when the VM has
 * one) and the running VM too when it runs, each its own verified step with its inverse. A network VF goes in as
 * `<interface type='hostdev' managed='yes'>` with its MAC and VLAN, so libvirt sets them through the PF at start
 * and restores them on release; anything else as `<hostdev type='pci'>`.
 */
import { createHash } from "node:crypto";
import { parsePciAddress, slotOf } from "@/lib/pci-address";
import { describeGuestDevice, type DomainRef, type GuestDevice, type PlannedStep } from "@/server/executor/plan";
import type { Inventory, PciDevice } from "@/server/host/types";
import type { Domain } from "@/server/libvirt/domains";
import type { DomainDefinition } from "@/server/libvirt/domain-xml";
import { buildGuestDeviceXml } from "@/server/libvirt/hostdev-xml";
import { LibvirtXmlError } from "@/server/libvirt/xml";
import { describeHold } from "@/lib/holds";
import { finish, groupHolds, noticeRefusal, type Overrides, type PlanOutcome, type Refusal } from "./planner";
import type { PoolRow } from "./pools";

export interface AttachRequest {
  /** the domain's UUID or name */
  domain: string;
  address: string;
  /** default: "interface" for a VF of a network PF, "hostdev" otherwise */
  as?: "hostdev" | "interface";
  mac?: string;
  vlan?: number;
  /** hostdev only: default true */
  managed?: boolean;
  rom?: { bar?: "on" | "off"; file?: string };
  /** which definitions: default both that exist (config when persistent, live when running) */
  live?: boolean;
  config?: boolean;
  /**
   * Every function of the device's slot (a GPU and its audio function) as one multifunction device in the guest, as
   * Proxmox's "All Functions". Persistent config only: libvirt cannot hot-plug several functions as one device.
   */
  allFunctions?: boolean;
  /** with allFunctions: behind a new PCIe root port ("pcie", q35's default) or on the root bus ("pci") */
  placement?: "pcie" | "pci";
}

export interface DetachRequest {
  domain: string;
  /** the host function */
  address: string;
  live?: boolean;
  config?: boolean;
}

/** An interface on a VF pool has no host function of its own (libvirt chose the VF): it is named by its MAC. */
export interface PoolDetachRequest {
  domain: string;
  mac: string;
  live?: boolean | undefined;
  config?: boolean | undefined;
}

export interface PoolAttachRequest {
  domain: string;
  /** the VF pool (libvirt hostdev network) */
  pool: string;
  mac?: string;
  vlan?: number;
  live?: boolean;
  config?: boolean;
}

/** One definition's change, for the review: the device XML added or removed. */
export interface XmlChange {
  domain: string;
  target: "live" | "config";
  op: "add" | "remove";
  xml: string;
}

export interface VmPlan {
  outcome: PlanOutcome;
  xmlChanges: XmlChange[];
}

const refused = (code: string, reason: string): VmPlan => ({ outcome: { kind: "refused", refusals: [{ code, reason, override: null }] }, xmlChanges: [] });

export function findDomain(domains: Domain[], key: string): Domain | null {
  return domains.find((d) => d.uuid === key) ?? domains.find((d) => d.name === key) ?? null;
}

/** A VF whose PF has a network interface: libvirt can set its MAC/VLAN. */
export function isNetworkVf(inv: Inventory, d: PciDevice): boolean {
  if (!d.physfn) return false;
  const pf = inv.devices.find((x) => x.address === d.physfn);
  return (pf?.netdevs.length ?? 0) > 0 || d.classId.startsWith("02");
}

/**
 * libvirt would invent a MAC and the undo (detach) needs to name it, so Passdeck picks one: QEMU's 52:54:00 prefix
 * and three bytes from the VM and the device, the same on every re-plan (the apply re-plans and compares).
 */
export function defaultGuestMac(domainUuid: string, address: string): string {
  const h = createHash("sha256").update(`${domainUuid}/${address}`).digest();
  return ["52", "54", "00", ...[...h.subarray(0, 3)].map((b) => b.toString(16).padStart(2, "0"))].join(":");
}

/** The steps that attach `device` to the domain's chosen definitions (config first: it survives a failed live attach's undo). */
export function attachSteps(domain: Domain, device: GuestDevice, targets: ("live" | "config")[]): { steps: PlannedStep[]; xmlChanges: XmlChange[] } {
  const ref: DomainRef = { uuid: domain.uuid, name: domain.name };
  const xml = buildGuestDeviceXml(device);
  const ordered = (["config", "live"] as const).filter((t) => targets.includes(t));
  return {
    steps: ordered.map((target) => ({
      step: { kind: "attach-device", domain: ref, device, target },
      summary: `Give ${describeGuestDevice(device)} to ${domain.name} (${target === "live" ? "the running VM" : "its persistent config"})`,
      inverse: { kind: "detach-device", domain: ref, device, target },
    })),
    xmlChanges: ordered.map((target) => ({ domain: domain.name, target, op: "add", xml })),
  };
}

function targetsFor(domain: Domain, live: boolean | undefined, config: boolean | undefined): ("live" | "config")[] | string {
  const out: ("live" | "config")[] = [];
  if (config ?? domain.persistent) {
    if (!domain.persistent) return `${domain.name} is transient (no persistent config): attach to the running VM only (--live)`;
    out.push("config");
  }
  if (live ?? domain.active) {
    if (!domain.active) return `${domain.name} is not running: a live change needs a running VM; use the persistent config (--config)`;
    out.push("live");
  }
  return out.length > 0 ? out : "neither the running VM nor the persistent config was chosen";
}

/** Problems of giving this device to a VM that the host's own state shows (the in-use map adds the VM side). */
function deviceProblems(inv: Inventory, d: PciDevice, device: GuestDevice, goingTogether: string[] = []): Refusal[] {
  const problems: Refusal[] = [];
  if (d.hostCritical.length > 0)
    problems.push({ code: "host-critical", reason: `${d.address} is host-critical: ${d.hostCritical.join("; ")}`, override: "force" });
  const notice = noticeRefusal(d);
  if (notice) problems.push(notice);
  if (d.bridge) problems.push({ code: "bridge", reason: `${d.address} is a PCI bridge or port: bridges stay with the host`, override: null });
  const group = inv.groups.find((g) => g.id === d.iommuGroup);
  if (d.iommuGroup === null || !group)
    problems.push({ code: "no-iommu-group", reason: `${d.address} is in no IOMMU group: the IOMMU is off, so no VM can take it`, override: null });
  else {
    const blockers = group.endpoints
      .filter((a) => a !== d.address && !goingTogether.includes(a))
      .map((a) => inv.devices.find((x) => x.address === a))
      .filter((x): x is PciDevice => !!x && x.driver !== null && x.driver !== "vfio-pci" && x.driver !== "pci-stub");
    if (blockers.length > 0)
      problems.push({
        code: "group-not-viable",
        reason: `IOMMU group ${group.id} also has ${blockers.map((b) => `${b.address} (${b.driver})`).join(", ")}: the VM will not start until every device of the group is on vfio-pci or has no driver`,
        override: "confirm",
      });
  }
  const managed = device.type === "hostdev" ? device.managed : true;
  if (!managed && d.driver !== "vfio-pci")
    problems.push({
      code: "unmanaged-not-on-vfio",
      reason: `${d.address} is on ${d.driver ?? "no driver"}, not vfio-pci, and is attached unmanaged: libvirt will not move it, so the VM will not start until it is bound to vfio-pci`,
      override: "confirm",
    });
  return problems;
}

/**
 * libvirt sets a VF interface's MAC/VLAN through its PF and refuses to start the VM while the PF is down
 * ("Unable to configure VF … because the PF is not online"); operstate cannot tell admin-down from no carrier.
 */
export function pfDownWarning(inv: Inventory, pfAddress: string): Refusal | null {
  const netdev = inv.devices.find((x) => x.address === pfAddress)?.netdevs[0];
  if (netdev?.operstate !== "down") return null;
  return {
    code: "pf-down",
    reason: `${netdev.name} (the PF of this VF) is down: libvirt refuses to start a VM with a VF interface while its PF is not up (ip link set ${netdev.name} up); if it is up without a cable, this does not matter`,
    override: "confirm",
  };
}

export function planAttach(inv: Inventory, domains: Domain[], req: AttachRequest, o: Overrides = {}): VmPlan {
  const parsed = parsePciAddress(req.address);
  if (!parsed.ok) return refused("bad-address", parsed.error);
  const d = inv.devices.find((x) => x.address === parsed.address);
  if (!d) return refused("no-such-device", `${parsed.address} is not a PCI device on this host`);
  const domain = findDomain(domains, req.domain);
  if (!domain) return refused("no-such-domain", `there is no VM ${JSON.stringify(req.domain)} in libvirt: passdeck vm list shows the VMs`);
  const targets = targetsFor(domain, req.live, req.config);
  if (typeof targets === "string") return refused("bad-target", targets);

  if (req.allFunctions) return planAllFunctions(inv, domain, d, req, o);
  const as = req.as ?? (isNetworkVf(inv, d) ? "interface" : "hostdev");
  if (as === "interface" && !d.physfn)
    return refused(
      "not-a-vf",
      `${d.address} is not an SR-IOV VF: only a VF can be a network interface whose MAC and VLAN libvirt sets through its PF; attach it as a PCI hostdev`,
    );
  if (as === "hostdev" && (req.mac !== undefined || req.vlan !== undefined))
    return refused("mac-needs-interface", "a MAC or VLAN is set through the PF, so it needs the VF attached as a network interface (as: interface)");
  const device: GuestDevice =
    as === "interface"
      ? {
          type: "interface",
          address: d.address,
          mac: req.mac ?? defaultGuestMac(domain.uuid, d.address),
          ...(req.vlan !== undefined ? { vlan: req.vlan } : {}),
        }
      : { type: "hostdev", address: d.address, managed: req.managed ?? true, ...(req.rom ? { rom: req.rom } : {}) };
  try {
    buildGuestDeviceXml(device);
  } catch (err) {
    if (err instanceof LibvirtXmlError) return refused("bad-device", err.message);
    throw err;
  }
  const problems = deviceProblems(inv, d, device);
  // held by another process than this VM's own QEMU: the kernel gives a device (its IOMMU group) to one user
  const others = groupHolds(inv, d).filter((h) => !h.hold.holders.some((x) => x.guest && (x.guest.name === domain.name || x.guest.uuid === domain.uuid)));
  if (others.length > 0)
    problems.push({
      code: "held",
      reason: `${others.map((h) => `${h.address} is ${describeHold(h.hold)}`).join("; ")}: a device (its IOMMU group) belongs to one VM or process at a time; stop or detach it there first`,
      override: null,
    });
  const pfDown = device.type === "interface" && d.physfn ? pfDownWarning(inv, d.physfn) : null;
  if (pfDown) problems.push(pfDown);
  const already = targets.filter(
    (t) =>
      (t === "live" ? domain.live : domain.config)?.hostdevs.some((h) => h.address === d.address) === true ||
      (t === "live" ? domain.live : domain.config)?.hostdevInterfaces.some((i) => i.address === d.address) === true,
  );
  if (already.length === targets.length) return { outcome: { kind: "nothing-to-do", reason: `${domain.name} already has ${d.address}` }, xmlChanges: [] };
  const { steps, xmlChanges } = attachSteps(
    domain,
    device,
    targets.filter((t) => !already.includes(t)),
  );
  return { outcome: finish(`Give ${d.address} to ${domain.name}`, steps, problems, o), xmlChanges };
}

/** First free slot on the guest's root bus (0 is the host bridge, 0x1f the ICH9 functions on q35). */
function freeRootSlot(def: DomainDefinition): number | null {
  for (let slot = 2; slot < 0x1f; slot++) if (!def.bus0Slots.includes(slot)) return slot;
  return null;
}

function planAllFunctions(inv: Inventory, domain: Domain, d: PciDevice, req: AttachRequest, o: Overrides): VmPlan {
  const slot = slotOf(d.address);
  const functions = inv.devices.filter((x) => slotOf(x.address) === slot && !x.bridge).sort((a, b) => a.address.localeCompare(b.address));
  if (req.as === "interface" || req.mac !== undefined || req.vlan !== undefined)
    return refused("all-functions-hostdev", "all functions go to the VM as PCI hostdevs; a network VF is one function (attach it alone as an interface)");
  if (req.live)
    return refused(
      "all-functions-live",
      "libvirt cannot hot-plug several functions as one device: all functions go into the persistent config, for the next start",
    );
  if (!domain.persistent || !domain.config)
    return refused("bad-target", `${domain.name} is transient (no persistent config): all functions can only go into a persistent config`);
  const def = domain.config;
  const placement = req.placement ?? "pcie";
  if (placement === "pcie" && def.machine !== null && !def.machine.includes("q35"))
    return refused("pcie-needs-q35", `${domain.name} is an ${def.machine} VM without PCIe root ports: choose PCI placement (the root bus)`);
  if (functions.some((f) => def.hostdevs.some((h) => h.address === f.address)))
    return { outcome: { kind: "nothing-to-do", reason: `${domain.name} already has a function of ${slot}` }, xmlChanges: [] };
  // A guest bus number is a controller index: a new one past the last makes libvirt add a root port for it.
  const bus = placement === "pcie" ? Math.max(0, ...def.pciControllerIndexes) + 1 : 0;
  const guestSlot = placement === "pcie" ? 0 : freeRootSlot(def);
  if (guestSlot === null) return refused("no-free-slot", `${domain.name}'s root bus has no free slot: choose PCIe placement`);
  const problems: Refusal[] = [];
  if (domain.active)
    problems.push({
      code: "next-start",
      reason: `${domain.name} is running: the functions are added to its persistent config and reach the guest at its next start`,
      override: "confirm",
    });
  const steps: PlannedStep[] = [];
  const xmlChanges: XmlChange[] = [];
  const addresses = functions.map((f) => f.address);
  functions.forEach((f, fn) => {
    const device: GuestDevice = {
      type: "hostdev",
      address: f.address,
      managed: req.managed ?? true,
      // The ROM belongs to the function asked for (the GPU), not to its audio function.
      ...(req.rom && f.address === d.address ? { rom: req.rom } : {}),
      guestAddress: { bus, slot: guestSlot, fn, ...(fn === 0 ? { multifunction: true } : {}) },
    };
    for (const p of deviceProblems(inv, f, device, addresses)) if (!problems.some((q) => q.reason === p.reason)) problems.push(p);
    const attached = attachSteps(domain, device, ["config"]);
    steps.push(...attached.steps);
    xmlChanges.push(...attached.xmlChanges);
  });
  const where = placement === "pcie" ? `behind a new PCIe root port (guest bus ${bus})` : `on the root bus, slot ${guestSlot}`;
  return { outcome: finish(`Give ${slot} (all ${functions.length} functions) to ${domain.name}, ${where}`, steps, problems, o), xmlChanges };
}

/** Takes a VM's interface on a VF pool back, by its MAC (the VF is whichever libvirt handed out). */
export function planDetachPool(domains: Domain[], req: PoolDetachRequest, o: Overrides = {}): VmPlan {
  const domain = findDomain(domains, req.domain);
  if (!domain) return refused("no-such-domain", `there is no VM ${JSON.stringify(req.domain)} in libvirt: passdeck vm list shows the VMs`);
  const mac = req.mac.toLowerCase();
  const inConfig = domain.config?.networkInterfaces.find((i) => i.mac === mac);
  if (!inConfig) return refused("not-attached", `${domain.name}'s persistent config has no interface with MAC ${mac} on a VF pool`);
  const device: GuestDevice = { type: "pool", network: inConfig.network, mac, ...(inConfig.vlan.length === 1 ? { vlan: inConfig.vlan[0]! } : {}) };
  const ref: DomainRef = { uuid: domain.uuid, name: domain.name };
  const targets = (["live", "config"] as const).filter((t) =>
    t === "live" ? (req.live ?? domain.active) && domain.live?.hostdevInterfaces.some((i) => i.mac === mac) : (req.config ?? true),
  );
  const problems: Refusal[] = targets.includes("live")
    ? [{ code: "live-detach", reason: `${domain.name} is running: the guest must release its VF (PCIe hot-unplug)`, override: "confirm" }]
    : [];
  const steps: PlannedStep[] = targets.map((target) => ({
    step: { kind: "detach-device", domain: ref, device, target },
    summary: `Take ${describeGuestDevice(device)} from ${domain.name} (${target === "live" ? "the running VM" : "its persistent config"})`,
    inverse: { kind: "attach-device", domain: ref, device, target },
  }));
  return {
    outcome: finish(`Take ${domain.name}'s VF from ${inConfig.network} (MAC ${mac})`, steps, problems, o),
    xmlChanges: targets.map((target) => ({ domain: domain.name, target, op: "remove" as const, xml: buildGuestDeviceXml(device) })),
  };
}

/** The guest device as a definition holds it, so its detach XML matches and its undo puts it back as it was. */
export function guestDeviceIn(def: DomainDefinition, address: string): GuestDevice | null {
  const h = def.hostdevs.find((x) => x.address === address);
  if (h) {
    const rom = { ...(h.rom.bar ? { bar: h.rom.bar } : {}), ...(h.rom.file ? { file: h.rom.file } : {}) };
    const g = h.guestAddress ? parsePciAddress(h.guestAddress) : null;
    return {
      type: "hostdev",
      address,
      managed: h.managed,
      ...(Object.keys(rom).length ? { rom } : {}),
      ...(g?.ok ? { guestAddress: { bus: g.parts.bus, slot: g.parts.device, fn: g.parts.fn, ...(h.multifunction ? { multifunction: true } : {}) } } : {}),
    };
  }
  const i = def.hostdevInterfaces.find((x) => x.address === address);
  // An interface without a MAC cannot be named for detach; libvirt always writes one back, so this is a foreign file.
  if (i?.mac) return { type: "interface", address, mac: i.mac, ...(i.vlan.length === 1 ? { vlan: i.vlan[0]! } : {}) };
  return null;
}

/**
 * "Any free VF of this pool" for a VM: `<interface type='network'>` on a hostdev network. libvirt hands out a VF at
 * start (and sets the MAC/VLAN on it through the PF), so no particular VF is claimed here.
 */
export function planAttachPool(inv: Inventory, domains: Domain[], pools: PoolRow[], req: PoolAttachRequest, o: Overrides = {}): VmPlan {
  const domain = findDomain(domains, req.domain);
  if (!domain) return refused("no-such-domain", `there is no VM ${JSON.stringify(req.domain)} in libvirt: passdeck vm list shows the VMs`);
  const pool = pools.find((p) => p.name === req.pool);
  if (!pool) return refused("no-such-pool", `there is no VF pool ${JSON.stringify(req.pool)}: passdeck pool list shows them`);
  const targets = targetsFor(domain, req.live, req.config);
  if (typeof targets === "string") return refused("bad-target", targets);
  // One stable MAC per interface on the pool: the n-th interface this VM takes from it.
  const taken = (domain.config ?? domain.live)?.networkInterfaces.filter((i) => i.network === pool.name).length ?? 0;
  const device: GuestDevice = {
    type: "pool",
    network: pool.name,
    mac: req.mac ?? defaultGuestMac(domain.uuid, `${pool.name}#${taken}`),
    ...(req.vlan !== undefined ? { vlan: req.vlan } : {}),
  };
  try {
    buildGuestDeviceXml(device);
  } catch (err) {
    if (err instanceof LibvirtXmlError) return refused("bad-device", err.message);
    throw err;
  }
  const problems: Refusal[] = [];
  if (!pool.active)
    problems.push({
      code: "pool-inactive",
      reason: `the pool ${pool.name} is not running: the VM will not start until it is (libvirt starts it at boot if marked so)`,
      override: "confirm",
    });
  else if (pool.vfs.length - pool.handedOut.length <= 0)
    problems.push({
      code: "pool-exhausted",
      reason: `every VF of ${pool.name} is in a running VM: this VM will not start until one is free`,
      override: "confirm",
    });
  const pfDown = pool.pfs[0]?.address ? pfDownWarning(inv, pool.pfs[0].address) : null;
  if (pfDown) problems.push(pfDown);
  const { steps, xmlChanges } = attachSteps(domain, device, targets);
  return { outcome: finish(`Give ${domain.name} a VF from ${pool.name}`, steps, problems, o), xmlChanges };
}

export function planDetach(domains: Domain[], req: DetachRequest, o: Overrides = {}): VmPlan {
  const parsed = parsePciAddress(req.address);
  if (!parsed.ok) return refused("bad-address", parsed.error);
  const domain = findDomain(domains, req.domain);
  if (!domain) return refused("no-such-domain", `there is no VM ${JSON.stringify(req.domain)} in libvirt: passdeck vm list shows the VMs`);
  const ref: DomainRef = { uuid: domain.uuid, name: domain.name };
  const wanted = (["live", "config"] as const).filter((t) => (t === "live" ? (req.live ?? domain.active) : (req.config ?? domain.persistent)));
  const steps: PlannedStep[] = [];
  const xmlChanges: XmlChange[] = [];
  const problems: Refusal[] = [];
  for (const target of wanted) {
    const def = target === "live" ? domain.live : domain.config;
    if (!def) {
      problems.push({
        code: "bad-target",
        reason: target === "live" ? `${domain.name} is not running` : `${domain.name} has no persistent config`,
        override: null,
      });
      continue;
    }
    const device = guestDeviceIn(def, parsed.address);
    if (!device) continue;
    if (target === "live")
      problems.push({
        code: "live-detach",
        reason: `${domain.name} is running: the guest must release ${parsed.address} (PCIe hot-unplug); a guest without an OS or one that ignores the request keeps it, and the plan then fails and re-attaches nothing it removed`,
        override: "confirm",
      });
    steps.push({
      step: { kind: "detach-device", domain: ref, device, target },
      summary: `Take ${describeGuestDevice(device)} from ${domain.name} (${target === "live" ? "the running VM" : "its persistent config"})`,
      inverse: { kind: "attach-device", domain: ref, device, target },
    });
    xmlChanges.push({ domain: domain.name, target, op: "remove", xml: buildGuestDeviceXml(device) });
  }
  if (steps.length === 0 && problems.length === 0)
    return { outcome: { kind: "nothing-to-do", reason: `${domain.name} does not have ${parsed.address}` }, xmlChanges: [] };
  // Live first: the running guest lets go before the config forgets it.
  steps.sort(
    (a, b) => (a.step.kind === "detach-device" && a.step.target === "live" ? -1 : 0) - (b.step.kind === "detach-device" && b.step.target === "live" ? -1 : 0),
  );
  return { outcome: finish(`Take ${parsed.address} from ${domain.name}`, steps, problems, o), xmlChanges };
}
