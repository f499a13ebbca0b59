import { z } from "zod";
import { isPciAddress } from "@/lib/pci-address";
import { POOL_NAME_PATTERN, romFileSchema } from "@/lib/schemas";
import { DEVICE_ATTRIBUTES, type Plan } from "./plan";

/**
 * What the executor accepts, whoever built the plan: it re-validates every step itself, so a hand-crafted plan
 * (from a compromised web tier, later over the helper's socket) can name nothing outside this list.
 */
const address = z.string().refine(isPciAddress, { message: "must be a canonical PCI address such as 0000:3b:00.0" });
// Kernel driver names: lowercase letters, digits, '-', '_' (vfio-pci, mlx5_core, snd_hda_intel).
const driverName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "must be a kernel driver name such as vfio-pci");

const writeAttribute = z
  .object({
    kind: z.literal("write-attribute"),
    device: address,
    attribute: z.enum(DEVICE_ATTRIBUTES),
    value: z.string().max(32),
  })
  .superRefine((s, ctx) => {
    const ok =
      s.attribute === "sriov_numvfs"
        ? /^\d{1,5}$/.test(s.value) && Number(s.value) <= 65535
        : s.attribute === "sriov_drivers_autoprobe"
          ? s.value === "0" || s.value === "1"
          : s.value === "" || driverName.safeParse(s.value).success;
    if (!ok) ctx.addIssue({ code: "custom", path: ["value"], message: `${JSON.stringify(s.value)} is not a valid value for ${s.attribute}` });
  });

// dev_valid_name(): at most 15 bytes, no '/', ':' or white space; kept to the characters real names use.
const netdevName = z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, "must be a network interface name such as enp65s0f0");

export const vfSettingsSchema = z
  .object({
    mac: z
      .string()
      .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, "must be a MAC address such as 02:11:22:33:44:55")
      .refine((m) => (Number.parseInt(m.slice(0, 2), 16) & 1) === 0 && m !== "00:00:00:00:00:00", "must be a unicast, non-zero MAC")
      .optional(),
    vlan: z.number().int().min(0).max(4094).optional(),
    qos: z.number().int().min(0).max(7).optional(),
    spoofchk: z.boolean().optional(),
    trust: z.boolean().optional(),
    state: z.enum(["auto", "enable", "disable"]).optional(),
    minTxRateMbps: z.number().int().min(0).max(400_000).optional(),
    maxTxRateMbps: z.number().int().min(0).max(400_000).optional(),
  })
  .strict()
  .refine((s) => s.qos === undefined || s.vlan !== undefined, { message: "qos needs a vlan", path: ["qos"] })
  .refine((s) => Object.keys(s).length > 0, { message: "at least one setting" });

// The XML is built from these fields by server/libvirt/hostdev-xml.ts; nothing else reaches libvirt.
const domainRef = z.object({
  uuid: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "must be a libvirt domain UUID"),
  name: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\u0000-\u001f\u007f/]+$/, "must be a libvirt domain name"),
});
const mac = z
  .string()
  .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, "must be a MAC address such as 52:54:00:12:34:56")
  .refine((m) => (Number.parseInt(m.slice(0, 2), 16) & 1) === 0 && m !== "00:00:00:00:00:00", "must be a unicast, non-zero MAC");
const guestDevice = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("hostdev"),
      address,
      managed: z.boolean(),
      rom: z
        .object({ bar: z.enum(["on", "off"]).optional(), file: romFileSchema.optional() })
        .strict()
        .optional(),
      guestAddress: z
        .object({
          bus: z.number().int().min(0).max(255),
          slot: z.number().int().min(0).max(31),
          fn: z.number().int().min(0).max(7),
          multifunction: z.boolean().optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
  z.object({ type: z.literal("interface"), address, mac, vlan: z.number().int().min(1).max(4094).optional() }).strict(),
  z
    .object({
      type: z.literal("pool"),
      network: z
        .string()
        .min(1)
        .max(200)
        .regex(/^[^\u0000-\u001f\u007f/'"<>&-][^\u0000-\u001f\u007f/'"<>&]*$/, "must be a libvirt network name"),
      mac,
      vlan: z.number().int().min(1).max(4094).optional(),
    })
    .strict(),
]);
const target = z.enum(["live", "config"]);
const poolRef = z
  .object({
    name: z.string().regex(POOL_NAME_PATTERN, "must be a pool name of letters, digits, '_', '.' or '-'"),
    pf: address,
    netdev: z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, "must be a network interface name such as enp65s0f0"),
  })
  .strict();

export const planStepSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("attach-device"), domain: domainRef, device: guestDevice, target }).strict(),
  z.object({ kind: z.literal("detach-device"), domain: domainRef, device: guestDevice, target }).strict(),
  z.object({ kind: z.literal("define-pool"), pool: poolRef }).strict(),
  z.object({ kind: z.literal("undefine-pool"), pool: poolRef }).strict(),
  z.object({ kind: z.literal("start-pool"), pool: poolRef }).strict(),
  z.object({ kind: z.literal("stop-pool"), pool: poolRef }).strict(),
  z.object({ kind: z.literal("set-vf"), pf: address, netdev: netdevName, vf: z.number().int().min(0).max(65535), settings: vfSettingsSchema }),
  writeAttribute,
  z.object({ kind: z.literal("unbind-driver"), device: address, driver: driverName }),
  z.object({ kind: z.literal("probe-driver"), device: address, expectDriver: driverName, explicit: z.boolean().optional() }),
  z.object({
    kind: z.literal("wait-for"),
    condition: z.discriminatedUnion("kind", [
      z.object({ kind: z.literal("vf-count"), pf: address, count: z.number().int().min(0).max(65535) }),
      z.object({ kind: z.literal("vf-address"), pf: address, vf: z.number().int().min(0).max(65535), address }),
    ]),
    timeoutMs: z.number().int().min(1).max(300_000),
  }),
]);

export const planSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
  title: z.string().max(200),
  createdAt: z.string().max(40),
  steps: z
    .array(z.object({ step: planStepSchema, summary: z.string().max(500), inverse: planStepSchema.nullable() }))
    .min(1)
    .max(2000),
});

export class PlanRejected extends Error {
  constructor(readonly issues: string[]) {
    super(`plan refused: ${issues.join("; ")}`);
    this.name = "PlanRejected";
  }
}

/** Parses untrusted plan JSON; throws PlanRejected naming every offending field. */
export function validatePlan(input: unknown): Plan {
  const parsed = planSchema.safeParse(input);
  if (!parsed.success) {
    throw new PlanRejected(parsed.error.issues.map((i) => `${i.path.join(".") || "plan"}: ${i.message}`));
  }
  return parsed.data as Plan;
}
