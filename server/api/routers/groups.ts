import { firstScreen } from "@/lib/iommu-map";
import { router, guardedProcedure } from "../trpc";

export const groupsRouter = router({
  /** Every IOMMU group with members, verdict and reasons; iommuEnabled false means there is no map to show. */
  list: guardedProcedure.query(({ ctx }) => {
    const { data, timestamp } = ctx.inventory.get();
    return { timestamp, iommuEnabled: data.facts.iommu.enabled, groups: data.groups };
  }),
  /**
   * The map's first screen (its first entries, their devices and the totals), which the page hands over with its
   * markup instead of the whole inventory; the browser then fetches groups.list and devices.list. With the IOMMU
   * off there is no map, and the page lists every device instead.
   */
  firstScreen: guardedProcedure.query(({ ctx }) => {
    const { data, timestamp } = ctx.inventory.get();
    if (!data.facts.iommu.enabled) return { timestamp, iommuEnabled: false as const, devices: data.devices };
    return { timestamp, iommuEnabled: true as const, ...firstScreen(data.groups, data.devices) };
  }),
});
