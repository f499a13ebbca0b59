import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { pciAddressSchema } from "@/lib/schemas";
import { router, readProcedure } from "../trpc";

export const devicesRouter = router({
  list: readProcedure.query(({ ctx }) => {
    const { data, timestamp } = ctx.inventory.get();
    return { timestamp, devices: data.devices };
  }),
  byAddress: readProcedure.input(z.object({ address: pciAddressSchema })).query(({ ctx, input }) => {
    const { data } = ctx.inventory.get();
    const device = data.devices.find((d) => d.address === input.address);
    if (!device) throw new TRPCError({ code: "NOT_FOUND", message: `${input.address} is not a PCI device on this host` });
    const group = data.groups.find((g) => g.id === device.iommuGroup) ?? null;
    return { device, group };
  }),
});
