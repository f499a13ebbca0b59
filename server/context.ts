import { readEnv } from "@/server/env";
import { InventoryService } from "@/server/inventory/service";
import type { Context } from "@/server/api/trpc";

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
    };
  }
  return services;
}
