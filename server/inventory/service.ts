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

  /**
   * The same readings for a page's server render (server/api/prefetch.tsx): one up to `maxAgeMs` old serves without
   * a new scan (a scan of a large host holds the page for most of a second), and `onOlder` is told when it was past
   * the usual age, so that the page hands its data over as stale and the browser fetches it again (a new scan) at once.
   * A fresh read (`fresh: true`) and a first read scan as get() does.
   */
  recent(maxAgeMs: number, onOlder: () => void): InventoryService {
    const view = Object.create(this) as InventoryService;
    view.get = (opts = {}) => {
      const last = this.last;
      const age = last ? Date.now() - last.timestamp : Infinity;
      if (opts.fresh || !last || age >= maxAgeMs) return this.get(opts);
      if (age >= this.maxAgeMs) onOlder();
      return last;
    };
    return view;
  }

  get demo(): string | null {
    return this.roots.demo ?? null;
  }
}
