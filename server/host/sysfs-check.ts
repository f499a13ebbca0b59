import * as fs from "node:fs";

const SYSFS_MAGIC = 0x62656572;

/** True when `root` is a mounted sysfs: writes to anything else (a capture, a scenario tree) would only edit files. */
export function isRealSysfs(root: string): boolean {
  try {
    return fs.statfsSync(root).type === SYSFS_MAGIC;
  } catch {
    return false;
  }
}
