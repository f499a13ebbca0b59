import { router, readProcedure } from "../trpc";
import { isReady } from "@/server/inventory/readiness";

export const readinessRouter = router({
  list: readProcedure.query(({ ctx }) => {
    const { data, timestamp } = ctx.inventory.get();
    return { timestamp, ready: isReady(data.readiness), checks: data.readiness };
  }),
});
