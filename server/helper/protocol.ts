/**
 * The privileged helper's socket protocol: one request per connection, a JSON line; answers are JSON lines (step
 * reports as they happen, then one "done" or "error"). The helper parses every request with these schemas and the
 * plan with the executor's allow-list (never trusting the web tier); the client maps errors back to the same
 * classes, so the API's error table treats a helper refusal as it treats a local one.
 */
import { z } from "zod";
import { WEB_AUDIT_ACTIONS } from "@/server/auth/audit";

/** A request line longer than this is refused unread (a plan of 2,000 steps is well under it). */
export const MAX_REQUEST_BYTES = 2 * 1024 * 1024;

const meta = z
  .object({
    actor: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[^\u0000-\u001f\u007f]+$/, "must be printable"),
    origin: z
      .string()
      .max(100)
      .regex(/^[0-9A-Za-z.:%-]*$/, "must be an IP address")
      .nullable(),
  })
  .strict();
const planId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "must be a plan id");
const pciAddress = z.string().regex(/^[0-9a-f]{4,5}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/, "must be a PCI address such as 0000:3b:00.0");
/** What the reviewer accepted; the helper re-checks it against its own scan (plans/step-guard.ts). */
const overrides = z.object({ confirm: z.boolean(), force: z.array(pciAddress).max(64) }).strict();
const text = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/, "must be printable");

export const helperRequestSchema = z.discriminatedUnion("op", [
  // the plan stays unknown here: the allow-list (validatePlan) names every offending field, and the refusal is journaled
  z.object({ op: z.literal("apply"), plan: z.unknown(), meta, overrides: overrides.optional() }).strict(),
  z.object({ op: z.literal("confirm"), planId, meta }).strict(),
  z.object({ op: z.literal("revert"), planId, meta }).strict(),
  z.object({ op: z.literal("pending") }).strict(),
  z.object({ op: z.literal("hello") }).strict(),
  // the web tier may only read the host records: what it must add to them (its own doings, never a plan's), it asks for
  z
    .object({
      op: z.literal("audit"),
      action: z.enum(WEB_AUDIT_ACTIONS),
      actor: text(200).nullable(),
      source: text(100).nullable(),
      detail: text(500).nullable(),
    })
    .strict(),
  z.object({ op: z.literal("forget-desired"), address: pciAddress, meta }).strict(),
]);
export type HelperRequest = z.infer<typeof helperRequestSchema>;

/** Error names the client turns back into its own classes. */
export const HELPER_ERRORS = ["PlanRejected", "PlanUnsafe", "PlanReused", "PlanBusy", "JournalBusy", "BadRequest", "Busy", "Failed"] as const;
export type HelperErrorName = (typeof HELPER_ERRORS)[number];

export type HelperLine =
  | { type: "step"; report: unknown }
  | { type: "done"; value: unknown }
  | { type: "error"; name: HelperErrorName; message: string; issues?: string[]; running?: string; refusals?: unknown[] };
