/**
 * The passthrough wizard's plans: one plan per wizard run, built from the same planner functions the CLI uses, so
 * the review page shows exactly what will be written and one apply (one journal entry, one rollback) covers it all.
 *
 * (a) SR-IOV: VF count → per-VF settings through the PF → the chosen VFs to vfio-pci. VFs that do not exist yet
 *     get the addresses the kernel will give them (offset/stride), and the plan checks each virtfn link before it
 *     binds anything, so a wrong prediction fails before a write and rolls back.
 * (b) A whole device: every endpoint of its IOMMU group to vfio-pci together (bridges stay on their port driver).
 */
import { vfAddressOf } from "@/lib/pci-address";
import { describeVfSettings } from "@/lib/vf-settings";
import type { PlannedStep, VfSettings } from "@/server/executor/plan";
import type { VfInfo } from "@/server/host/ip-link";
import type { Inventory, PciDevice } from "@/server/host/types";
import { finish, planBindVfio, planVfCount, planVfSettings, type Overrides, type PlanOutcome, type Refusal } from "./planner";
import { vfDriverFor } from "./vf-driver";
import type { Domain } from "@/server/libvirt/domains";
import { attachSteps, defaultGuestMac, findDomain, pfDownWarning, type XmlChange } from "./vm";
import { planPoolCreate, poolXmlChanges, type PoolRow } from "./pools";

export interface VfChoice {
  index: number;
  settings?: VfSettings;
  /** hand this VF to vfio-pci */
  vfio?: boolean;
  /** then give it to this VM (UUID or name); its MAC and VLAN go into the VM's interface XML */
  vm?: string;
  /** or leave it to this VF pool of the PF (created when it does not exist), from which VMs take any free VF */
  pool?: string;
}

export interface SriovWizardRequest {
  pf: string;
  count: number;
  /** sriov_drivers_autoprobe for the new VFs; off: they come up driverless (no host netdev), ready for vfio-pci */
  autoprobe: boolean;
  vfs: VfChoice[];
}

export interface WizardVf {
  index: number;
  /** the existing VF's address, or the one the kernel will give it */
  address: string | null;
  predicted: boolean;
  settings: VfSettings | null;
  vfio: boolean;
  vm: { uuid: string; name: string } | null;
  pool: string | null;
}

export interface WizardPreview {
  outcome: PlanOutcome;
  vfs: WizardVf[];
  /** the driver the guest needs for this VF device ID (guest driver parity) */
  guestDriver: string | null;
  /** what the host loses when the plan is applied, in words */
  hostLoses: string[];
  /** the device XML each VM gains */
  xmlChanges: XmlChange[];
}

const VF_ADDRESS_WAIT_MS = 10_000;

/** `domains`: libvirt's VMs, null when libvirt cannot be read (then no VF can go to a VM). */
export function planSriovWizard(
  inv: Inventory,
  req: SriovWizardRequest,
  currentVfInfo: VfInfo[],
  o: Overrides = {},
  domains: Domain[] | null = null,
  pools: PoolRow[] | null = null,
): WizardPreview {
  const pf = inv.devices.find((d) => d.address === req.pf);
  const empty = (refusals: Refusal[]): WizardPreview => ({ outcome: { kind: "refused", refusals }, vfs: [], guestDriver: null, hostLoses: [], xmlChanges: [] });
  if (!pf) return empty([{ code: "no-such-device", reason: `${req.pf} is not a PCI device on this host`, override: null }]);
  if (!pf.sriov) return empty([{ code: "not-sriov", reason: `${req.pf} is not an SR-IOV physical function (no sriov_totalvfs)`, override: null }]);

  const problems: Refusal[] = [];
  const steps: PlannedStep[] = [];
  const take = (outcome: PlanOutcome) => {
    if (outcome.kind === "plan") {
      steps.push(...outcome.plan.steps);
      problems.push(...outcome.warnings);
    } else if (outcome.kind === "refused") problems.push(...outcome.refusals);
  };

  // Sub-plans are made with every override so their steps come back with all their warnings; `o` decides at the end.
  const all = { confirm: true, force: true };
  take(planVfCount(inv, pf.address, req.count, { ...all, autoprobe: req.autoprobe }));
  const recreated = req.count !== pf.sriov.numVfs;
  const vfDriver = vfDriverFor(pf.driver);

  const seen = new Set<number>();
  const vfs: WizardVf[] = [];
  for (const choice of [...req.vfs].sort((a, b) => a.index - b.index)) {
    if (seen.has(choice.index)) {
      problems.push({ code: "duplicate-vf", reason: `VF ${choice.index} is listed twice`, override: null });
      continue;
    }
    seen.add(choice.index);
    if (!Number.isInteger(choice.index) || choice.index < 0 || choice.index >= req.count) {
      problems.push({ code: "no-such-vf", reason: `VF ${choice.index} does not exist with ${req.count} VFs (0–${req.count - 1})`, override: null });
      continue;
    }
    const address = recreated ? predictedAddress(pf, choice.index) : (pf.sriov.vfs[choice.index] ?? null);
    let vm: Domain | null = null;
    if (choice.vm !== undefined) {
      vm = domains ? findDomain(domains, choice.vm) : null;
      if (!domains)
        problems.push({ code: "libvirt-unavailable", reason: `VF ${choice.index} cannot go to a VM: libvirt cannot be read on this host`, override: null });
      else if (!vm)
        problems.push({ code: "no-such-domain", reason: `there is no VM ${JSON.stringify(choice.vm)} in libvirt for VF ${choice.index}`, override: null });
      if (choice.vfio !== true)
        problems.push({ code: "vm-needs-vfio", reason: `VF ${choice.index} goes to a VM through vfio-pci: choose vfio-pci for it too`, override: null });
      if (choice.settings?.qos !== undefined)
        problems.push({
          code: "vm-qos",
          reason: `VF ${choice.index}: libvirt sets the VLAN of a VF it gives to a VM, but not its QoS priority; leave QoS empty`,
          override: null,
        });
    }
    if (choice.pool !== undefined) {
      if (!pools)
        problems.push({
          code: "libvirt-unavailable",
          reason: `VF ${choice.index} cannot go to a VF pool: libvirt cannot be read on this host`,
          override: null,
        });
      if (choice.vm !== undefined)
        problems.push({ code: "vm-or-pool", reason: `VF ${choice.index} goes either to a VM or to a pool, not both`, override: null });
      if (choice.vfio !== true)
        problems.push({ code: "pool-needs-vfio", reason: `VF ${choice.index} goes to a pool through vfio-pci: choose vfio-pci for it too`, override: null });
    }
    vfs.push({
      index: choice.index,
      address,
      predicted: recreated,
      settings: choice.settings ?? null,
      vfio: choice.vfio === true,
      vm: vm ? { uuid: vm.uuid, name: vm.name } : null,
      pool: choice.pool ?? null,
    });
  }

  // Settings go through the PF before any VF leaves the host driver: the MAC/VLAN then hold when the guest takes it.
  for (const vf of vfs) {
    const settings = vf.vm ? hostSideSettings(vf.settings) : vf.settings;
    if (!settings || Object.keys(settings).length === 0) continue;
    if (!recreated) {
      take(planVfSettings(inv, pf.address, vf.index, settings, currentVfInfo.find((v) => v.vf === vf.index) ?? null));
      continue;
    }
    const netdev = pf.netdevs[0]?.name;
    if (!netdev) {
      problems.push({ code: "no-pf-netdev", reason: `${pf.address} has no network interface: VF settings go through the PF's interface`, override: null });
      continue;
    }
    // New VFs start from the driver's defaults and are removed again by the count's undo: no inverse of their own.
    steps.push({
      step: { kind: "set-vf", pf: pf.address, netdev, vf: vf.index, settings },
      summary: `Set ${describeVfSettings(settings)} on VF ${vf.index} through ${netdev}`,
      inverse: null,
    });
  }

  for (const vf of vfs.filter((v) => v.vfio)) {
    if (!recreated) {
      if (!vf.address) continue;
      take(planBindVfio(inv, vf.address, all));
      continue;
    }
    if (!vf.address) {
      problems.push({
        code: "vf-address-unknown",
        reason: `${pf.address} does not report sriov_offset/sriov_stride, so the new VFs' addresses cannot be known in advance: create the VFs first, then bind them`,
        override: null,
      });
      continue;
    }
    if (!inv.facts.vfio.pciDriverLoaded) {
      problems.push({ code: "vfio-not-loaded", reason: "the vfio-pci driver is not loaded: run `modprobe vfio-pci`", override: null });
      continue;
    }
    steps.push({
      step: { kind: "wait-for", condition: { kind: "vf-address", pf: pf.address, vf: vf.index, address: vf.address }, timeoutMs: VF_ADDRESS_WAIT_MS },
      summary: `Check that VF ${vf.index} is ${vf.address} before touching it`,
      inverse: null,
    });
    if (req.autoprobe) {
      if (!vfDriver) {
        problems.push({
          code: "vf-driver-unknown",
          reason: `Passdeck does not know which host driver takes ${pf.driver ?? "this PF"}'s VFs: turn autoprobe off so they come up driverless`,
          override: null,
        });
        continue;
      }
      steps.push({
        step: { kind: "unbind-driver", device: vf.address, driver: vfDriver },
        summary: `Release VF ${vf.index} (${vf.address}) from ${vfDriver}, which autoprobe bound it to`,
        inverse: null,
      });
    }
    steps.push(
      {
        step: { kind: "write-attribute", device: vf.address, attribute: "driver_override", value: "vfio-pci" },
        summary: `Reserve VF ${vf.index} (${vf.address}) for vfio-pci (driver_override)`,
        inverse: { kind: "write-attribute", device: vf.address, attribute: "driver_override", value: "" },
      },
      {
        step: { kind: "probe-driver", device: vf.address, expectDriver: "vfio-pci" },
        summary: `Probe VF ${vf.index} (${vf.address}) and check that vfio-pci took it`,
        inverse: { kind: "unbind-driver", device: vf.address, driver: "vfio-pci" },
      },
    );
  }
  // Last, the VMs: each VF as <interface type='hostdev' managed='yes'> with its MAC and VLAN, which libvirt sets
  // through the PF when the VM starts and restores when it lets go.
  const xmlChanges: XmlChange[] = [];
  for (const vf of vfs) {
    if (!vf.vm || !vf.address || !vf.vfio) continue;
    const domain = findDomain(domains ?? [], vf.vm.uuid)!;
    const device = {
      type: "interface" as const,
      address: vf.address,
      mac: vf.settings?.mac ?? defaultGuestMac(domain.uuid, vf.address),
      ...(vf.settings?.vlan ? { vlan: vf.settings.vlan } : {}),
    };
    const targets = [...(domain.persistent ? (["config"] as const) : []), ...(domain.active ? (["live"] as const) : [])];
    const pfDown = pfDownWarning(inv, pf.address);
    if (pfDown && !problems.some((p) => p.code === "pf-down")) problems.push(pfDown);
    const attached = attachSteps(domain, device, targets);
    steps.push(...attached.steps);
    xmlChanges.push(...attached.xmlChanges);
  }

  // VFs left to a pool: the PF's pool, made when it does not exist yet (after the VFs, so it can start).
  for (const name of [...new Set(vfs.map((v) => v.pool).filter((p): p is string => p !== null))]) {
    if (!pools) break;
    const existing = pools.find((p) => p.name === name);
    const netdev = pf.netdevs[0]?.name;
    if (existing) {
      if (!existing.pfs.some((p) => p.address === pf.address))
        problems.push({
          code: "pool-other-pf",
          reason: `the pool ${name} draws from ${existing.pfs.map((p) => p.netdev).join(", ") || "no PF"}, not ${pf.address}: its VMs could not get these VFs`,
          override: null,
        });
      continue;
    }
    const created = planPoolCreate(inv, [], { name, pf: pf.address }, all);
    if (created.kind === "refused") problems.push(...created.refusals);
    if (created.kind === "plan") {
      steps.push(...created.plan.steps);
      // "No VFs yet" is not so when this plan creates them.
      problems.push(...created.warnings.filter((w) => !(w.code === "pool-no-vfs" && req.count > 0)));
    }
    // The count step creates the VFs first in this plan, so the pool can start after them.
    if (req.count > 0 && netdev && !steps.some((s) => s.step.kind === "start-pool" && s.step.pool.name === name)) {
      const ref = { name, pf: pf.address, netdev };
      steps.push({
        step: { kind: "start-pool", pool: ref },
        summary: `Start ${name}: libvirt lists ${netdev}'s ${req.count} VFs`,
        inverse: { kind: "stop-pool", pool: ref },
      });
    }
  }
  const poolXml = poolXmlChanges({ kind: "plan", plan: { id: "", title: "", createdAt: "", steps }, warnings: [] });

  if (recreated && vfs.some((v) => v.vfio)) {
    const group = inv.groups.find((g) => g.id === pf.iommuGroup);
    if (group && group.devices.length > 1 + pf.sriov.vfs.length && group.verdict !== "isolated")
      problems.push({
        code: "vf-group-unknown",
        reason: `${pf.address} shares IOMMU group ${group.id} with other devices (${group.summary}); its new VFs may land in a shared group too`,
        override: "confirm",
      });
  }

  const hostLoses: string[] = [];
  if (recreated && pf.sriov.numVfs > 0)
    for (const address of pf.sriov.vfs) {
      const d = inv.devices.find((x) => x.address === address);
      for (const n of d?.netdevs ?? []) hostLoses.push(`${n.name} (${address}) is removed with the old VFs`);
    }
  for (const vf of vfs.filter((v) => v.vfio && !v.predicted)) {
    const d = inv.devices.find((x) => x.address === vf.address);
    for (const n of d?.netdevs ?? []) hostLoses.push(`${n.name} (VF ${vf.index}) leaves the host for vfio-pci`);
  }

  const title = wizardTitle(req, pf);
  const blocked = finish(title, [], problems, o).kind === "refused";
  const outcome: PlanOutcome =
    steps.length === 0 && !blocked
      ? { kind: "nothing-to-do", reason: `${pf.address} already has ${req.count} VFs with these settings and bindings` }
      : finish(title, steps, problems, o);
  return { outcome, vfs, guestDriver: vfDriver, hostLoses, xmlChanges: [...xmlChanges, ...poolXml] };
}

/** What stays on the host side for a VF a VM takes: libvirt owns its MAC and VLAN. */
function hostSideSettings(s: VfSettings | null): VfSettings | null {
  if (!s) return null;
  const { mac: _mac, vlan: _vlan, qos: _qos, ...rest } = s;
  return rest;
}

export interface DevicePassthroughPreview {
  outcome: PlanOutcome;
  /** the group's endpoints that go to vfio-pci together */
  endpoints: string[];
  /** bridges of the group, which stay on their port driver */
  bridgesStay: string[];
  hostLoses: string[];
  /** what binding these endpoints to vfio-pci from early boot takes (the reliable way for a GPU) */
  bootBinding: BootBinding | null;
}

export interface BootBinding {
  /** vendor:device of each endpoint, for `options vfio-pci ids=` */
  ids: string[];
  /** the host drivers that must load after vfio-pci (softdep) */
  hostDrivers: string[];
  /** a display controller is among them: its host driver initialises it at boot, before any later rebind */
  display: boolean;
  /** other devices on this host with the same IDs, which ids= would take as well */
  sameIdElsewhere: string[];
}

/** (b) A whole device: every endpoint of its group to vfio-pci (a GPU with its HDMI audio function, an HBA, a NIC port). */
export function planDevicePassthrough(inv: Inventory, address: string, o: Overrides = {}): DevicePassthroughPreview {
  const d = inv.devices.find((x) => x.address === address);
  if (!d)
    return {
      outcome: { kind: "refused", refusals: [{ code: "no-such-device", reason: `${address} is not a PCI device on this host`, override: null }] },
      endpoints: [],
      bridgesStay: [],
      hostLoses: [],
      bootBinding: null,
    };
  const group = inv.groups.find((g) => g.id === d.iommuGroup);
  const endpoints = group ? group.endpoints : [address];
  const problems: Refusal[] = [];
  const steps: PlannedStep[] = [];
  let allBound = true;
  for (const a of endpoints) {
    // Planned with every override so the steps come back with all their warnings; the user's overrides decide below.
    const outcome = planBindVfio(inv, a, { confirm: true, force: true });
    if (outcome.kind !== "nothing-to-do") allBound = false;
    if (outcome.kind === "plan") {
      steps.push(...outcome.plan.steps);
      // Every endpoint of the group goes together here, so "the group also holds …" is what the user asked for.
      problems.push(...outcome.warnings.filter((w) => w.code !== "shared-group"));
    } else if (outcome.kind === "refused") problems.push(...outcome.refusals.filter((w) => w.code !== "shared-group"));
  }
  const unique = dedupe(problems);
  const hostLoses = endpoints.flatMap((a) => lossesOf(inv.devices.find((x) => x.address === a)));
  const outcome: PlanOutcome = allBound
    ? { kind: "nothing-to-do", reason: `every endpoint of group ${d.iommuGroup} is already on vfio-pci` }
    : finish(endpoints.length > 1 ? `Bind IOMMU group ${d.iommuGroup} (${endpoints.join(", ")}) to vfio-pci` : `Bind ${address} to vfio-pci`, steps, unique, o);
  return { outcome, endpoints, bridgesStay: group?.bridges ?? [], hostLoses, bootBinding: bootBindingOf(inv, endpoints) };
}

function bootBindingOf(inv: Inventory, endpoints: string[]): BootBinding | null {
  const devices = endpoints.map((a) => inv.devices.find((x) => x.address === a)).filter((x): x is PciDevice => x !== undefined);
  if (devices.length === 0) return null;
  const ids = [...new Set(devices.map((x) => `${x.vendorId}:${x.deviceId}`))];
  const hostDrivers = [...new Set(devices.map((x) => x.driver).filter((x): x is string => x !== null && x !== "vfio-pci"))];
  const sameIdElsewhere = inv.devices.filter((x) => !endpoints.includes(x.address) && ids.includes(`${x.vendorId}:${x.deviceId}`)).map((x) => x.address);
  return { ids, hostDrivers, display: devices.some((x) => x.classId.startsWith("03")), sameIdElsewhere };
}

function predictedAddress(pf: PciDevice, index: number): string | null {
  const { offset, stride } = pf.sriov!;
  if (offset === null || stride === null || (stride === 0 && index > 0)) return null;
  return vfAddressOf(pf.address, offset, stride, index);
}

function lossesOf(d: PciDevice | undefined): string[] {
  if (!d) return [];
  const out: string[] = [];
  for (const n of d.netdevs) out.push(`network interface ${n.name}${n.addresses.length ? ` (${n.addresses.map((a) => a.address).join(", ")})` : ""}`);
  for (const b of d.blockDevices) out.push(`disk ${b.name}${b.mounts.length ? ` (mounted: ${b.mounts.map((m) => m.mountpoint).join(", ")})` : ""}`);
  if (d.classId.startsWith("03")) out.push(`display ${d.address}: if the host console runs on it, the host loses its screen`);
  for (const c of d.hostCritical) out.push(c);
  for (const c of d.hostNotices) out.push(c);
  return out;
}

function dedupe(problems: Refusal[]): Refusal[] {
  const seen = new Set<string>();
  return problems.filter((p) => (seen.has(`${p.code}|${p.reason}`) ? false : (seen.add(`${p.code}|${p.reason}`), true)));
}

function wizardTitle(req: SriovWizardRequest, pf: PciDevice): string {
  const parts = [`${req.count} VFs on ${pf.address}${pf.netdevs[0] ? ` (${pf.netdevs[0].name})` : ""}`];
  const withSettings = req.vfs.filter((v) => v.settings && Object.keys(v.settings).length > 0).length;
  const toVfio = req.vfs.filter((v) => v.vfio).length;
  if (withSettings) parts.push(`settings on ${withSettings}`);
  if (toVfio) parts.push(`${toVfio} to vfio-pci`);
  const toVm = req.vfs.filter((v) => v.vm !== undefined).length;
  if (toVm) parts.push(`${toVm} to ${toVm === 1 ? "a VM" : "VMs"}`);
  return parts.join(", ");
}
