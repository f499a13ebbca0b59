import { router, guardedProcedure } from "../trpc";
import { isReady } from "@/server/inventory/readiness";

export const hostRouter = router({
  /** Host facts, readiness verdict and counts for the header and the overview. */
  summary: guardedProcedure.query(({ ctx }) => {
    const { data, timestamp } = ctx.inventory.get();
    return {
      timestamp,
      source: data.source,
      facts: data.facts,
      ready: isReady(data.readiness),
      deviceCount: data.devices.length,
      groupCount: data.groups.length,
      sharedGroupCount: data.groups.filter((g) => g.verdict !== "isolated").length,
      physicalFunctionCount: data.devices.filter((d) => d.sriov !== null).length,
      hostCriticalCount: data.devices.filter((d) => d.hostCritical.length > 0 && d.bridge === null).length,
      warnings: data.warnings,
    };
  }),
});
