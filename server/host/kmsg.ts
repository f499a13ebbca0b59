import * as fs from "node:fs";
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

/** One /dev/kmsg record. */
export interface KmsgRecord {
  seq: number;
  /** microseconds since boot */
  usec: number;
  message: string;
}

/**
 * Parses /dev/kmsg records: "priority,sequence,timestamp_usec,flags[,…];message", where the message escapes
 * non-printable bytes as \xNN and lines starting with a space are the record's KEY=value dictionary (SUBSYSTEM=,
 * DEVICE=), not text. Kernels before 4.x emitted continuation fragments with the flag "+", joined here.
 */
export function parseKmsg(text: string): KmsgRecord[] {
  const records: KmsgRecord[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith(" ")) continue; // dictionary lines belong to the record above
    const m = /^(\d+),(\d+),(\d+),([^;,]*)(?:,[^;]*)?;(.*)$/.exec(line);
    if (!m) continue;
    const message = m[5]!.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
    const prev = records.at(-1);
    if (m[4]!.includes("+") && prev) {
      prev.message += message;
      continue;
    }
    records.push({ seq: Number(m[2]), usec: Number(m[3]), message });
  }
  return records;
}

/** The messages logged after record `seq` (take the last seq before the write, pass it after): the write's lines. */
export function linesSince(records: readonly KmsgRecord[], seq: number): string[] {
  return records.filter((r) => r.seq > seq).map((r) => r.message);
}

/** The sequence number to remember before a write (-1 when the log is empty, so every later record counts). */
export function lastSeq(records: readonly KmsgRecord[]): number {
  return records.reduce((max, r) => Math.max(max, r.seq), -1);
}
