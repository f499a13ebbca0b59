import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { domainKeySchema, DRIVER_NAME_PATTERN, macSchema, pciAddressSchema, poolNameSchema, romFileSchema, vmVlanSchema } from "@/lib/schemas";
import { vfSettingsSchema } from "@/server/executor/allow-list";
import { callerKey } from "../caller-key";
import { definedOnly } from "../defined-only";
import { actorOf, router, guardedProcedure, type Context } from "../trpc";

const overrides = {
  /** the user accepted the warnings (a shared group, many VFs) */
  confirm: z.boolean().default(false),
  /** the user typed the confirmation for a host-critical device */
  force: z.boolean().default(false),
};

const previewInput = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("sriov"),
    pf: pciAddressSchema,
    count: z.number().int().min(0).max(65535),
    autoprobe: z.boolean(),
    vfs: z
      .array(
        z.object({
          index: z.number().int().min(0).max(65535),
          settings: vfSettingsSchema.optional(),
          vfio: z.boolean().optional(),
          vm: domainKeySchema.optional(),
          pool: poolNameSchema.optional(),
        }),
      )
      .max(4096),
    ...overrides,
  }),
  z.object({ kind: z.literal("device"), address: pciAddressSchema, ...overrides }),
  z.object({
    kind: z.literal("vm-attach"),
    domain: domainKeySchema,
    address: pciAddressSchema,
    as: z.enum(["hostdev", "interface"]).optional(),
    mac: macSchema.optional(),
    vlan: vmVlanSchema.optional(),
    managed: z.boolean().optional(),
    rom: z
      .object({
        bar: z.enum(["on", "off"]).optional(),
        file: romFileSchema.optional(),
      })
      .strict()
      .optional(),
    live: z.boolean().optional(),
    config: z.boolean().optional(),
    allFunctions: z.boolean().optional(),
    placement: z.enum(["pcie", "pci"]).optional(),
    ...overrides,
  }),
  z.object({
    kind: z.literal("pool-create"),
    name: poolNameSchema,
    pf: pciAddressSchema,
    ...overrides,
  }),
  z.object({ kind: z.literal("pool-delete"), name: z.string().min(1).max(200), ...overrides }),
  z.object({
    kind: z.literal("vm-detach"),
    domain: domainKeySchema,
    address: pciAddressSchema,
    live: z.boolean().optional(),
    config: z.boolean().optional(),
    ...overrides,
  }),
  z.object({
    kind: z.literal("vm-attach-pool"),
    domain: domainKeySchema,
    pool: z.string().min(1).max(200),
    mac: macSchema.optional(),
    vlan: vmVlanSchema.optional(),
    live: z.boolean().optional(),
    config: z.boolean().optional(),
    ...overrides,
  }),
  z.object({
    kind: z.literal("vm-detach-pool"),
    domain: domainKeySchema,
    mac: macSchema,
    live: z.boolean().optional(),
    config: z.boolean().optional(),
    ...overrides,
  }),
  z.object({
    kind: z.literal("restore"),
    address: pciAddressSchema,
    hostDriver: z.string().regex(DRIVER_NAME_PATTERN, "must be a kernel driver name such as igbvf").optional(),
    ...overrides,
  }),
]);

const planId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "must be the id of a previewed plan");

/**
 * Who a previewed plan belongs to: the signed-in user (all their sessions) or one API token. Only they may apply it,
 * watch it, keep it or undo it; the preview rate and caps count per owner too.
 */
const planOwner = (ctx: Pick<Context, "caller">): string => callerKey(ctx.caller);

export const plansRouter = router({
  /** Whether this server can apply plans, and why not when it cannot. */
  access: guardedProcedure.query(({ ctx }) => {
    if (ctx.caller?.role !== "admin")
      return {
        canApply: false as const,
        mode: null,
        reason: `${ctx.caller?.name ?? "you"} signed in as a viewer, who may review plans; an admin applies them`,
      };
    const a = ctx.writeAccess();
    return a.ok ? { canApply: true as const, mode: a.mode, reason: null } : { canApply: false as const, mode: null, reason: a.reason };
  }),
  /** Plans a change without touching anything; the plan waits under its id for apply. */
  preview: guardedProcedure.input(previewInput).mutation(({ ctx, input }) => {
    const o = { confirm: input.confirm, force: input.force };
    switch (input.kind) {
      case "sriov": {
        const { pf, count, autoprobe, vfs } = input;
        return ctx.plans.preview({ kind: "sriov", request: definedOnly({ pf, count, autoprobe, vfs }) }, o, planOwner(ctx));
      }
      case "device":
        return ctx.plans.preview({ kind: "device", address: input.address }, o, planOwner(ctx));
      case "restore":
        return ctx.plans.preview({ kind: "restore", address: input.address, ...(input.hostDriver ? { hostDriver: input.hostDriver } : {}) }, o, planOwner(ctx));
      case "vm-attach": {
        const { kind: _k, confirm: _c, force: _f, ...request } = input;
        return ctx.plans.preview({ kind: "vm-attach", request: definedOnly(request) }, o, planOwner(ctx));
      }
      case "vm-attach-pool": {
        const { kind: _k, confirm: _c, force: _f, ...request } = input;
        return ctx.plans.preview({ kind: "vm-attach-pool", request: definedOnly(request) }, o, planOwner(ctx));
      }
      case "vm-detach-pool": {
        const { kind: _k, confirm: _c, force: _f, ...request } = input;
        return ctx.plans.preview({ kind: "vm-detach-pool", request }, o, planOwner(ctx));
      }
      case "pool-create":
        return ctx.plans.preview({ kind: "pool-create", name: input.name, pf: input.pf }, o, planOwner(ctx));
      case "pool-delete":
        return ctx.plans.preview({ kind: "pool-delete", name: input.name }, o, planOwner(ctx));
      case "vm-detach": {
        const { kind: _k, confirm: _c, force: _f, ...request } = input;
        return ctx.plans.preview({ kind: "vm-detach", request: definedOnly(request) }, o, planOwner(ctx));
      }
    }
  }),
  /** Applies a previewed plan ("apply" is reserved by tRPC routers); resolves when it has finished. Watch `progress` for the steps as they happen. */
  execute: guardedProcedure
    .input(z.object({ planId }))
    .mutation(({ ctx, input }) => ctx.plans.apply(input.planId, { actor: actorOf(ctx), origin: ctx.origin }, planOwner(ctx))),
  /**
   * "Keep these changes": a plan that touches networking is undone by the dead-man switch unless this arrives, as a
   * new request, within the window (PASSDECK_CONFIRM_WINDOW_S).
   */
  confirm: guardedProcedure.input(z.object({ planId }).strict()).mutation(async ({ ctx, input }) => {
    const outcome = await ctx.plans.confirm(input.planId, { actor: actorOf(ctx), origin: ctx.origin }, planOwner(ctx));
    if (!outcome.ok) throw new TRPCError({ code: "NOT_FOUND", message: outcome.reason });
    return outcome;
  }),
  /** "Undo now": the switch's undo, without waiting for the window to close. */
  revert: guardedProcedure.input(z.object({ planId }).strict()).mutation(async ({ ctx, input }) => {
    const outcome = await ctx.plans.revert(input.planId, { actor: actorOf(ctx), origin: ctx.origin }, planOwner(ctx));
    if (!outcome.ok) throw new TRPCError({ code: "NOT_FOUND", message: outcome.reason });
    return outcome;
  }),
  /** Applied plans waiting for their confirmation, and their deadlines. */
  pendingConfirmations: guardedProcedure.query(async ({ ctx }) => ({ serverNowMs: Date.now(), pending: await ctx.plans.pendingConfirmations(planOwner(ctx)) })),
  /** Each step of a plan's apply as it is verified, then the result; replays from the start for late watchers. */
  progress: guardedProcedure.input(z.object({ planId })).subscription(async function* ({ ctx, input, signal }) {
    yield* ctx.plans.progress(input.planId, planOwner(ctx), signal);
  }),
});
