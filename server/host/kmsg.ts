import * as fs from "node:fs";
import { lastSeq, linesSince, parseKmsg } from "@/server/executor/decode";
import { errnoOf } from "./errors";

/**
 * The kernel log, read from /dev/kmsg (one record per read; EAGAIN at the end with O_NONBLOCK), so a write's own
 * lines ("4 VFs already enabled…", "not enough MMIO resources…") can be shown next to its errno.
 * Unreadable (not root, kernel.dmesg_restrict) means no lines, never an error: the errno alone is still decoded.
 */
export class KernelLog {
  constructor(private readonly device = "/dev/kmsg") {}

  /** Every record still in the ring buffer, as kmsg text; empty when the log cannot be read. */
  private readAll(): string {
    let fd: number;
    try {
      fd = fs.openSync(this.device, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch {
      return "";
    }
    const buf = Buffer.allocUnsafe(16 * 1024);
    const records: string[] = [];
    try {
      for (let i = 0; i < 100_000; i++) {
        let n: number;
        try {
          n = fs.readSync(fd, buf, 0, buf.length, null);
        } catch (err) {
          if (errnoOf(err) === "EPIPE") continue; // the record was overwritten while we read: skip to the next
          break; // EAGAIN: the end of the buffer
        }
        if (n === 0) break;
        records.push(buf.toString("utf8", 0, n));
      }
    } finally {
      fs.closeSync(fd);
    }
    return records.join(records.length && !records[0]!.endsWith("\n") ? "\n" : "");
  }

  /** The sequence number of the newest record: take it before a write. */
  mark(): number {
    return lastSeq(parseKmsg(this.readAll()));
  }

  /** The messages logged after `mark`. */
  since(mark: number): string[] {
    return linesSince(parseKmsg(this.readAll()), mark);
  }
}
