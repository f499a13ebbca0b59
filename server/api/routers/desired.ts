import { z } from "zod";
import { pciAddressSchema } from "@/lib/schemas";
import { describeEntry } from "@/server/desired/desired-state";
import { driftNow } from "@/server/desired/reconcile";
import { actorOf, guardedProcedure, requiresDesiredState, router } from "../trpc";

export const desiredRouter = router({
  /** What reconcile puts back at boot, each entry held against the host as it is now. */
  drift: guardedProcedure.query(async ({ ctx }) => {
    const opened = ctx.desired();
    if (!opened.ok) return { available: false as const, reason: opened.reason, entries: [], report: null };
    const desired = opened.store.get();
    const report = await driftNow({ desired, inventory: () => ctx.inventory.get({ fresh: true }).data, ip: ctx.ip });
    return {
      available: true as const,
      reason: null,
      entries: desired.entries.map((e) => ({ key: e.kind, address: e.address, text: describeEntry(e), updatedAt: e.updatedAt, updatedBy: e.updatedBy })),
      report,
    };
  }),
  /** Stop remembering an address (after swapping a card, say): reconcile leaves it alone from then on. */
  forget: guardedProcedure
    .input(z.object({ address: pciAddressSchema }))
    .use(requiresDesiredState)
    .mutation(async ({ ctx, input }) => {
      return { forgotten: (await ctx.desired.forget(input.address, { actor: actorOf(ctx), origin: ctx.origin })).map(describeEntry) };
    }),
});
