import { z } from "zod";
import { parsePciAddress } from "./pci-address";

/** A PCI address in any accepted form, normalised to the kernel's "0000:65:00.0"; the error says what is expected. */
export const pciAddressSchema = z.string().max(64).transform((value, ctx) => {
  const parsed = parsePciAddress(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: "custom", message: parsed.error });
    return z.NEVER;
  }
  return parsed.address;
});
