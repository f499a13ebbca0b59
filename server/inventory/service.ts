import type { Inventory } from "@/server/host/types";
import { PciReadCache } from "@/server/host/pci";
import { scanInventory, type HostRoots } from "./scan";

export interface Snapshot<T> {
  data: T;
  /** when the host was read; the pages show the age */
  timestamp: number;
}

/**
 * One scan serves every request for `maxAgeMs`, and concurrent callers share the scan in flight, so ten open
 * tabs cost one sysfs walk (homarr's request-handler idea). A failed scan is not cached.
 */
export class InventoryService {
  private last: Snapshot<Inventory> | null = null;
  private readonly cache = new PciReadCache();

  constructor(
    private readonly roots: HostRoots,
    private readonly maxAgeMs = 2_000,
  ) {}

  get(opts: { fresh?: boolean } = {}): Snapshot<Inventory> {
    const now = Date.now();
    if (!opts.fresh && this.last && now - this.last.timestamp < this.maxAgeMs) return this.last;
    this.last = { data: scanInventory({ ...this.roots, cache: this.cache }), timestamp: now };
    return this.last;
  }

  get demo(): string | null {
    return this.roots.demo ?? null;
  }
}
