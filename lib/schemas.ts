import { z } from "zod";
import { checkMac } from "./mac";
import { parsePciAddress } from "./pci-address";

/** A PCI address in any accepted form, normalised to the kernel's "0000:65:00.0"; the error says what is expected. */
export const pciAddressSchema = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const parsed = parsePciAddress(value);
    if (!parsed.ok) {
      ctx.addIssue({ code: "custom", message: parsed.error });
      return z.NEVER;
    }
    return parsed.address;
  });

/** A MAC as users type it (any case, '-' or ':'), normalised; unicast and non-zero, as a VF needs. */
export const macSchema = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const m = checkMac(value);
    if (!m.ok) {
      ctx.addIssue({ code: "custom", message: m.error });
      return z.NEVER;
    }
    return m.mac;
  });

/**
 * A VM as the user names it: its UUID or its libvirt name. Never reaches a shell, and is looked up among the listed
 * domains before virsh sees anything (by UUID).
 */
export const domainKeySchema = z
  .string()
  .min(1, "name the VM (its name or UUID)")
  .max(200, "a VM name is at most 200 characters")
  .refine((v) => !/[\u0000-\u001f\u007f/]/.test(v), "a VM name cannot contain '/' or control characters");

/** The VLAN a VM's VF interface is tagged with (libvirt's `<vlan><tag id=…/>`); no VLAN is no value, not 0. */
export const vmVlanSchema = z.number().int().min(1, "a VLAN is 1 to 4094 (leave it empty for none)").max(4094, "a VLAN is 1 to 4094");

/**
 * A ROM file for a passed-through device (`<rom file=…/>`): an absolute path libvirt's QEMU can read, one schema for
 * the form, the plans router and the executor's allow-list. libvirt hands the file to QEMU (and may relabel it for
 * QEMU's user), so it is named plainly, without '.', '..' or empty parts, and never a device or kernel file.
 */
export const romFileSchema = z
  .string()
  .regex(/^\/[A-Za-z0-9._\/-]{1,255}$/, "must be an absolute path such as /usr/share/vgabios/gpu.rom")
  .refine(
    (f) =>
      !f
        .split("/")
        .slice(1)
        .some((part) => part === "" || part === "." || part === ".."),
    "must name a file plainly, without '.', '..' or '//' (such as /usr/share/vgabios/gpu.rom)",
  )
  .refine((f) => !/^\/(dev|proc|sys|run)(\/|$)/.test(f), "must be a ROM file, not a device or kernel file under /dev, /proc, /sys or /run");

/**
 * A VF pool's libvirt network name, kept to what every tool quotes safely: the pattern and words of the plans router's
 * pool-create input (and of POOL_NAME in server/libvirt/network-xml.ts), so the browser's form says what the server would.
 */
/** libvirt network names Passdeck creates: what every tool quotes safely. */
export const POOL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$/;
export const poolNameSchema = z.string().regex(POOL_NAME_PATTERN, "a pool name is 1 to 50 letters, digits, '_', '.' or '-', starting with a letter or digit");
