/**
 * The primitive schemas, one set for the browser's forms, the routers, the executor's allow-list and the modules that
 * build libvirt XML. Client-safe: plain zod, no node: imports. The canonical forms a plan carries (exact, nothing
 * normalised: the allow-list re-validates plans it did not build), the forms people type (normalised), and the names
 * that are the same in both.
 */
import { z } from "zod";
import { checkMac, isUnicastMac, MAC_PATTERN } from "./mac";
import { isPciAddress, parsePciAddress } from "./pci-address";

// ── canonical forms, as plans carry them ────────────────────────────────────────────────────────────────────

/** A PCI address exactly as the kernel writes it ("0000:3b:00.0"). */
export const canonicalPciAddressSchema = z.string().refine(isPciAddress, { message: "must be a canonical PCI address such as 0000:3b:00.0" });

/** Kernel driver names: lowercase letters, digits, '-', '_' (vfio-pci, mlx5_core, snd_hda_intel). */
export const DRIVER_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const driverNameSchema = z.string().regex(DRIVER_NAME_PATTERN, "must be a kernel driver name such as vfio-pci");

/** dev_valid_name(): at most 15 bytes, no '/', ':' or white space; kept to the characters real names use. */
export const NETDEV_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,15}$/;
export const netdevNameSchema = z.string().regex(NETDEV_NAME_PATTERN, "must be a network interface name such as enp65s0f0");

/** A MAC in canonical form (lowercase, ':'), unicast and non-zero; `example` is the address the message suggests. */
export const canonicalMacSchema = (example: string) =>
  z.string().regex(MAC_PATTERN, `must be a MAC address such as ${example}`).refine(isUnicastMac, "must be a unicast, non-zero MAC");

/** A libvirt domain's UUID as virsh prints it. */
export const DOMAIN_UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// ── as people type them ─────────────────────────────────────────────────────────────────────────────────────

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

// ── both: what a form takes is already what a plan carries ────────────────────────────────────────────────────

/**
 * A ROM file for a passed-through device (`<rom file=…/>`): an absolute path libvirt's QEMU can read, one schema for
 * the form, the plans router and the executor's allow-list. libvirt hands the file to QEMU (and may relabel it for
 * QEMU's user), so it is named plainly, without '.', '..' or empty parts, and never a device or kernel file.
 */
export const ROM_FILE_PATTERN = /^\/[A-Za-z0-9._/-]{1,255}$/;
export const romFileSchema = z
  .string()
  .regex(ROM_FILE_PATTERN, "must be an absolute path such as /usr/share/vgabios/gpu.rom")
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
 * A VF pool's libvirt network name, kept to what every tool quotes safely. The same words from the browser's form,
 * the plans router, the pool planner and the network XML builder, so the form says what the server would.
 */
export const POOL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$/;
export const POOL_NAME_RULE = "a pool name is 1 to 50 letters, digits, '_', '.' or '-', starting with a letter or digit";
export const poolNameSchema = z.string().regex(POOL_NAME_PATTERN, POOL_NAME_RULE);
