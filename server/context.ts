import { readEnv } from "@/server/env";
import { InventoryService } from "@/server/inventory/service";
import type { Context } from "@/server/api/trpc";
import { openDatabase } from "@/server/db/database";
import { Journal } from "@/server/db/journal";

let services: Context | null = null;

/** Built once per server process from the environment. */
export function getContext(): Context {
  if (!services) {
    const env = readEnv();
    services = {
      inventory: new InventoryService({
        sysRoot: env.PASSDECK_SYS_ROOT,
        procRoot: env.PASSDECK_PROC_ROOT,
        pciIdsPath: env.PASSDECK_PCI_IDS ?? null,
        demo: env.PASSDECK_DEMO ?? null,
      }),
      journal: lazyJournal(env.PASSDECK_DATA_DIR),
    };
  }
  return services;
}

/** Opens the journal on first use and retries later if it failed (the directory may be created after start). */
function lazyJournal(dataDir: string): Context["journal"] {
  let journal: Journal | null = null;
  return () => {
    if (journal) return { ok: true, journal };
    try {
      journal = new Journal(openDatabase(dataDir));
      return { ok: true, journal };
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  };
}
