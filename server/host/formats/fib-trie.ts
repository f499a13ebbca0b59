/**
 * /proc/net/fib_trie, as net/ipv4/fib_trie.c fib_trie_seq_show prints it: per table a "Main:"/"Local:" (or
 * "Id <n>:") line, then the trie depth first: internal nodes "+-- prefix/len bits full_children empty_children",
 * leaves "|-- address" each followed by its routes "/len scope type" one level deeper. Every level indents three
 * spaces. Pure: parsed by server/host/net.ts, printed by the simulator.
 */

export interface FibTrieRoute {
  prefixLength: number;
  /** "host", "link", "universe" */
  scope: string;
  /** "LOCAL", "UNICAST", "BROADCAST" */
  type: string;
  /** " tos=N" when not 0 */
  tos?: number;
}

export type FibTrieEntry =
  | { kind: "node"; depth: number; prefix: string; prefixLength: number; bits: number; fullChildren: number; emptyChildren: number }
  | { kind: "leaf"; depth: number; address: string; routes: FibTrieRoute[] };

export interface FibTrieTable {
  /** "Main", "Local", "Id 100"; "" for a trie read without its table line */
  name: string;
  entries: FibTrieEntry[];
}

const NODE = /^( *)\+-- (\d+\.\d+\.\d+\.\d+)\/(\d+) (\d+) (\d+) (\d+)\s*$/;
const LEAF = /^( *)\|-- (\d+\.\d+\.\d+\.\d+)\s*$/;
const ROUTE = /^\s+\/(\d+) (\S+) (\S+)(?: tos=(\d+))?\s*$/;
const TABLE = /^(\S.*):\s*$/;

/** The indentation before "+--"/"|--": two spaces, then three a level. */
const depthOf = (spaces: string) => Math.max(0, Math.round((spaces.length - 2) / 3));
const indent = (depth: number) => `${"   ".repeat(depth)}  `;

/** The tables in order; lines that fit none of the shapes are skipped, routes before any leaf too. */
export function parseFibTrie(text: string): FibTrieTable[] {
  const tables: FibTrieTable[] = [];
  let table: FibTrieTable | null = null;
  let leaf: Extract<FibTrieEntry, { kind: "leaf" }> | null = null;
  for (const line of text.split("\n")) {
    const t = TABLE.exec(line);
    if (t) {
      table = { name: t[1]!, entries: [] };
      tables.push(table);
      leaf = null;
      continue;
    }
    // a trie without its table line (a fragment) still reads, as an unnamed table
    if (!table && (NODE.test(line) || LEAF.test(line))) {
      table = { name: "", entries: [] };
      tables.push(table);
    }
    if (!table) continue;
    const n = NODE.exec(line);
    if (n) {
      table.entries.push({
        kind: "node",
        depth: depthOf(n[1]!),
        prefix: n[2]!,
        prefixLength: Number(n[3]),
        bits: Number(n[4]),
        fullChildren: Number(n[5]),
        emptyChildren: Number(n[6]),
      });
      leaf = null;
      continue;
    }
    const l = LEAF.exec(line);
    if (l) {
      leaf = { kind: "leaf", depth: depthOf(l[1]!), address: l[2]!, routes: [] };
      table.entries.push(leaf);
      continue;
    }
    const r = ROUTE.exec(line);
    if (r && leaf) leaf.routes.push({ prefixLength: Number(r[1]), scope: r[2]!, type: r[3]!, ...(r[4] ? { tos: Number(r[4]) } : {}) });
  }
  return tables;
}

export function formatFibTrie(tables: readonly FibTrieTable[]): string {
  const out: string[] = [];
  for (const table of tables) {
    if (table.name) out.push(`${table.name}:`);
    for (const e of table.entries) {
      if (e.kind === "node") {
        out.push(`${indent(e.depth)}+-- ${e.prefix}/${e.prefixLength} ${e.bits} ${e.fullChildren} ${e.emptyChildren}`);
        continue;
      }
      out.push(`${indent(e.depth)}|-- ${e.address}`);
      for (const r of e.routes) out.push(`${indent(e.depth + 1)}/${r.prefixLength} ${r.scope} ${r.type}${r.tos ? ` tos=${r.tos}` : ""}`);
    }
  }
  return `${out.join("\n")}\n`;
}

/** The addresses this host owns: leaves with a "/32 host LOCAL" route, each once, in the order they appear. */
export function fibTrieLocals(tables: readonly FibTrieTable[]): string[] {
  const found = new Set<string>();
  for (const table of tables)
    for (const e of table.entries)
      if (e.kind === "leaf" && e.routes.some((r) => r.prefixLength === 32 && r.scope === "host" && r.type === "LOCAL")) found.add(e.address);
  return [...found];
}
