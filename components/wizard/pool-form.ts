/**
 * The "New VF pool" form: which PFs can carry a pool, and the pool's name checked in the browser with the words the
 * server checks the request with (lib/schemas), so a mistake is named on the field before anything is planned. Pure.
 */
import { poolNameSchema } from "@/lib/schemas";
import type { RouterInputs } from "@/lib/trpc/client";
import type { PciDevice } from "@/server/host/types";
import type { WizardState } from "./wizard-state";

type PoolState = Extract<WizardState, { mode: "pool" }>;

/** SR-IOV PFs with a network interface: libvirt's hostdev pools name the PF by its interface, as the server's plan does. */
export const poolPfs = (devices: PciDevice[]): PciDevice[] => devices.filter((d) => d.sriov !== null && d.netdevs.length > 0);

export interface PoolForm {
  name: string;
  pf: string;
}

export type PoolErrors = Partial<Record<"name" | "pf", string>>;

/** The pool's name and PF, or each field's problem (the name's in the server's words). */
export function checkPoolForm(form: PoolForm, pfs: PciDevice[]): { pool: string | null; pf: string | null; errors: PoolErrors } {
  const errors: PoolErrors = {};
  const name = poolNameSchema.safeParse(form.name);
  if (!name.success) errors.name = name.error.issues[0]?.message ?? "not valid";
  const pf = pfs.find((d) => d.address === form.pf) ?? null;
  if (!pf) errors.pf = form.pf ? `${form.pf} is not an SR-IOV PF with a network interface on this host` : "choose the PF the pool hands out VFs of";
  return { pool: name.success ? name.data : null, pf: pf?.address ?? null, errors };
}

/** "0000:18:00.1 · eno2 · igb · 0 of 7 VFs", and the pools already drawing from it. */
export function pfChoiceText(d: PciDevice, pools: { name: string; pfs: { address: string | null }[] }[]): string {
  const on = pools.filter((p) => p.pfs.some((x) => x.address === d.address)).map((p) => p.name);
  const vfs = d.sriov ? `${d.sriov.numVfs} of ${d.sriov.totalVfs} VFs` : "no SR-IOV";
  return [d.address, d.netdevs.map((n) => n.name).join(", "), d.driver ?? "no driver", vfs, ...(on.length ? [`pool ${on.join(", ")}`] : [])].join(" · ");
}

export const toPoolForm = (state: PoolState): PoolForm => ({ name: state.pool ?? "", pf: state.pf ?? "" });

/** The plans.preview request of a "New VF pool" review. */
export const poolCreateRequest = (state: PoolState & { pool: string; pf: string }): RouterInputs["plans"]["preview"] => ({
  kind: "pool-create",
  name: state.pool,
  pf: state.pf,
});
