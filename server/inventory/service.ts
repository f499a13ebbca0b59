import type { Inventory } from "@/server/host/types";
import type { DeviceHolder } from "@/server/host/holders";
import { PciReadCache } from "@/server/host/pci";

const OWNER_WAIT_MS = 1_000;
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
    /**
     * Who owns the namespaces moved interfaces are in, when this process cannot see it (the web tier: another user's
     * /proc/<pid>/ns/net needs root, so the helper is asked).
     */
    private readonly nameNetnsOwners: ((addresses: string[]) => Promise<Record<string, DeviceHolder>>) | null = null,
  ) {}

  get(opts: { fresh?: boolean } = {}): Snapshot<Inventory> {
    const now = Date.now();
    if (!opts.fresh && this.last && now - this.last.timestamp < this.maxAgeMs) return this.last;
    this.last = { data: scanInventory({ ...this.roots, cache: this.cache }), timestamp: now };
    return this.last;
  }

  /**
   * The same snapshot, with the owners of namespaces that interfaces were moved into named where this process could
   * not name them itself. Without an answer within a second they stay unnamed ("another network namespace"): the
   * page is not held up by the helper, and the hold itself comes from sysfs either way.
   */
  async getNamed(opts: { fresh?: boolean } = {}): Promise<Snapshot<Inventory>> {
    const snap = this.get(opts);
    const ask = this.nameNetnsOwners;
    const unnamed = snap.data.devices.filter((d) => d.hold?.kernel === "netns" && d.hold.holders.length === 0);
    if (!ask || unnamed.length === 0) return snap;
    let timer: NodeJS.Timeout | undefined;
    const owners = await Promise.race([
      ask(unnamed.map((d) => d.address)).catch(() => ({})),
      new Promise<Record<string, DeviceHolder>>((resolve) => (timer = setTimeout(() => resolve({}), OWNER_WAIT_MS))),
    ]).finally(() => clearTimeout(timer));
    for (const d of unnamed) {
      const owner = (owners as Record<string, DeviceHolder>)[d.address];
      if (owner && d.hold) d.hold.holders = [owner];
    }
    return snap;
  }

  get demo(): string | null {
    return this.roots.demo ?? null;
  }
}
