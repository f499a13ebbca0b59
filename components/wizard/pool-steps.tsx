"use client";

import { useState } from "react";
import type { PciDevice } from "@/server/host/types";
import { usePools } from "@/components/data/queries";
import { Card, CardBody, CardHeader, CardTitle } from "@/components/ui/card";
import { Nav } from "./vf-steps";
import { FieldError, inputCls } from "./vm-steps";
import { checkPoolForm, pfChoiceText, poolPfs, toPoolForm, type PoolForm } from "./pool-form";
import type { WizardState } from "./wizard-state";

type PoolState = Extract<WizardState, { mode: "pool" }>;
type Go = (next: WizardState, opts?: { replace?: boolean }) => void;

/**
 * "New VF pool": a libvirt hostdev network on one PF, so a VM can take any free VF of it
 * (`<interface type='network'>`) and libvirt hands one out when the VM starts. The review shows the network XML.
 */
export function PoolStep({ state, devices, go }: { state: PoolState; devices: PciDevice[]; go: Go }) {
  const pools = usePools();
  const [form, setForm] = useState<PoolForm>(() => toPoolForm(state));
  const pfs = poolPfs(devices);
  const checked = checkPoolForm(form, pfs);
  const chosen = pfs.find((d) => d.address === checked.pf);
  const set = (patch: Partial<PoolForm>) => setForm((f) => ({ ...f, ...patch }));
  // A field's problem shows once it has something in it; an empty one only holds the review back.
  const nameError = form.name ? checked.errors.name : undefined;
  const pfError = form.pf ? checked.errors.pf : undefined;

  return (
    <Card>
      <CardHeader>
        <CardTitle>New VF pool</CardTitle>
        <span className="text-xs text-slate-500">a libvirt network with forward mode hostdev: VMs take any free VF of its PF</span>
      </CardHeader>
      <CardBody className="space-y-4">
        {pools.data && !pools.data.available ? (
          <p role="alert" data-testid="pool-libvirt" className="text-sm text-amber-900">
            libvirt is not available: {pools.data.reason}. The plan is refused until it is.
          </p>
        ) : null}
        <div>
          <label className="block text-sm font-medium text-slate-800">
            Pool name
            <input
              value={form.name}
              onChange={(e) => set({ name: e.target.value.trim() })}
              placeholder={chosen ? `${chosen.netdevs[0]!.name}-vfs` : "eno2-vfs"}
              aria-invalid={!!nameError}
              aria-describedby="pool-name-error"
              className={inputCls(nameError, "w-72")}
            />
          </label>
          <FieldError id="pool-name-error" error={nameError} />
        </div>
        <div>
          <label className="block text-sm font-medium text-slate-800" htmlFor="pool-pf">
            PF
          </label>
          {pfs.length === 0 ? (
            <p data-testid="pool-no-pfs" className="mt-1 text-sm text-amber-900">
              No SR-IOV PF on this host has a network interface: libvirt&apos;s hostdev pools name the PF by its interface.
            </p>
          ) : (
            <select
              id="pool-pf"
              value={chosen?.address ?? ""}
              onChange={(e) => set({ pf: e.target.value })}
              aria-invalid={!!pfError}
              aria-describedby="pool-pf-help pool-pf-error"
              className="mt-1 block h-8 min-w-96 rounded-md border border-slate-300 px-1 font-mono text-sm"
            >
              <option value="">choose a PF…</option>
              {pfs.map((d) => (
                <option key={d.address} value={d.address}>
                  {pfChoiceText(d, pools.data?.pools ?? [])}
                </option>
              ))}
            </select>
          )}
          <p id="pool-pf-help" className="mt-1 text-xs text-slate-500">
            SR-IOV PFs with a network interface. The VFs are the PF&apos;s as they are when the pool starts: make them in the wizard&apos;s SR-IOV flow.
          </p>
          <FieldError id="pool-pf-error" error={pfError} />
        </div>
        <Nav
          onBack={() => window.history.back()}
          nextLabel="Review the plan"
          disabled={checked.pool === null || checked.pf === null}
          onNext={() => go({ ...state, step: "review", pool: checked.pool, pf: checked.pf, entry: null })}
        />
      </CardBody>
    </Card>
  );
}
