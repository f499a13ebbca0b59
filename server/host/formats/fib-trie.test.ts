import { describe, expect, it } from "vitest";
import { fibTrieLocals, formatFibTrie, parseFibTrie, type FibTrieTable } from "./fib-trie";

// a QEMU guest's trie as its 6.x kernel printed it (nodes wider than one bit)
const SAMPLE = `Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 192.0.2.0/24 2 0 2
        +-- 192.0.2.0/30 2 0 2
           |-- 192.0.2.0
              /24 link UNICAST
           |-- 192.0.2.2
              /32 host LOCAL
        |-- 192.0.2.255
           /32 link BROADCAST
Local:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
`;

describe("/proc/net/fib_trie", () => {
  it("reads the tables, nodes, leaves and their routes; the host's own addresses are the /32 host LOCAL leaves", () => {
    const tables = parseFibTrie(SAMPLE);
    expect(tables.map((t) => t.name)).toEqual(["Main", "Local"]);
    expect(tables[0]!.entries[0]).toEqual({ kind: "node", depth: 0, prefix: "0.0.0.0", prefixLength: 0, bits: 3, fullChildren: 0, emptyChildren: 5 });
    expect(tables[0]!.entries[1]).toEqual({ kind: "leaf", depth: 1, address: "0.0.0.0", routes: [{ prefixLength: 0, scope: "universe", type: "UNICAST" }] });
    expect(fibTrieLocals(tables)).toEqual(["127.0.0.1", "192.0.2.2"]);
  });

  it("format → parse gives back the tables (a tos included)", () => {
    const tables: FibTrieTable[] = [
      {
        name: "Id 100",
        entries: [
          { kind: "node", depth: 0, prefix: "10.0.0.0", prefixLength: 30, bits: 2, fullChildren: 0, emptyChildren: 1 },
          { kind: "leaf", depth: 1, address: "10.0.0.1", routes: [{ prefixLength: 32, scope: "host", type: "LOCAL", tos: 4 }] },
        ],
      },
    ];
    expect(parseFibTrie(formatFibTrie(tables))).toEqual(tables);
  });

  it("prints the kernel's text back from a parsed sample, byte for byte", () => {
    expect(formatFibTrie(parseFibTrie(SAMPLE))).toBe(SAMPLE);
  });

  it("reads a trie without its table line", () => {
    expect(fibTrieLocals(parseFibTrie("  |-- 10.1.2.3\n     /32 host LOCAL\n"))).toEqual(["10.1.2.3"]);
  });
});
