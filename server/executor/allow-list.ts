import { z } from "zod";
import {
  canonicalMacSchema,
  canonicalPciAddressSchema as address,
  DOMAIN_UUID_PATTERN,
  driverNameSchema as driverName,
  netdevNameSchema as netdevName,
  POOL_NAME_PATTERN,
  romFileSchema,
} from "@/lib/schemas";
import type { Plan } from "./plan";

/**
 * What the executor accepts, whoever built the plan: it re-validates every step itself, so a hand-crafted plan
 * (from a compromised web tier, later over the helper's socket) can name nothing outside this list. The Plan types
 * (plan.ts) are inferred from these schemas: there is no second description of a plan to drift from this one.
 */

/** sysfs attributes a plan may write, relative to a PCI device directory. Nothing else can be written. */
export const DEVICE_ATTRIBUTES = ["sriov_numvfs", "sriov_drivers_autoprobe", "driver_override"] as const;

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

/** Per-VF settings applied through the PF with `ip link set <pf> vf <n> …` (argument arrays, never a shell). */
export const vfSettingsSchema = z
  .object({
    mac: canonicalMacSchema("02:11:22:33:44:55").optional(),
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

/** A libvirt domain: the UUID is what virsh is given; the name is for people. */
export const domainRefSchema = z.object({
  uuid: z.string().regex(DOMAIN_UUID_PATTERN, "must be a libvirt domain UUID"),
  name: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\u0000-\u001f\u007f/]+$/, "must be a libvirt domain name"),
});
const mac = canonicalMacSchema("52:54:00:12:34:56");
const guestVlan = z.number().int().min(1).max(4094).optional();

/**
 * What a VM takes: a PCI function as `<hostdev>`, or a network VF as `<interface type='hostdev'>` (libvirt sets its
 * MAC/VLAN through the PF), or any free VF of a VF pool. The XML is built from these fields by
 * server/libvirt/hostdev-xml.ts; nothing else reaches libvirt.
 */
export const guestDeviceSchema = z.discriminatedUnion("type", [
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
  /** the MAC is always given: libvirt matches an interface to detach by MAC, so the undo needs it */
  z.object({ type: z.literal("interface"), address, mac, vlan: guestVlan }).strict(),
  /** any free VF of a VF pool (a hostdev network), handed out by libvirt when the VM starts: no host address */
  z
    .object({
      type: z.literal("pool"),
      network: z
        .string()
        .min(1)
        .max(200)
        .regex(/^[^\u0000-\u001f\u007f/'"<>&-][^\u0000-\u001f\u007f/'"<>&]*$/, "must be a libvirt network name"),
      mac,
      vlan: guestVlan,
    })
    .strict(),
]);
const target = z.enum(["live", "config"]);

/** A VF pool and the PF (address and interface) it hands out VFs of. */
export const poolRefSchema = z
  .object({
    name: z.string().regex(POOL_NAME_PATTERN, "must be a pool name of letters, digits, '_', '.' or '-'"),
    pf: address,
    netdev: netdevName,
  })
  .strict();

export const waitConditionSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("vf-count"), pf: address, count: z.number().int().min(0).max(65535) }),
  /** virtfn<vf> of the PF points at `address`: checks the address a plan predicted from offset/stride before using it */
  z.object({ kind: z.literal("vf-address"), pf: address, vf: z.number().int().min(0).max(65535), address }),
]);

export const planStepSchema = z.discriminatedUnion("kind", [
  /**
   * `virsh attach-device <uuid> --live|--config` of XML the executor builds from `device` (never XML from input);
   * verified by reading the domain's XML back. Live and persistent definitions are separate steps: their guest
   * addresses differ, and either may fail on its own.
   */
  z.object({ kind: z.literal("attach-device"), domain: domainRefSchema, device: guestDeviceSchema, target }).strict(),
  z.object({ kind: z.literal("detach-device"), domain: domainRefSchema, device: guestDeviceSchema, target }).strict(),
  /**
   * A VF pool: a libvirt network `<forward mode='hostdev' managed='yes'><pf dev=netdev/>` (net-define + net-autostart),
   * whose XML the executor builds; verified with net-dumpxml. start/stop are net-start/net-destroy.
   */
  z.object({ kind: z.literal("define-pool"), pool: poolRefSchema }).strict(),
  z.object({ kind: z.literal("undefine-pool"), pool: poolRefSchema }).strict(),
  z.object({ kind: z.literal("start-pool"), pool: poolRefSchema }).strict(),
  z.object({ kind: z.literal("stop-pool"), pool: poolRefSchema }).strict(),
  /** `ip link set dev <netdev> vf <vf> …`, one setting at a time so a refused setting is named; read back from vfinfo_list */
  z.object({ kind: z.literal("set-vf"), pf: address, netdev: netdevName, vf: z.number().int().min(0).max(65535), settings: vfSettingsSchema }),
  writeAttribute,
  /** `echo <addr> > bus/pci/devices/<addr>/driver/unbind`; verified by the driver link disappearing */
  z.object({ kind: z.literal("unbind-driver"), device: address, driver: driverName }),
  /**
   * `echo <addr> > bus/pci/drivers_probe` (driver_override decides), or `bus/pci/drivers/<driver>/bind` when
   * `explicit`; verified by the driver link, because drivers_probe succeeds even when nothing bound.
   */
  z.object({ kind: z.literal("probe-driver"), device: address, expectDriver: driverName, explicit: z.boolean().optional() }),
  z.object({ kind: z.literal("wait-for"), condition: waitConditionSchema, timeoutMs: z.number().int().min(1).max(300_000) }),
]);

export const plannedStepSchema = z.object({
  step: planStepSchema,
  /** what the step does, in words */
  summary: z.string().max(500),
  /** the step that undoes it; null for waits and for steps whose undo is another step of the plan */
  inverse: planStepSchema.nullable(),
});

export const planSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
  title: z.string().max(200),
  createdAt: z.string().max(40),
  steps: z.array(plannedStepSchema).min(1).max(2000),
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
  return parsed.data;
}
