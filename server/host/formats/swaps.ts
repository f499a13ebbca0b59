/**
 * /proc/swaps, as mm/swapfile.c swap_show prints it: the path (escaped " \t\n\\", kept as printed here) padded to
 * 40 columns, then "partition" or "file\t", size, used (KiB) and priority, tab-separated with an extra tab after a
 * number shorter than eight digits. Pure: parsed by server/host/storage.ts, printed by the simulator.
 */

export interface SwapEntry {
  /** as printed (octal escapes kept) */
  filename: string;
  type: "partition" | "file";
  sizeKb: number;
  usedKb: number;
  priority: number;
}

const HEADER = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";

/** Every line after the header with a name and a type. */
export function parseSwaps(text: string): SwapEntry[] {
  const out: SwapEntry[] = [];
  for (const line of text.split("\n").slice(1)) {
    const [filename, type, size, used, priority] = line.trim().split(/\s+/);
    if (!filename || (type !== "partition" && type !== "file")) continue;
    out.push({ filename, type, sizeKb: Number(size ?? 0), usedKb: Number(used ?? 0), priority: Number(priority ?? 0) });
  }
  return out;
}

export function formatSwaps(entries: readonly SwapEntry[]): string {
  const rows = entries.map((s) => {
    const pad = s.filename.length < 40 ? 40 - s.filename.length : 1;
    const tab = (n: number) => (n < 10_000_000 ? "\t" : "");
    return `${s.filename}${" ".repeat(pad)}${s.type === "partition" ? "partition" : "file\t"}\t${s.sizeKb}\t${tab(s.sizeKb)}${s.usedKb}\t${tab(s.usedKb)}${s.priority}\n`;
  });
  return HEADER + rows.join("");
}
