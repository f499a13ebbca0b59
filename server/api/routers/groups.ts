import { router, guardedProcedure } from "../trpc";

export const groupsRouter = router({
  /** Every IOMMU group with members, verdict and reasons; iommuEnabled false means there is no map to show. */
  list: guardedProcedure.query(({ ctx }) => {
    const { data, timestamp } = ctx.inventory.get();
    return { timestamp, iommuEnabled: data.facts.iommu.enabled, groups: data.groups };
  }),
});
