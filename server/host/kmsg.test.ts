import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KernelLog } from "./kmsg";

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
