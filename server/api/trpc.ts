import { initTRPC } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import type { Journal } from "@/server/db/journal";
import type { DesiredStore } from "@/server/desired/store";
import type { InventoryService } from "@/server/inventory/service";
import type { IpLink } from "@/server/host/ip-link";
import type { PlanService, WriteAccess } from "@/server/plans/plan-service";
import { hostErrorShape, knownError, toTRPCError } from "./errors";

export interface Context {
  inventory: InventoryService;
  /** the journal, or why it cannot be opened (no data directory yet, no permission): the page says so */
  journal: () => { ok: true; journal: Journal } | { ok: false; reason: string };
  /** the desired state reconcile puts back at boot, on the journal's database */
  desired: () => { ok: true; store: DesiredStore } | { ok: false; reason: string };
  /** whether this server may change the host (a real sysfs, or the demo's simulated kernel), and how */
  writeAccess: () => WriteAccess;
  plans: PlanService;
  /** iproute2 for reads (vfinfo_list); writes go through the executor */
  ip: IpLink;
  /** libvirt's VMs; null when this server has none configured (a demo host without PASSDECK_LIBVIRT_URI) */
  libvirt: LibvirtService | null;
  /** the latency store the probe agent writes and the live feed over it, or why the database cannot be opened */
  latency: () => { ok: true; store: ProbeStore; feed: LiveFeed } | { ok: false; reason: string };
  /** the client's address as the server saw it (x-forwarded-for from Next's server), for the journal */
  origin: string | null;
}

import type { LibvirtService } from "@/server/libvirt/service";
import type { LiveFeed } from "@/server/probes/live-feed";
import type { ProbeStore } from "@/server/probes/store";

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: {
        ...shape.data,
        stack: undefined,
        zodError: error.cause instanceof z.ZodError ? z.flattenError(error.cause) : null,
        hostError: hostErrorShape(error.cause),
      },
    };
  },
});

/** Every thrown host error leaves through the one mapping table. */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && knownError(result.error.cause)) throw toTRPCError(result.error.cause);
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Reads the host; anyone who can reach the server may call it (authentication comes with the security issue). */
export const readProcedure = t.procedure.use(mapErrors);
/** Changes the host through a reviewed plan. Until the security issue lands, the server listens on loopback only. */
export const writeProcedure = t.procedure.use(mapErrors);
