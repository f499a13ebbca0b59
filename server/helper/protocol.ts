/**
 * The privileged helper's socket protocol: one request per connection, a JSON line; answers are JSON lines (step
 * reports as they happen, then one "done" or "error"). The helper parses every request with these schemas and the
 * plan with the executor's allow-list (never trusting the web tier); the client maps errors back to the same
 * classes, so the API's error table treats a helper refusal as it treats a local one.
 */
import { z } from "zod";

/** A request line longer than this is refused unread (a plan of 2,000 steps is well under it). */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

const meta = z
  .object({
    actor: z.string().min(1).max(200).regex(/^[^\u0000-\u001f\u007f]+$/, "must be printable"),
    origin: z.string().max(100).regex(/^[0-9A-Za-z.:%-]*$/, "must be an IP address").nullable(),
  })
  .strict();
const planId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "must be a plan id");

export const helperRequestSchema = z.discriminatedUnion("op", [
  // the plan stays unknown here: the allow-list (validatePlan) names every offending field, and the refusal is journaled
  z.object({ op: z.literal("apply"), plan: z.unknown(), meta }).strict(),
  z.object({ op: z.literal("confirm"), planId, meta }).strict(),
  z.object({ op: z.literal("revert"), planId, meta }).strict(),
  z.object({ op: z.literal("pending") }).strict(),
  z.object({ op: z.literal("hello") }).strict(),
]);
export type HelperRequest = z.infer<typeof helperRequestSchema>;

/** Error names the client turns back into its own classes. */
export const HELPER_ERRORS = ["PlanRejected", "PlanBusy", "JournalBusy", "BadRequest", "Failed"] as const;
export type HelperErrorName = (typeof HELPER_ERRORS)[number];

export type HelperLine =
  | { type: "step"; report: unknown }
  | { type: "done"; value: unknown }
  | { type: "error"; name: HelperErrorName; message: string; issues?: string[]; running?: string };
