import { describe, expect, it } from "vitest";
import { formatSwaps, parseSwaps, type SwapEntry } from "./swaps";

// swap_show's layout: a partition and a file; a number of eight digits or more gets no second tab
const SAMPLE =
  "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n" +
  "/dev/nvme0n1p3                          partition\t16777212\t0\t\t-2\n" +
  "/swap.img                               file\t\t67108860\t1048576\t\t-3\n";

describe("/proc/swaps", () => {
  it("reads name, type, sizes and priority", () => {
    expect(parseSwaps(SAMPLE)).toEqual([
      { filename: "/dev/nvme0n1p3", type: "partition", sizeKb: 16777212, usedKb: 0, priority: -2 },
      { filename: "/swap.img", type: "file", sizeKb: 67108860, usedKb: 1048576, priority: -3 },
    ]);
  });

  it("format → parse gives back the swaps", () => {
    const rows: SwapEntry[] = [
      { filename: "/dev/mapper/vg-swap_1-with-a-name-longer-than-forty", type: "partition", sizeKb: 999, usedKb: 12_000_000, priority: 5 },
    ];
    expect(parseSwaps(formatSwaps(rows))).toEqual(rows);
  });

  it("prints the kernel's text back from a parsed sample, byte for byte", () => {
    expect(formatSwaps(parseSwaps(SAMPLE))).toBe(SAMPLE);
  });
});
