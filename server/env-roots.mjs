/**
 * The zod-free part of server/env-spec.mjs: the real host's paths and the four variables a scan reads. The CLI's
 * `passdeck inventory` starts without loading the schema of the whole environment; env-spec.mjs takes its defaults
 * from here, so both read the same values (server/env.test.ts checks).
 */
export const DEFAULT_SYS_ROOT = "/sys";
export const DEFAULT_PROC_ROOT = "/proc";

/** @typedef {{ sysRoot: string; procRoot: string; pciIdsPath: string | null; demo: string | null }} HostRootsEnv */

/**
 * Where the kernel's filesystems are read: PASSDECK_SYS_ROOT and PASSDECK_PROC_ROOT (a scenario tree or an unpacked
 * capture instead of the real host), PASSDECK_PCI_IDS and PASSDECK_DEMO. An empty variable is unset, as readEnv has it.
 * @param {Record<string, string | undefined>} [source]
 * @returns {HostRootsEnv}
 */
export function hostRootsFromEnv(source = process.env) {
  /** @param {string} name */
  const value = (name) => (source[name] === "" ? undefined : source[name]);
  return {
    sysRoot: value("PASSDECK_SYS_ROOT") ?? DEFAULT_SYS_ROOT,
    procRoot: value("PASSDECK_PROC_ROOT") ?? DEFAULT_PROC_ROOT,
    pciIdsPath: value("PASSDECK_PCI_IDS") ?? null,
    demo: value("PASSDECK_DEMO") ?? null,
  };
}
