"use client";

import { useState } from "react";
import type { PciDevice } from "@/server/host/types";
import { deviceName } from "@/components/data/format";
import { useVms } from "@/components/data/queries";
import { heldIn } from "@/components/vms/model";
import { Card, CardBody, CardHeader, CardTitle } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { Nav } from "./vf-steps";
import { noVmsReason, VmSelect } from "./vm-select";
import { attachKind, checkAttachForm, otherFunctions, toAttachForm, type AttachErrors, type AttachForm } from "./vm-form";
import type { WizardState } from "./wizard-state";

type VmState = Extract<WizardState, { mode: "vm" }>;
type Go = (next: WizardState, opts?: { replace?: boolean }) => void;

export function FieldError({ id, error }: { id: string; error: string | undefined }) {
  return error ? (
    <p id={id} role="alert" className="mt-1 text-sm text-red-800">
      {error}
    </p>
  ) : null;
}

export const inputCls = (error: string | undefined, width: string) =>
  cn("mt-1 block h-8 rounded-md border px-2 font-mono", width, error ? "border-red-500 bg-red-50" : "border-slate-300");

/**
 * "Give to a VM": which VM, and for a network VF the MAC and VLAN libvirt puts on it, for any other device the
 * option ROM settings (a GPU's). The review then shows the XML each definition gains.
 */
export function VmAttachStep({ state, byAddress, go }: { state: VmState; byAddress: Map<string, PciDevice>; go: Go }) {
  const vms = useVms();
  const [form, setForm] = useState<AttachForm>(() => toAttachForm(state));
  const d = byAddress.get(state.device);
  if (!d)
    return (
      <p role="alert" className="rounded-lg border border-red-300 bg-red-50 p-4 text-sm text-red-900">
        <span className="font-mono">{state.device}</span> is not a PCI device on this host.
      </p>
    );
  const kind = attachKind(d, byAddress);
  // Only a listed VM can be chosen; a deep link may name it by name, the select (and the plan) use its UUID.
  const chosen = vms.data?.rows.find((vm) => vm.uuid === form.domain || vm.name === form.domain) ?? null;
  const checked = checkAttachForm({ ...form, domain: chosen?.uuid ?? "" }, kind);
  const { domain: _domain, ...fieldErrors } = checked.errors;
  const errors: AttachErrors = fieldErrors;
  const reason = noVmsReason(vms.data, vms.isPending);
  const holders = (vms.data?.rows ?? []).flatMap((vm) => vm.devices.filter((x) => x.address === d.address).map((x) => ({ vm, x })));
  const set = (patch: Partial<AttachForm>) => setForm((f) => ({ ...f, ...patch }));
  const pfNetdev = d.physfn ? byAddress.get(d.physfn)?.netdevs[0]?.name : undefined;
  const siblings = kind === "hostdev" ? otherFunctions(d, byAddress.values()) : [];

  return (
    <Card>
      <CardHeader>
        <CardTitle>Give {d.address} to a VM</CardTitle>
        <span className="text-xs text-slate-500">{deviceName(d)}</span>
      </CardHeader>
      <CardBody className="space-y-4">
        <div>
          <label className="block text-sm font-medium text-slate-800" htmlFor="vm-choice">
            VM
          </label>
          <VmSelect
            id="vm-choice"
            label="VM"
            value={chosen?.uuid ?? ""}
            onChange={(domain) => set({ domain })}
            vms={vms.data}
            empty={reason ? "no VM to choose" : "choose a VM…"}
            disabled={reason !== null}
            describedBy="vm-choice-help"
            className="mt-1 h-8 min-w-72"
          />
          <p
            id="vm-choice-help"
            data-testid="vm-choice-help"
            className={reason && !vms.isPending ? "mt-1 text-sm text-amber-900" : "mt-1 text-xs text-slate-500"}
          >
            {reason ?? "The persistent config gets it (from the next start), and the running VM too when it runs (hot-plug)."}
          </p>
          {holders.length ? (
            <p data-testid="vm-holders" className="mt-1 text-sm text-amber-900">
              Already given to {holders.map(({ vm, x }) => `${vm.name} (${heldIn(x.in, vm.active)})`).join(", ")}: a device can belong to one VM.
            </p>
          ) : null}
        </div>
        {kind === "interface" ? (
          <fieldset className="space-y-3">
            <legend className="text-sm text-slate-700">
              As a network interface, <code className="font-mono text-xs">&lt;interface type=&apos;hostdev&apos; managed=&apos;yes&apos;&gt;</code>: libvirt
              sets this MAC and VLAN on the VF through its PF{pfNetdev ? ` (${pfNetdev})` : ""} when the VM starts, and restores them when it stops.
            </legend>
            <label className="block text-sm font-medium text-slate-800">
              MAC (empty: Passdeck picks a stable 52:54:00 one)
              <input
                value={form.mac}
                onChange={(e) => set({ mac: e.target.value.trim() })}
                aria-invalid={!!errors.mac}
                aria-describedby="vm-mac-error"
                className={inputCls(errors.mac, "w-48")}
              />
            </label>
            <FieldError id="vm-mac-error" error={errors.mac} />
            <label className="block text-sm font-medium text-slate-800">
              VLAN (empty: untagged)
              <input
                value={form.vlan}
                onChange={(e) => set({ vlan: e.target.value.trim() })}
                inputMode="numeric"
                aria-invalid={!!errors.vlan}
                aria-describedby="vm-vlan-error"
                className={inputCls(errors.vlan, "w-24")}
              />
            </label>
            <FieldError id="vm-vlan-error" error={errors.vlan} />
          </fieldset>
        ) : (
          <fieldset className="space-y-3">
            <legend className="text-sm text-slate-700">
              As a PCI device,{" "}
              <code className="font-mono text-xs">&lt;hostdev mode=&apos;subsystem&apos; type=&apos;pci&apos; managed=&apos;yes&apos;&gt;</code>: libvirt moves
              it to vfio-pci when the VM starts and back when it stops. For a GPU, the option ROM settings below matter.
            </legend>
            <label className="block text-sm font-medium text-slate-800">
              ROM BAR
              <select
                value={form.romBar}
                onChange={(e) => set({ romBar: e.target.value as AttachForm["romBar"] })}
                className="mt-1 block h-8 rounded-md border border-slate-300 px-1"
              >
                <option value="">libvirt&apos;s default</option>
                <option value="on">on (the guest sees the device&apos;s ROM)</option>
                <option value="off">off (the guest sees no ROM)</option>
              </select>
            </label>
            <label className="block text-sm font-medium text-slate-800">
              ROM file (a clean vBIOS dump, for a GPU whose ROM the host&apos;s boot shadowed)
              <input
                value={form.romFile}
                onChange={(e) => set({ romFile: e.target.value.trim() })}
                placeholder="/usr/share/vgabios/gpu.rom"
                aria-invalid={!!errors.romFile}
                aria-describedby="vm-romfile-error"
                className={inputCls(errors.romFile, "w-96")}
              />
            </label>
            <FieldError id="vm-romfile-error" error={errors.romFile} />
            {siblings.length > 0 ? (
              <div data-testid="all-functions" className="space-y-2 rounded-md border border-slate-200 p-3">
                <label className="flex items-start gap-2 text-sm text-slate-800">
                  <input type="checkbox" checked={form.allFunctions} onChange={(e) => set({ allFunctions: e.target.checked })} className="mt-1" />
                  <span>
                    All functions: also {siblings.map((x) => `${x.address} (${deviceName(x)})`).join(", ")}, as one multifunction device in the guest (like
                    Proxmox&apos;s &quot;All Functions&quot;). Persistent config only: libvirt cannot hot-plug several functions as one device.
                  </span>
                </label>
                {form.allFunctions ? (
                  <label className="block text-sm font-medium text-slate-800">
                    Placement in the guest
                    <select
                      value={form.placement}
                      onChange={(e) => set({ placement: e.target.value as AttachForm["placement"] })}
                      className="mt-1 block h-8 rounded-md border border-slate-300 px-1"
                    >
                      <option value="pcie">PCIe: behind a new root port (q35; what GPU drivers expect)</option>
                      <option value="pci">PCI: on the root bus, a free slot</option>
                    </select>
                  </label>
                ) : null}
              </div>
            ) : null}
          </fieldset>
        )}
        <Nav
          onBack={() => window.history.back()}
          nextLabel="Review the plan"
          disabled={checked.domain === null || Object.keys(errors).length > 0}
          onNext={() => go({ ...state, step: "review", domain: checked.domain, ...checked.options, entry: null })}
        />
      </CardBody>
    </Card>
  );
}
