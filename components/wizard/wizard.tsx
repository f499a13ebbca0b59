"use client";

import { useSearchParams } from "next/navigation";
import { useDevices, useGroups } from "@/components/data/queries";
import { cn } from "@/components/ui/cn";
import type { RouterInputs } from "@/lib/trpc/client";
import { ErrorPanel, Loading } from "@/components/ui/states";
import { DevicePicker, PfPicker } from "./pickers";
import { poolCreateRequest } from "./pool-form";
import { PoolStep } from "./pool-steps";
import { ReviewAndApply } from "./review";
import { CountStep, SettingsStep, VfioStep } from "./vf-steps";
import { attachRequest } from "./vm-form";
import { VmAttachStep } from "./vm-steps";
import { DEVICE_STEPS, formatWizardState, parseWizardState, POOL_STEPS, POOL_TARGET, SRIOV_STEPS, VM_STEPS, type WizardState } from "./wizard-state";

const STEP_LABEL: Record<string, string> = {
  pf: "Physical function",
  count: "VF count",
  settings: "VF settings",
  vfio: "vfio-pci and VM",
  review: "Review",
  result: "Apply",
  device: "Device",
  vm: "VM",
  pool: "VF pool",
};

/**
 * The passthrough wizard: (a) SR-IOV VFs on a PF (and the VMs they go to), (b) a whole device with its IOMMU group,
 * and from the IOMMU map and the VMs page: a device back to its host driver, to a VM, or back from a VM; a VF pool
 * made or removed. Each step's
 * state is in the URL (wizard-state.ts), so links, reloads and the back button land on the same step with the same values.
 */
export function Wizard() {
  const params = useSearchParams();
  const key = params.toString();
  const state = parseWizardState(params);
  const devices = useDevices();
  const groups = useGroups();

  const currentStep = state.step;
  const go = (next: WizardState, opts: { replace?: boolean } = {}) => {
    const url = formatWizardState(next);
    if (opts.replace) return window.history.replaceState(null, "", url);
    // The entry being left keeps what was entered on it, so Back returns to the step as the user left it.
    if (next.mode === "sriov" && (SRIOV_STEPS as readonly string[]).includes(currentStep))
      window.history.replaceState(null, "", formatWizardState({ ...next, step: currentStep as (typeof SRIOV_STEPS)[number], entry: null }));
    window.history.pushState(null, "", url);
  };

  if (devices.isPending || groups.isPending) return <Loading what="the host's devices" />;
  if (devices.isError) return <ErrorPanel error={devices.error} what="the host's devices" />;
  if (groups.isError) return <ErrorPanel error={groups.error} what="the IOMMU groups" />;
  const all = devices.data.devices;
  const byAddress = new Map(all.map((d) => [d.address, d]));

  const steps =
    state.mode === "sriov"
      ? SRIOV_STEPS
      : state.mode === "device"
        ? DEVICE_STEPS
        : state.mode === "vm"
          ? VM_STEPS
          : state.mode === "pool"
            ? POOL_STEPS
            : (["review", "result"] as const);
  return (
    <section className="mx-auto max-w-6xl" aria-labelledby="wizard-title">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 id="wizard-title" className="text-xl font-semibold text-slate-900">
          Passthrough wizard
        </h1>
        <div role="tablist" aria-label="What to pass through" className="flex gap-1 text-sm">
          {(["sriov", "device"] as const).map((mode) => (
            <button
              key={mode}
              role="tab"
              type="button"
              aria-selected={state.mode === mode}
              onClick={() =>
                go(
                  mode === "sriov"
                    ? { mode, step: "pf", pf: null, count: null, autoprobe: true, settings: {}, vfio: [], vms: {}, entry: null }
                    : { mode, step: "device", device: null, entry: null },
                )
              }
              className={cn(
                "cursor-pointer rounded-md px-2.5 py-1 font-medium",
                state.mode === mode ? "bg-slate-900 text-white" : "text-slate-600 hover:bg-slate-100",
              )}
            >
              {mode === "sriov" ? "SR-IOV virtual functions" : "A whole device"}
            </button>
          ))}
        </div>
      </div>
      <ol aria-label="Steps" className="mt-3 flex flex-wrap gap-1 text-xs">
        {steps.map((s, i) => {
          const current = s === state.step;
          const past = steps.indexOf(state.step as never) > i;
          return (
            <li
              key={s}
              aria-current={current ? "step" : undefined}
              className={cn(
                "rounded-full border px-2.5 py-0.5",
                current
                  ? "border-slate-900 bg-slate-900 text-white"
                  : past
                    ? "border-slate-300 bg-slate-100 text-slate-700"
                    : "border-slate-200 text-slate-400",
              )}
            >
              {i + 1}. {STEP_LABEL[s]}
            </li>
          );
        })}
      </ol>
      <div className="mt-4" key={key}>
        {state.mode === "sriov" ? (
          state.step === "pf" || !state.pf ? (
            <PfPicker
              devices={all}
              groups={groups.data.groups}
              // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- 0 VFs means no count chosen yet
              onPick={(pf) => go({ ...state, pf, step: "count", count: byAddress.get(pf)?.sriov?.numVfs || null, settings: {}, vfio: [], vms: {} })}
            />
          ) : !byAddress.get(state.pf)?.sriov ? (
            <p role="alert" className="rounded-lg border border-red-300 bg-red-50 p-4 text-sm text-red-900">
              <span className="font-mono">{state.pf}</span> is not an SR-IOV physical function on this host.{" "}
              <button type="button" className="cursor-pointer underline" onClick={() => go({ ...state, step: "pf", pf: null })}>
                Pick another
              </button>
            </p>
          ) : state.step === "count" || state.count === null ? (
            <CountStep state={state} pf={byAddress.get(state.pf)!} byAddress={byAddress} go={go} />
          ) : state.step === "settings" ? (
            <SettingsStep state={state} pf={byAddress.get(state.pf)!} go={go} />
          ) : state.step === "vfio" ? (
            <VfioStep state={state} pf={byAddress.get(state.pf)!} byAddress={byAddress} go={go} />
          ) : (
            <ReviewAndApply
              request={{ kind: "sriov", pf: state.pf, count: state.count, autoprobe: state.autoprobe, vfs: vfChoices(state) }}
              subject={state.pf}
              entry={state.entry}
              onBack={() => go({ ...state, step: "vfio", entry: null })}
              onFinished={(entry) => go({ ...state, step: "result", entry }, { replace: true })}
            />
          )
        ) : state.mode === "vm" ? (
          state.step === "vm" || !state.domain ? (
            <VmAttachStep state={state} byAddress={byAddress} go={go} />
          ) : (
            <ReviewAndApply
              request={attachRequest({ ...state, domain: state.domain })}
              subject={state.device}
              entry={state.entry}
              onBack={() => go({ ...state, step: "vm", entry: null })}
              onFinished={(entry) => go({ ...state, step: "result", entry }, { replace: true })}
            />
          )
        ) : state.mode === "vm-detach" || state.mode === "pool-delete" || state.mode === "restore" ? (
          <ReviewAndApply
            request={linkedReviewRequest(state)}
            subject={state.mode === "pool-delete" ? state.pool : state.device}
            entry={state.entry}
            onBack={() => window.history.back()}
            onFinished={(entry) => go({ ...state, step: "result", entry }, { replace: true })}
          />
        ) : state.mode === "pool" ? (
          state.step === "pool" || !state.pool || !state.pf ? (
            <PoolStep state={state} devices={all} go={go} />
          ) : (
            <ReviewAndApply
              request={poolCreateRequest({ ...state, pool: state.pool, pf: state.pf })}
              subject={state.pool}
              entry={state.entry}
              onBack={() => go({ ...state, step: "pool", entry: null })}
              onFinished={(entry) => go({ ...state, step: "result", entry }, { replace: true })}
            />
          )
        ) : state.step === "device" || !state.device ? (
          <DevicePicker devices={all} groups={groups.data.groups} onPick={(device) => go({ ...state, device, step: "review" })} />
        ) : (
          <ReviewAndApply
            request={{ kind: "device", address: state.device }}
            subject={state.device}
            entry={state.entry}
            onBack={() => go({ ...state, step: "device", entry: null })}
            onFinished={(entry) => go({ ...state, step: "result", entry }, { replace: true })}
          />
        )}
      </div>
    </section>
  );
}

/** A review opened from a link (the IOMMU map's detail, the VMs page), whose Back returns there. */
function linkedReviewRequest(state: Extract<WizardState, { mode: "vm-detach" | "pool-delete" | "restore" }>): RouterInputs["plans"]["preview"] {
  switch (state.mode) {
    case "vm-detach":
      return { kind: "vm-detach", domain: state.domain, address: state.device };
    case "pool-delete":
      return { kind: "pool-delete", name: state.pool };
    case "restore":
      return { kind: "restore", address: state.device };
  }
}

function vfChoices(state: Extract<WizardState, { mode: "sriov" }>) {
  const indices = new Set([...Object.keys(state.settings).map(Number), ...state.vfio]);
  return [...indices]
    .sort((a, b) => a - b)
    .map((index) => ({
      index,
      ...(state.settings[index] && Object.keys(state.settings[index]).length ? { settings: state.settings[index] } : {}),
      ...(state.vfio.includes(index) ? { vfio: true } : {}),
      ...(state.vms[index]?.startsWith(POOL_TARGET) ? { pool: state.vms[index].slice(POOL_TARGET.length) } : state.vms[index] ? { vm: state.vms[index] } : {}),
    }));
}
