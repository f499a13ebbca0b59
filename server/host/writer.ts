import * as fs from "node:fs";
import * as nodePath from "node:path";

/**
 * The only way anything writes to sysfs. The executor holds one; the real host gets `KernelSysfsWriter`,
 * a scenario tree gets the simulated kernel, which answers writes the way the kernel does. Errors are thrown
 * as node fs errors are: an Error with `code` ("EBUSY", "ERANGE", …), so the decoder reads both alike.
 */
export interface SysfsWriter {
  /** Writes `value` to the attribute at `rel` (relative to the sysfs root), as `echo value > rel` would. */
  write(rel: string, value: string): void;
}

export class KernelSysfsWriter implements SysfsWriter {
  constructor(private readonly sysRoot: string) {}

  write(rel: string, value: string): void {
    // One write(2) with the whole value, as the kernel's store() handlers expect; no O_CREAT: sysfs files exist or the write fails.
    const fd = fs.openSync(nodePath.join(this.sysRoot, rel), fs.constants.O_WRONLY);
    try {
      fs.writeSync(fd, value);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** An Error shaped like node's fs errors, for simulated kernels and tests. */
export function errnoError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}
