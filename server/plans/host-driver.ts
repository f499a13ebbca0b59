/**
 * The host driver a device had before Passdeck gave it to vfio-pci: the journal's newest applied plan that released
 * it from a driver other than vfio-pci. How `restore` knows where a device goes back to when it is not a VF (a VF's
 * host driver follows from its PF's).
 */
import type { Journal } from "@/server/db/journal";
import type { Plan } from "@/server/executor/plan";

const LOOK_BACK = 200;

export function hostDriverBefore(journal: Journal, address: string): string | null {
  for (const summary of journal.list({ limit: LOOK_BACK })) {
    if (summary.status !== "applied") continue;
    const plan = journal.get(summary.id)?.plan as Plan | undefined;
    for (const { step } of [...(plan?.steps ?? [])].reverse())
      if (step.kind === "unbind-driver" && step.device === address && step.driver !== "vfio-pci") return step.driver;
  }
  return null;
}
