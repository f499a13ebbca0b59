import { describe, expect, it } from "vitest";
import { parseTcpTable } from "./net";

// From a guest serving on 7878 (0x1EC6) to a browser through QEMU's port forward, plus a listener and an unrelated connection.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1EC6 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20391 1 0000000000000000 100 0 0 10 0
   1: 0F02000A:1EC6 0202000A:D2B4 01 00000000:00000000 02:000AFD8E 00000000     0        0 21876 2 0000000000000000 20 4 30 10 -1
   2: 0F02000A:9C40 0202000A:0016 01 00000000:00000000 02:000AFD8E 00000000     0        0 21877 2 0000000000000000 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0000000000000000FFFF00000F02000A:1EC6 0000000000000000FFFF00000202000A:D2B6 01 00000000:00000000 00:00000000 00000000     0        0 1 1 0 20 4 30 10 -1
   1: B80D0120000000000000000001000000:1EC6 B80D0120000000000000000002000000:C350 01 00000000:00000000 00:00000000 00000000     0        0 1 1 0 20 4 30 10 -1
`;

describe("parseTcpTable", () => {
  it("finds the local addresses of established connections to the port, in the kernel's byte order", () => {
    expect(parseTcpTable(TCP, 7878)).toEqual(["10.0.2.15"]);
    expect(parseTcpTable(TCP, 22)).toEqual([]);
  });

  it("reads IPv4-mapped and plain IPv6 addresses from tcp6", () => {
    expect(parseTcpTable(TCP6, 7878)).toEqual(["10.0.2.15", "2001:db8::1"]);
  });
});
