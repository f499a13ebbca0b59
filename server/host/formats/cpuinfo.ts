/**
 * /proc/cpuinfo on x86 (arch/x86/kernel/cpu/proc.c show_cpuinfo): one block a CPU, blank-line separated, each line
 * "name<tabs>: value" with the name padded by tabs to the 16th column ("model\t\t:", "model name\t:"); the
 * block's last line is "power management:" and its flags. Pure: parsed by server/host/facts.ts, printed by the
 * simulator.
 */

/** One CPU's fields in order, values trimmed. */
export type CpuinfoBlock = [name: string, value: string][];

export function parseCpuinfo(text: string): CpuinfoBlock[] {
  return text
    .split("\n\n")
    .map((block) =>
      block
        .split("\n")
        .filter((line) => line.includes(":"))
        .map((line): [string, string] => {
          const colon = line.indexOf(":");
          return [line.slice(0, colon).trimEnd(), line.slice(colon + 1).trim()];
        }),
    )
    .filter((block) => block.length > 0);
}

export function formatCpuinfo(cpus: readonly CpuinfoBlock[]): string {
  const line = ([name, value]: [string, string]) =>
    name === "power management" ? `${name}:${value ? ` ${value}` : ""}` : `${name}${name.length < 8 ? "\t\t" : "\t"}: ${value}`;
  return `${cpus.map((block) => block.map(line).join("\n")).join("\n\n")}\n\n`;
}

/** A field of a CPU's block; null when it has none. */
export function cpuinfoField(block: CpuinfoBlock | undefined, name: string): string | null {
  return block?.find(([n]) => n === name)?.[1] ?? null;
}
