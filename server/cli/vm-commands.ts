/**
 * `passdeck vm list|attach|detach`: the VM side of passthrough, through the same planner, in-use checks and executor
 * as the dashboard. Exit codes as the other write commands: 0 applied, 2 refused or invalid, 1 failed.
 */
import { checkMac } from "@/lib/mac";
import { parsePciAddress } from "@/lib/pci-address";
import { readVfInfo, type VfInfo } from "@/server/host/ip-link";
import { checkLibvirtName } from "@/server/libvirt/virsh";
import { pfsOfHeldVfs, vmRows, type VmRow } from "@/server/libvirt/vm-devices";
import { planAttach, planAttachPool, planDetach, planDetachPool, type AttachRequest } from "@/server/plans/vm";
import { planPoolCreate, planPoolDelete, poolRows, poolXmlChanges } from "@/server/plans/pools";
import { InvalidInput } from "./errors";
import { finishOutcome, guestChecked, type WriteDeps, type WriteFlags } from "./write-commands";

export interface VmFlags extends WriteFlags {
  live: boolean;
  config: boolean;
  allFunctions: boolean;
  placement?: string;
  pool?: string;
  as?: string;
  unmanaged: boolean;
  romBar?: string;
  romFile?: string;
}

function addressArg(raw: string | undefined): string {
  if (!raw) throw new InvalidInput("the device address is missing, e.g. passdeck vm attach vm1 0000:01:10.0");
  const p = parsePciAddress(raw);
  if (!p.ok) throw new InvalidInput(p.error);
  return p.address;
}

function vmArg(raw: string | undefined): string {
  if (!raw) throw new InvalidInput("the VM is missing: give its name or UUID (passdeck vm list shows them)");
  const c = checkLibvirtName(raw, "VM");
  if (!c.ok) throw new InvalidInput(c.error);
  return raw;
}

/** Only what the user asked for: neither flag means "whatever exists" (config when persistent, live when running). */
function targets(flags: VmFlags): { live?: boolean; config?: boolean } {
  if (!flags.live && !flags.config) return {};
  return { live: flags.live, config: flags.config };
}

export async function runVmCommand(verb: string | undefined, args: string[], flags: VmFlags, deps: WriteDeps): Promise<number> {
  const libvirt = deps.libvirt;
  if (!libvirt) throw new InvalidInput("this host has no libvirt connection: set PASSDECK_LIBVIRT_URI (default qemu:///system)");
  if (verb === "list") return listVms(flags, deps);
  if (verb !== "attach" && verb !== "detach") throw new InvalidInput(`unknown "vm ${verb ?? ""}": use passdeck vm list, vm attach or vm detach`);

  const [vmRaw, addressRaw] = args;
  const vm = vmArg(vmRaw);
  // A VF pool's interface has no host address: attach names the pool, detach the interface's MAC.
  const byPool = verb === "attach" ? flags.pool !== undefined : addressRaw === undefined && flags.vf?.mac !== undefined;
  const address = byPool ? "" : addressArg(addressRaw);
  const view = await libvirt.view(true);
  if (!view.ok) {
    console.error(`passdeck: ${view.reason.cause}\n  fix: ${view.reason.fix}`);
    return 1;
  }
  const inv = deps.inventory();
  const overrides = { confirm: flags.confirm, force: flags.force };
  let planned;
  if (byPool) {
    const checked = flags.vf?.mac === undefined ? undefined : checkMac(flags.vf.mac);
    if (checked && !checked.ok) throw new InvalidInput(`--mac: ${checked.error}`);
    const mac = checked?.ok ? checked.mac : undefined;
    const vlan = flags.vf?.vlan;
    if (vlan !== undefined && (!/^\d{1,4}$/.test(vlan) || Number(vlan) < 1 || Number(vlan) > 4094))
      throw new InvalidInput(`--vlan takes 1 to 4094, not ${JSON.stringify(vlan)}`);
    planned =
      verb === "attach"
        ? planAttachPool(
            inv,
            view.domains,
            poolRows(await libvirt.networks.list(), view.domains, inv),
            {
              domain: vm,
              pool: flags.pool!,
              ...(mac !== undefined ? { mac } : {}),
              ...(vlan !== undefined ? { vlan: Number(vlan) } : {}),
              ...targets(flags),
            },
            overrides,
          )
        : // a detach by pool is one that names a MAC (byPool above)
          planDetachPool(view.domains, { domain: vm, mac: mac!, ...targets(flags) }, overrides);
  } else if (verb === "attach") {
    const request: AttachRequest = { domain: vm, address, ...targets(flags) };
    if (flags.as !== undefined) {
      if (flags.as !== "interface" && flags.as !== "hostdev") throw new InvalidInput(`--as takes interface or hostdev, not ${JSON.stringify(flags.as)}`);
      request.as = flags.as;
    }
    const vf = flags.vf ?? {};
    if (vf.mac !== undefined) {
      const m = checkMac(vf.mac);
      if (!m.ok) throw new InvalidInput(`--mac: ${m.error}`);
      request.mac = m.mac;
    }
    if (vf.vlan !== undefined) {
      if (!/^\d{1,4}$/.test(vf.vlan) || Number(vf.vlan) < 1 || Number(vf.vlan) > 4094)
        throw new InvalidInput(`--vlan takes 1 to 4094, not ${JSON.stringify(vf.vlan)}`);
      request.vlan = Number(vf.vlan);
    }
    if (flags.unmanaged) request.managed = false;
    if (flags.allFunctions) request.allFunctions = true;
    if (flags.placement !== undefined) {
      if (flags.placement !== "pcie" && flags.placement !== "pci")
        throw new InvalidInput(`--placement takes pcie or pci, not ${JSON.stringify(flags.placement)}`);
      request.placement = flags.placement;
    }
    if (flags.romBar !== undefined || flags.romFile !== undefined) {
      if (flags.romBar !== undefined && flags.romBar !== "on" && flags.romBar !== "off")
        throw new InvalidInput(`--rom-bar takes on or off, not ${JSON.stringify(flags.romBar)}`);
      request.rom = { ...(flags.romBar ? { bar: flags.romBar } : {}), ...(flags.romFile !== undefined ? { file: flags.romFile } : {}) };
    }
    planned = planAttach(inv, view.domains, request, overrides);
  } else {
    planned = planDetach(view.domains, { domain: vm, address, ...targets(flags) }, overrides);
  }
  const outcome = await guestChecked(planned.outcome, inv, overrides, deps);
  return finishOutcome(outcome, flags, deps, { xmlChanges: planned.xmlChanges });
}

async function listVms(flags: WriteFlags, deps: WriteDeps): Promise<number> {
  const view = await deps.libvirt!.view(true);
  if (!view.ok) {
    if (flags.json) console.log(JSON.stringify({ error: view.reason }, null, 2));
    console.error(`passdeck: ${view.reason.cause}\n  fix: ${view.reason.fix}`);
    return 1;
  }
  const inv = deps.inventory();
  const vfInfo = new Map<string, VfInfo[]>();
  for (const pf of pfsOfHeldVfs(view.domains, inv)) {
    const netdev = inv.devices.find((d) => d.address === pf)?.netdevs[0]?.name;
    if (netdev) vfInfo.set(pf, await readVfInfo(deps.ip, netdev).catch(() => []));
  }
  const rows = vmRows(view.domains, inv, vfInfo);
  if (flags.json) console.log(JSON.stringify(rows, null, 2));
  else console.log(formatVms(rows, view.uri));
  return 0;
}

export function formatVms(rows: VmRow[], uri: string): string {
  if (rows.length === 0) return `No VMs on ${uri}.`;
  const out: string[] = [];
  for (const r of rows) {
    out.push(
      `${r.name}  ${r.state}${r.autostart ? ", autostart" : ""}${r.persistent ? "" : ", transient"}  ${r.vcpus ?? "?"} vCPU, ${r.memoryKiB === null ? "?" : Math.round(r.memoryKiB / 1024)} MiB`,
    );
    if (r.xmlError) out.push(`  (definition not readable: ${r.xmlError})`);
    if (r.devices.length === 0) out.push("  no passthrough devices");
    for (const d of r.devices) {
      const where = d.in.join("+");
      const net = d.as === "interface" ? ` mac ${d.mac ?? "?"}${d.vlan.length ? ` vlan ${d.vlan.join(",")}` : ""}` : "";
      const host = d.host
        ? ` ${d.host.driver ?? "no driver"}, group ${d.host.iommuGroup ?? "none"}${d.host.vf ? `, VF ${d.host.vf.index} of ${d.host.vf.pf}` : ""}`
        : " (not on this host now)";
      out.push(`  ${d.address} ${d.as}${d.managed ? "" : " unmanaged"}${net} [${where}]${host}`);
    }
  }
  return out.join("\n");
}

export async function runPoolCommand(verb: string | undefined, args: string[], flags: WriteFlags, deps: WriteDeps): Promise<number> {
  const libvirt = deps.libvirt;
  if (!libvirt) throw new InvalidInput("this host has no libvirt connection: set PASSDECK_LIBVIRT_URI (default qemu:///system)");
  if (verb !== "list" && verb !== "create" && verb !== "delete")
    throw new InvalidInput(`unknown "pool ${verb ?? ""}": use passdeck pool list, pool create or pool delete`);
  const view = await libvirt.view(true);
  if (!view.ok) {
    console.error(`passdeck: ${view.reason.cause}\n  fix: ${view.reason.fix}`);
    return 1;
  }
  const inv = deps.inventory();
  const networks = await libvirt.networks.list();
  if (verb === "list") {
    const rows = poolRows(networks, view.domains, inv);
    if (flags.json) console.log(JSON.stringify(rows, null, 2));
    else if (rows.length === 0) console.log(`No VF pools on ${view.uri}.`);
    else
      for (const r of rows)
        console.log(
          `${r.name}  ${r.active ? "active" : "inactive"}${r.autostart ? ", autostart" : ""}  PF ${r.pfs.map((p) => `${p.netdev}${p.address ? ` (${p.address})` : ""}`).join(", ")}  ${r.vfs.length} VFs, ${r.handedOut.length} handed out${r.handedOut.length ? `: ${r.handedOut.map((h) => `${h.address} → ${h.domain}`).join(", ")}` : ""}`,
        );
    return 0;
  }
  const overrides = { confirm: flags.confirm, force: flags.force };
  const [name, pfRaw] = args;
  if (!name) throw new InvalidInput(`passdeck pool ${verb} needs the pool's name`);
  let outcome;
  if (verb === "create") outcome = planPoolCreate(inv, networks, { name, pf: addressArg(pfRaw) }, overrides);
  else outcome = planPoolDelete(inv, networks, view.domains, name, overrides);
  return finishOutcome(outcome, flags, deps, { xmlChanges: poolXmlChanges(outcome) });
}
