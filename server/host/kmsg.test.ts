import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KernelLog, lastSeq, linesSince, parseKmsg } from "./kmsg";
import { SAMPLE_KMSG } from "@/server/host/kmsg-sample";

const work = mkdtempSync(join(tmpdir(), "passdeck-kmsg-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("KernelLog", () => {
  it("gives the records after a mark, in kmsg's record format", () => {
    // A regular file stands in for /dev/kmsg here; the rig reads the real device.
    const file = join(work, "kmsg");
    writeFileSync(file, "6,100,5000,-;igb 0000:01:00.0: enabling 2 VFs\n SUBSYSTEM=pci\n");
    const log = new KernelLog(file);
    const mark = log.mark();
    expect(mark).toBe(100);
    writeFileSync(file, "6,100,5000,-;igb 0000:01:00.0: enabling 2 VFs\n4,101,6000,-;pci 0000:01:00.0: 2 VFs already enabled. Disable before enabling 3 VFs\n");
    expect(log.since(mark)).toEqual(["pci 0000:01:00.0: 2 VFs already enabled. Disable before enabling 3 VFs"]);
  });

  it("answers no lines, not an error, when the log cannot be read", () => {
    const log = new KernelLog(join(work, "missing"));
    expect(log.since(log.mark())).toEqual([]);
  });
});

describe("parseKmsg / linesSince", () => {
  const kmsg = SAMPLE_KMSG;

  it("parses records, skips dictionary lines, unescapes \\xNN", () => {
    const records = parseKmsg(kmsg);
    expect(records.map((r) => r.seq)).toEqual([1517, 1518, 1519, 1520]);
    expect(records[1]).toEqual({ seq: 1518, usec: 12873345123, message: "ixgbe 0000:05:00.0: not enough MMIO resources for SR-IOV" });
    expect(records[3]!.message).toBe("path with backslash \\ and tab\tend");
  });

  it("joins old-style continuation fragments (flag +)", () => {
    const records = parseKmsg("6,10,100,c;vfio-pci 0000:0b:10.0: \n6,11,101,+;enabling device\n");
    expect(records).toEqual([{ seq: 10, usec: 100, message: "vfio-pci 0000:0b:10.0: enabling device" }]);
  });

  it("takes the messages after a sequence number; an empty log's mark is -1", () => {
    const records = parseKmsg(kmsg);
    expect(linesSince(records, lastSeq(records.slice(0, 2)))).toEqual([
      "ixgbe 0000:05:00.0: Failed to enable PCI sriov: -12",
      "path with backslash \\ and tab\tend",
    ]);
    expect(lastSeq([])).toBe(-1);
  });
});
