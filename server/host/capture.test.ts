import { describe, expect, it } from "vitest";
import { CaptureRecorder, scrubSocketTable } from "./capture";
import { parseSocketTable } from "./net";
import { TCP6, UDP } from "./net-testing";

describe("socket tables in a capture", () => {
  it("keep what the inventory reads (local address, state) and drop the peers", () => {
    const scrubbed = scrubSocketTable(TCP6);
    expect(parseSocketTable(scrubbed, "tcp")).toEqual(parseSocketTable(TCP6, "tcp"));
    expect(parseSocketTable(scrubSocketTable(UDP), "udp")).toEqual(parseSocketTable(UDP, "udp"));
    expect(scrubbed).not.toContain("0000C0FE000000000000000002000000"); // the ssh client's address
    expect(scrubbed).not.toContain("23510"); // an inode
    const r = new CaptureRecorder({ sys: "/sys", proc: "/proc" });
    r.file("proc/net/tcp6", TCP6);
    r.file("proc/net/if_inet6", "x");
    expect(r.entries.get("proc/net/tcp6")).toEqual({ kind: "file", content: scrubbed });
    expect(r.entries.get("proc/net/if_inet6")).toEqual({ kind: "file", content: "x" });
  });
});
