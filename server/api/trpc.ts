import { initTRPC } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import type { Journal } from "@/server/db/journal";
import type { InventoryService } from "@/server/inventory/service";
import { HostError } from "@/server/host/errors";
import { hostErrorShape, toTRPCError } from "./errors";

export interface Context {
  inventory: InventoryService;
  /** the journal, or why it cannot be opened (no data directory yet, no permission): the page says so */
  journal: () => { ok: true; journal: Journal } | { ok: false; reason: string };
}

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
  if (!result.ok && result.error.cause instanceof HostError) throw toTRPCError(result.error.cause);
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Reads the host; anyone who can reach the server may call it (authentication comes with the security issue). */
export const readProcedure = t.procedure.use(mapErrors);
