import { readVfInfo, type VfInfo } from "@/server/host/ip-link";
import { compareNodeDevices } from "@/server/libvirt/node-devices";
import { pfsOfHeldVfs, vmRows } from "@/server/libvirt/vm-devices";
import { LibvirtError } from "@/server/libvirt/errors";
import { poolRows } from "@/server/plans/pools";
import { guardedProcedure, NO_LIBVIRT, router, type Context } from "../trpc";

/** The VM list needs libvirt; without it the page says why and the rest of Passdeck works. */
async function readVms(ctx: Context) {
  if (!ctx.libvirt)
    return {
      available: false as const,
      uri: null,
      reason: NO_LIBVIRT,
      fix: null,
      rows: [],
    };
  const view = await ctx.libvirt.view();
  if (!view.ok) return { available: false as const, uri: view.uri, reason: view.reason.cause, fix: view.reason.fix, rows: [] };
  const inv = ctx.inventory.get().data;
  const vfInfo = new Map<string, VfInfo[]>();
  for (const pf of pfsOfHeldVfs(view.domains, inv)) {
    const netdev = inv.devices.find((d) => d.address === pf)?.netdevs[0]?.name;
    if (netdev) vfInfo.set(pf, await readVfInfo(ctx.ip, netdev).catch(() => []));
  }
  return { available: true as const, uri: view.uri, reason: null, fix: null, rows: vmRows(view.domains, inv, vfInfo) };
}

export const vmsRouter = router({
  /** Every libvirt domain with state, size and the host devices its live and persistent definitions hold. */
  list: guardedProcedure.query(({ ctx }) => readVms(ctx)),
  /**
   * libvirt's node devices against the inventory for the SR-IOV PFs, their VFs and every device a VM holds: where
   * libvirt disagrees (another IOMMU group, other VFs), passthrough through libvirt will surprise.
   */
  /** VF pools (libvirt hostdev networks): the PF they draw from, the VFs libvirt found, which running VM has which. */
  pools: guardedProcedure.query(async ({ ctx }) => {
    if (!ctx.libvirt) return { available: false as const, reason: "this server has no libvirt connection", pools: [] };
    const view = await ctx.libvirt.view();
    if (!view.ok) return { available: false as const, reason: view.reason.cause, pools: [] };
    try {
      return { available: true as const, reason: null, pools: poolRows(await ctx.libvirt.networks.list(), view.domains, ctx.inventory.get().data) };
    } catch (err) {
      if (err instanceof LibvirtError) return { available: false as const, reason: err.decoded.cause, pools: [] };
      throw err;
    }
  }),
  /** Each running VM's IP addresses (DHCP leases, ARP, guest agent): what the latency page offers as targets. */
  addresses: guardedProcedure.query(async ({ ctx }) => {
    if (!ctx.libvirt) return { available: false as const, reason: "this server has no libvirt connection", vms: [] };
    const view = await ctx.libvirt.view();
    if (!view.ok) return { available: false as const, reason: view.reason.cause, vms: [] };
    const running = view.domains.filter((d) => d.active);
    const vms = await Promise.all(
      running.map(async (d) => ({ uuid: d.uuid, name: d.name, addresses: await ctx.libvirt!.domains.interfaceAddresses(d.uuid).catch(() => []) })),
    );
    return { available: true as const, reason: null, vms };
  }),
  nodeDeviceCheck: guardedProcedure.query(async ({ ctx }) => {
    if (!ctx.libvirt) return { available: false as const, checked: 0, disagreements: [] };
    const view = await ctx.libvirt.view();
    if (!view.ok) return { available: false as const, checked: 0, disagreements: [] };
    const inv = ctx.inventory.get().data;
    const addresses = new Set<string>(Object.keys(view.inUse));
    for (const d of inv.devices) if (d.sriov) [d.address, ...d.sriov.vfs].forEach((a) => addresses.add(a));
    const wanted = [...addresses].filter((a) => inv.devices.some((d) => d.address === a));
    const nodes = await ctx.libvirt.nodeDevices.pci(wanted);
    return { available: true as const, checked: wanted.length, disagreements: compareNodeDevices(inv, nodes) };
  }),
});
