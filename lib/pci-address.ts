/**
 * PCI addresses in the kernel's canonical form, "0000:65:00.0" (domain:bus:device.function, lowercase hex).
 * Client-safe: used by the CLI, the routers' zod schemas and the pages alike.
 */
// Domains are %04x but VMD domains have five digits (10000:e1:00.0).
const FULL = /^([0-9a-f]{4,5}):([0-9a-f]{2}):([0-1][0-9a-f])\.([0-7])$/;
const SHORT = /^([0-9a-f]{2}):([0-1][0-9a-f])\.([0-7])$/;

export interface PciAddressParts {
  domain: number;
  bus: number;
  device: number;
  fn: number;
}

export type ParsedAddress = { ok: true; address: string; parts: PciAddressParts } | { ok: false; error: string };

/** Accepts "0000:65:00.0" or the lspci short form "65:00.0" (domain 0000); anything else is refused with the reason. */
export function parsePciAddress(input: string): ParsedAddress {
  const text = input.trim().toLowerCase();
  const m = FULL.exec(text) ?? SHORT.exec(text);
  if (!m) {
    const shown = JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
    return {
      ok: false,
      error: `${shown} is not a PCI address: expected domain:bus:device.function such as 0000:65:00.0 (device 00-1f, function 0-7)`,
    };
  }
  const [domain, bus, device, fn] = m.length === 5 ? [m[1]!, m[2]!, m[3]!, m[4]!] : ["0000", m[1]!, m[2]!, m[3]!];
  const parts = {
    domain: Number.parseInt(domain, 16),
    bus: Number.parseInt(bus, 16),
    device: Number.parseInt(device, 16),
    fn: Number.parseInt(fn, 16),
  };
  return { ok: true, address: formatPciAddress(parts), parts };
}

export function isPciAddress(text: string): boolean {
  return FULL.test(text);
}

export function formatPciAddress(p: PciAddressParts): string {
  const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
  return `${hex(p.domain, 4)}:${hex(p.bus, 2)}:${hex(p.device, 2)}.${hex(p.fn, 1)}`;
}

/** "0000:65:00.0" → "0000:65:00": the slot shared by the functions of one multifunction device. */
export function slotOf(address: string): string {
  return address.slice(0, address.lastIndexOf("."));
}

/** Numeric sort key so 0000:0a:00.0 sorts before 0000:65:00.0 and .10 functions never appear. */
export function comparePciAddresses(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The address the kernel gives VF `index` of a PF (pci_iov_virtfn_bus/devfn in drivers/pci/iov.c): the PF's routing
 * ID plus sriov_offset plus index × sriov_stride, carried into the bus number. The same domain as the PF.
 */
export function vfAddressOf(pfAddress: string, offset: number, stride: number, index: number): string | null {
  const pf = parsePciAddress(pfAddress);
  if (!pf.ok) return null;
  const rid = (pf.parts.bus << 8) + (pf.parts.device << 3) + pf.parts.fn + offset + stride * index;
  if (rid > 0xffff) return null;
  return formatPciAddress({ domain: pf.parts.domain, bus: rid >> 8, device: (rid >> 3) & 0x1f, fn: rid & 0x7 });
}
