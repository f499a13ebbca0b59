import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { pciAddressSchema } from "@/lib/schemas";
import { readVfInfo } from "@/server/host/ip-link";
import { router, guardedProcedure } from "../trpc";

export const devicesRouter = router({
  list: guardedProcedure.query(({ ctx }) => {
    const { data, timestamp } = ctx.inventory.get();
    return { timestamp, devices: data.devices };
  }),
  byAddress: guardedProcedure.input(z.object({ address: pciAddressSchema })).query(({ ctx, input }) => {
    const { data } = ctx.inventory.get();
    const device = data.devices.find((d) => d.address === input.address);
    if (!device) throw new TRPCError({ code: "NOT_FOUND", message: `${input.address} is not a PCI device on this host` });
    const group = data.groups.find((g) => g.id === device.iommuGroup) ?? null;
    return { device, group };
  }),
  /** A PF's VFs as the driver reports them (`ip -j link show <pf>`, vfinfo_list): MAC, VLAN, trust, link state, rates. */
  vfSettings: guardedProcedure.input(z.object({ pf: pciAddressSchema })).query(async ({ ctx, input }) => {
    const { data } = ctx.inventory.get();
    const pf = data.devices.find((d) => d.address === input.pf);
    if (!pf) throw new TRPCError({ code: "NOT_FOUND", message: `${input.pf} is not a PCI device on this host` });
    const netdev = pf.netdevs[0]?.name ?? null;
    if (!pf.sriov || !netdev) return { netdev, vfs: [], reason: `${input.pf} has no SR-IOV network interface: there is no vfinfo_list to read` };
    try {
      return { netdev, vfs: (await readVfInfo(ctx.ip, netdev)).map((v) => ({ ...v, address: pf.sriov!.vfs[v.vf] ?? null })), reason: null };
    } catch (err) {
      return { netdev, vfs: [], reason: `ip -j link show ${netdev} failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  }),
});
