/**
 * /proc/interrupts, as kernel/irq/proc.c show_interrupts prints it: a header of online CPUs, then one line an irq —
 * "%*d: " (width ≥ 3), "%10u " a CPU, " %8s" the chip, " %*lu" the hwirq, "-%-8s" the flow handler, "  " and the
 * actions joined by ", " — and the architecture's counters ("NMI:", "LOC:", … with "  " and a description; "ERR:"
 * and "MIS:" with one number). Pure: parsed by server/host/facts.ts, printed by the simulator.
 */

export interface InterruptSource {
  /** the irq chip: "IR-PCI-MSIX-0000:03:00.0", "IO-APIC", "DMAR-MSI" */
  chip: string;
  hwirq: number;
  /** the flow handler: "edge", "fasteoi" */
  handler: string;
  /** the actions' names joined by ", " ("" when none) */
  actions: string;
}

export interface InterruptLine {
  /** "24", or an architecture counter's name ("NMI", "LOC", "ERR") */
  irq: string;
  /** a count a CPU column (ERR and MIS: one in all) */
  counts: number[];
  /** a numbered irq's chip, hwirq, handler and actions; null for the counters and for lines read no other way */
  source: InterruptSource | null;
  /** a counter's description ("Non-maskable interrupts"), or what follows the counts on a line read no other way */
  description: string;
}

export interface Interrupts {
  /** the online CPUs' numbers, as the header names them */
  cpus: number[];
  lines: InterruptLine[];
}

const SOURCE = /^\s+(\S+)\s+(\d+)-(\S+)(?: {2}(.*))?$/;

export function parseInterrupts(text: string): Interrupts {
  const cpus: number[] = [];
  const lines: InterruptLine[] = [];
  for (const line of text.split("\n")) {
    if (cpus.length === 0 && lines.length === 0 && /^\s+CPU\d+/.test(line)) {
      for (const m of line.matchAll(/CPU(\d+)/g)) cpus.push(Number(m[1]));
      continue;
    }
    const head = /^\s*([^\s:]+):(.*)$/.exec(line);
    if (!head) continue;
    let rest = head[2]!;
    const counts: number[] = [];
    for (let m = /^\s+(\d+)(?=\s|$)/.exec(rest); m && (cpus.length === 0 || counts.length < cpus.length); m = /^\s+(\d+)(?=\s|$)/.exec(rest)) {
      counts.push(Number(m[1]));
      rest = rest.slice(m[0].length);
    }
    const s = /^\d+$/.test(head[1]!) ? SOURCE.exec(rest.trimEnd()) : null;
    lines.push({
      irq: head[1]!,
      counts,
      source: s ? { chip: s[1]!, hwirq: Number(s[2]), handler: s[3]!, actions: s[4]?.trim() ?? "" } : null,
      description: s ? "" : rest.trim(),
    });
  }
  return { cpus, lines };
}

export function formatInterrupts(table: Interrupts): string {
  // the irq column's width: 3, more when an irq number (or counter name) needs it
  const prec = Math.max(3, ...table.lines.map((l) => l.irq.length));
  const counts = (l: InterruptLine) => l.counts.map((c) => `${String(c).padStart(10)} `).join("");
  let out = `${" ".repeat(prec + 8)}${table.cpus.map((c) => `CPU${String(c).padEnd(8)}`).join("")}\n`;
  for (const l of table.lines) {
    const irq = `${l.irq.padStart(prec)}:`;
    if (l.source) {
      const s = l.source;
      out += `${irq} ${counts(l)} ${s.chip.padStart(8)} ${String(s.hwirq).padStart(prec)}-${s.handler.padEnd(8)}  ${s.actions}\n`;
    } else if (l.description) out += `${irq} ${counts(l)}  ${l.description}\n`;
    else out += `${irq} ${l.counts.map((c) => String(c).padStart(10)).join(" ")}\n`;
  }
  return out;
}

/** Each line's irq chip (a line read no other way: its text after the counts), what interrupt remapping is told by. */
export function interruptChips(table: Interrupts): string[] {
  return table.lines.map((l) => l.source?.chip ?? l.description);
}
