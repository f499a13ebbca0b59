// Process state from /proc, shared by rig.mjs and watchdog.mjs.
import { readFileSync } from "node:fs";

/**
 * The state letter of /proc/<pid>/stat (or of one thread, /proc/<pid>/task/<tid>/stat); null when it is gone.
 * @param {number} pid
 * @param {number | string | null} [tid]
 * @returns {string | null}
 */
export function procState(pid, tid = null) {
  try {
    const stat = readFileSync(tid === null ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return null;
  }
}

/**
 * Running or sleeping; a zombie counts as gone.
 * @param {number} pid
 */
export function isAlive(pid) {
  const s = procState(pid);
  return s !== null && s !== "Z" && s !== "X";
}
