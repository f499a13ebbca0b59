import { router, guardedProcedure } from "../trpc";
import { isReady } from "@/server/inventory/readiness";

export const readinessRouter = router({
  list: guardedProcedure.query(({ ctx }) => {
    const { data, timestamp } = ctx.inventory.get();
    return { timestamp, ready: isReady(data.readiness), checks: data.readiness };
  }),
});
