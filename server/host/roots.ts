/**
 * Where the kernel's filesystems are read, from the environment: PASSDECK_SYS_ROOT and PASSDECK_PROC_ROOT (a scenario
 * tree or an unpacked capture instead of the real host), PASSDECK_PCI_IDS and PASSDECK_DEMO. The defaults are the
 * real host's; server/env.ts declares the same variables with these defaults.
 */
export const DEFAULT_SYS_ROOT = "/sys";
export const DEFAULT_PROC_ROOT = "/proc";

export interface HostRootsEnv {
  sysRoot: string;
  procRoot: string;
  pciIdsPath: string | null;
  demo: string | null;
}

/**
 * The roots as readEnv gives them (an empty variable is unset), without loading its schema of the whole environment:
 * `passdeck inventory` starts faster without zod. These four can never be invalid, so nothing is left unchecked.
 */
export function hostRootsFromEnv(source: Record<string, string | undefined> = process.env): HostRootsEnv {
  const value = (name: string) => (source[name] === "" ? undefined : source[name]);
  return {
    sysRoot: value("PASSDECK_SYS_ROOT") ?? DEFAULT_SYS_ROOT,
    procRoot: value("PASSDECK_PROC_ROOT") ?? DEFAULT_PROC_ROOT,
    pciIdsPath: value("PASSDECK_PCI_IDS") ?? null,
    demo: value("PASSDECK_DEMO") ?? null,
  };
}
