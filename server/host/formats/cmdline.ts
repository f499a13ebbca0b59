/**
 * /proc/cmdline: the kernel's command line, one line with a trailing newline (some bootloaders leave NULs
 * between parameters). Pure: parsed by server/host/facts.ts, printed by the simulator.
 */

/** The command line with NULs read as spaces, trimmed: "BOOT_IMAGE=/vmlinuz root=… intel_iommu=on". */
export function parseCmdline(text: string): string {
  return text.replace(/\0/g, " ").trim();
}

export function formatCmdline(cmdline: string): string {
  return `${cmdline}\n`;
}
