"use client";

import { useState } from "react";
import type { VfSettings } from "@/server/executor/plan";
import type { PciDevice } from "@/server/host/types";
import { deviceName } from "@/components/data/format";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, CardTitle } from "@/components/ui/card";
import { checkMac, stableVfMac } from "@/lib/mac";
import { vfAddressOf } from "@/lib/pci-address";
import { POOL_TARGET, type WizardState } from "./wizard-state";
import type { PoolRow } from "@/server/plans/pools";
import { TableHead } from "@/components/ui/table";
import { usePools, useVms } from "@/components/data/queries";
import { noVmsReason, VmSelect } from "./vm-select";

type SriovState = Extract<WizardState, { mode: "sriov" }>;
type Go = (next: WizardState, opts?: { replace?: boolean }) => void;

export function Nav({
  onBack,
  onNext,
  nextLabel = "Next",
  disabled = false,
}: {
  onBack: () => void;
  onNext: () => void;
  nextLabel?: string;
  disabled?: boolean;
}) {
  return (
    <div className="mt-4 flex justify-between">
      <Button onClick={onBack}>Back</Button>
      <Button variant="default" onClick={onNext} disabled={disabled}>
        {nextLabel}
      </Button>
    </div>
  );
}

/** The address VF `index` has, or will have when the kernel creates it. */
export function vfAddress(pf: PciDevice, count: number, index: number): { address: string | null; predicted: boolean } {
  const s = pf.sriov!;
  if (count === s.numVfs && s.vfs[index]) return { address: s.vfs[index], predicted: false };
  if (s.offset === null || s.stride === null) return { address: null, predicted: true };
  return { address: vfAddressOf(pf.address, s.offset, s.stride, index), predicted: true };
}

export function CountStep({ state, pf, byAddress, go }: { state: SriovState; pf: PciDevice; byAddress: Map<string, PciDevice>; go: Go }) {
  const s = pf.sriov!;
  const [text, setText] = useState(String(state.count ?? (s.numVfs || Math.min(s.totalVfs, 4))));
  const [autoprobe, setAutoprobe] = useState(state.autoprobe);
  const n = /^\d{1,5}$/.test(text) ? Number(text) : null;
  const error = n === null ? "Enter a whole number." : n > s.totalVfs ? `${pf.address} supports at most ${s.totalVfs} VFs (sriov_totalvfs).` : null;
  const vfioVfs = s.vfs.filter((a) => byAddress.get(a)?.driver === "vfio-pci");
  return (
    <Card>
      <CardHeader>
        <CardTitle>How many VFs on {pf.address}?</CardTitle>
        <span className="text-xs text-slate-500">{deviceName(pf)}</span>
      </CardHeader>
      <CardBody>
        <dl className="grid grid-cols-[10rem_1fr] gap-y-1 text-sm">
          <dt className="text-slate-500">Driver</dt>
          <dd className="font-mono">{pf.driver}</dd>
          <dt className="text-slate-500">Interface</dt>
          <dd className="font-mono">{pf.netdevs.map((d) => d.name).join(", ") || "none"}</dd>
          <dt className="text-slate-500">VFs now</dt>
          <dd data-testid="current-vfs">
            {s.numVfs} of at most {s.totalVfs}
          </dd>
          <dt className="text-slate-500">VF device ID</dt>
          <dd className="font-mono">{s.vfDeviceId ? `${pf.vendorId}:${s.vfDeviceId}` : "unknown"}</dd>
        </dl>
        <label className="mt-4 block text-sm font-medium text-slate-800" htmlFor="vf-count">
          Number of VFs (0 removes them)
        </label>
        <input
          id="vf-count"
          inputMode="numeric"
          value={text}
          onChange={(e) => setText(e.target.value.trim())}
          aria-invalid={error !== null}
          aria-describedby="vf-count-help"
          className="mt-1 h-8 w-28 rounded-md border border-slate-300 px-2 font-mono"
        />
        <p id="vf-count-help" className={error ? "mt-1 text-sm text-red-800" : "mt-1 text-xs text-slate-500"}>
          {error ??
            "Each VF takes queues, interrupt vectors and MMIO space from the PF: create the ones you will use. Changing a non-zero count removes every VF first (the kernel's rule)."}
        </p>
        {n !== null && n !== s.numVfs && s.numVfs > 0 && vfioVfs.length > 0 ? (
          <p role="alert" className="mt-2 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">
            {vfioVfs.join(", ")} {vfioVfs.length === 1 ? "is" : "are"} on vfio-pci: changing the count would destroy {vfioVfs.length === 1 ? "it" : "them"}. The
            review will refuse it.
          </p>
        ) : null}
        <label className="mt-4 flex items-start gap-2 text-sm">
          <input type="checkbox" className="mt-1" checked={!autoprobe} onChange={(e) => setAutoprobe(!e.target.checked)} />
          <span>
            Create the VFs without a host driver (<code className="font-mono">sriov_drivers_autoprobe = 0</code>): no host interface appears, nothing like
            NetworkManager grabs them, and they go straight to vfio-pci. VFs you keep on the host then stay driverless too.
          </span>
        </label>
        <Nav
          onBack={() => go({ ...state, step: "pf" })}
          disabled={error !== null}
          onNext={() => {
            const count = n!;
            const keep = <T,>(entries: [string, T][]) => Object.fromEntries(entries.filter(([i]) => Number(i) < count));
            go({
              ...state,
              count,
              autoprobe,
              step: count === 0 ? "review" : "settings",
              settings: keep(Object.entries(state.settings)),
              vfio: state.vfio.filter((i) => i < count),
            });
          }}
        />
      </CardBody>
    </Card>
  );
}

interface Row {
  mac: string;
  vlan: string;
  qos: string;
  spoofchk: "" | "on" | "off";
  trust: "" | "on" | "off";
  state: "" | "auto" | "enable" | "disable";
  maxRate: string;
}

const emptyRow: Row = { mac: "", vlan: "", qos: "", spoofchk: "", trust: "", state: "", maxRate: "" };

function toRow(s: VfSettings | undefined): Row {
  if (!s) return emptyRow;
  const onOff = (b: boolean | undefined) => (b === undefined ? "" : b ? "on" : "off");
  return {
    mac: s.mac ?? "",
    vlan: s.vlan !== undefined ? String(s.vlan) : "",
    qos: s.qos !== undefined ? String(s.qos) : "",
    spoofchk: onOff(s.spoofchk),
    trust: onOff(s.trust),
    state: s.state ?? "",
    maxRate: s.maxTxRateMbps !== undefined ? String(s.maxTxRateMbps) : "",
  };
}

/** The row as settings, or the first problem in words (per field). */
function fromRow(r: Row): { settings: VfSettings; errors: Partial<Record<keyof Row, string>> } {
  const settings: VfSettings = {};
  const errors: Partial<Record<keyof Row, string>> = {};
  if (r.mac) {
    const m = checkMac(r.mac);
    if (m.ok) settings.mac = m.mac;
    else errors.mac = m.error;
  }
  if (r.vlan) {
    if (/^\d{1,4}$/.test(r.vlan) && Number(r.vlan) <= 4094) settings.vlan = Number(r.vlan);
    else errors.vlan = `VLAN ${r.vlan} is out of range: 0–4094 (0 = untagged)`;
  }
  if (r.qos) {
    if (!/^[0-7]$/.test(r.qos)) errors.qos = "QoS is a priority from 0 to 7";
    else if (!r.vlan) errors.qos = "QoS needs a VLAN";
    else settings.qos = Number(r.qos);
  }
  if (r.spoofchk) settings.spoofchk = r.spoofchk === "on";
  if (r.trust) settings.trust = r.trust === "on";
  if (r.state) settings.state = r.state;
  if (r.maxRate) {
    if (/^\d{1,6}$/.test(r.maxRate)) settings.maxTxRateMbps = Number(r.maxRate);
    else errors.maxRate = "the rate is a whole number of Mb/s (0 = no limit)";
  }
  return { settings, errors };
}

export function SettingsStep({ state, pf, go }: { state: SriovState; pf: PciDevice; go: Go }) {
  const count = state.count!;
  const [rows, setRows] = useState<Row[]>(() => Array.from({ length: count }, (_, i) => toRow(state.settings[i])));
  const [bulkVlan, setBulkVlan] = useState("");
  const pfMac = pf.netdevs[0]?.mac ?? null;
  const parsed = rows.map(fromRow);
  const hasErrors = parsed.some((p) => Object.keys(p.errors).length > 0);
  const set = (i: number, patch: Partial<Row>) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const settings = () => Object.fromEntries(parsed.map((p, i) => [i, p.settings] as const).filter(([, s]) => Object.keys(s).length > 0));

  return (
    <Card>
      <CardHeader>
        <CardTitle>Settings of each VF</CardTitle>
        <span className="text-xs text-slate-500">
          set through {pf.netdevs[0]?.name ?? "the PF"} with <code className="font-mono">ip link set … vf N</code>; empty fields keep the driver&apos;s default
        </span>
      </CardHeader>
      <CardBody>
        <div className="mb-3 flex flex-wrap items-center gap-2 text-sm">
          <Button
            size="sm"
            disabled={!pfMac}
            onClick={() => setRows((rs) => rs.map((r, i) => ({ ...r, mac: stableVfMac(pfMac!, i) })))}
            title="Locally administered, derived from the PF's MAC and the VF index: the same on every boot"
          >
            Generate MACs for all
          </Button>
          <label className="ml-4 flex items-center gap-1">
            VLAN for all
            <input
              value={bulkVlan}
              onChange={(e) => setBulkVlan(e.target.value.trim())}
              className="h-7 w-20 rounded-md border border-slate-300 px-2 font-mono"
              aria-label="VLAN for all VFs"
            />
          </label>
          <Button size="sm" disabled={!bulkVlan} onClick={() => setRows((rs) => rs.map((r) => ({ ...r, vlan: bulkVlan })))}>
            Fill
          </Button>
        </div>
        <table className="w-full text-left text-sm" aria-label="VF settings">
          <TableHead columns={["VF", "MAC", "VLAN", "QoS", "Spoof check", "Trust", "Link state", "Max rate (Mb/s)"]} cell="py-1 pr-2" />
          <tbody>
            {rows.map((r, i) => {
              const e = parsed[i]!.errors;
              const input = (field: "mac" | "vlan" | "qos" | "maxRate", width: string) => (
                <input
                  aria-label={`VF ${i} ${field === "maxRate" ? "max rate" : field}`}
                  value={r[field]}
                  onChange={(ev) => set(i, { [field]: ev.target.value.trim() })}
                  aria-invalid={e[field] !== undefined}
                  className={`h-7 ${width} rounded-md border px-2 font-mono ${e[field] ? "border-red-500 bg-red-50" : "border-slate-300"}`}
                />
              );
              const select = (field: "spoofchk" | "trust" | "state", options: string[]) => (
                <select
                  aria-label={`VF ${i} ${field}`}
                  value={r[field]}
                  onChange={(ev) => set(i, { [field]: ev.target.value })}
                  className="h-7 rounded-md border border-slate-300 px-1"
                >
                  <option value="">default</option>
                  {options.map((o) => (
                    <option key={o} value={o}>
                      {o}
                    </option>
                  ))}
                </select>
              );
              return (
                <tr key={i} data-testid={`vf-row-${i}`} className="border-t border-slate-100 align-top">
                  <td className="py-1 pr-2 font-mono">{i}</td>
                  <td className="py-1 pr-2">
                    <div className="flex gap-1">
                      {input("mac", "w-40")}
                      <Button
                        size="sm"
                        variant="ghost"
                        disabled={!pfMac}
                        onClick={() => set(i, { mac: stableVfMac(pfMac!, i) })}
                        aria-label={`Generate a MAC for VF ${i}`}
                      >
                        gen
                      </Button>
                    </div>
                  </td>
                  <td className="py-1 pr-2">{input("vlan", "w-20")}</td>
                  <td className="py-1 pr-2">{input("qos", "w-12")}</td>
                  <td className="py-1 pr-2">{select("spoofchk", ["on", "off"])}</td>
                  <td className="py-1 pr-2">{select("trust", ["on", "off"])}</td>
                  <td className="py-1 pr-2">{select("state", ["auto", "enable", "disable"])}</td>
                  <td className="py-1 pr-2">{input("maxRate", "w-24")}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {hasErrors ? (
          <ul role="alert" data-testid="settings-errors" className="mt-3 space-y-0.5 text-sm text-red-800">
            {parsed.flatMap((p, i) =>
              Object.values(p.errors).map((msg) => (
                <li key={`${i}-${msg}`}>
                  VF {i}: {msg}
                </li>
              )),
            )}
          </ul>
        ) : null}
        <Nav
          onBack={() => go({ ...state, step: "count", settings: settings() })}
          disabled={hasErrors}
          onNext={() => go({ ...state, step: "vfio", settings: settings() })}
        />
      </CardBody>
    </Card>
  );
}

/** Which VFs go to vfio-pci, and which VM each of those is then given to (libvirt puts its MAC and VLAN on it). */
export function VfioStep({ state, pf, byAddress, go }: { state: SriovState; pf: PciDevice; byAddress: Map<string, PciDevice>; go: Go }) {
  const count = state.count!;
  const vms = useVms();
  const pools = usePools();
  const [chosen, setChosen] = useState<Set<number>>(new Set(state.vfio));
  const [vmOf, setVmOf] = useState<Record<number, string>>(state.vms);
  const toggle = (i: number) => setChosen((c) => (c.has(i) ? new Set([...c].filter((x) => x !== i)) : new Set([...c, i])));
  const list = () => [...chosen].sort((a, b) => a - b);
  // A VM only for a VF that goes to vfio-pci; "none" is no entry.
  const next = (step: SriovState["step"]) =>
    go({ ...state, step, vfio: list(), vms: Object.fromEntries(Object.entries(vmOf).filter(([i, uuid]) => chosen.has(Number(i)) && uuid !== "")) });
  const reason = noVmsReason(vms.data, vms.isPending);
  const poolChoices = poolChoicesFor(pf, pools.data?.available ? pools.data.pools : null);
  return (
    <Card>
      <CardHeader>
        <CardTitle>Which VFs go to vfio-pci, and to which VM?</CardTitle>
        <span className="text-xs text-slate-500">a VF on vfio-pci is ready for a VM; the others stay with the host</span>
      </CardHeader>
      <CardBody>
        <ul className="space-y-1" aria-label="VFs">
          {Array.from({ length: count }, (_, i) => {
            const { address, predicted } = vfAddress(pf, count, i);
            const d = address ? byAddress.get(address) : undefined;
            return (
              <li key={i} data-testid={`vfio-row-${i}`} className="flex flex-wrap items-center gap-x-4 gap-y-1">
                <label className="flex items-center gap-2 text-sm">
                  <input type="checkbox" checked={chosen.has(i)} onChange={() => toggle(i)} aria-label={`VF ${i} to vfio-pci`} />
                  <span className="w-12 font-mono">VF {i}</span>
                  <span className="font-mono">{address ?? "address known after creation"}</span>
                  <span className="text-xs text-slate-500">
                    {predicted
                      ? "(will be created)"
                      : d
                        ? `now on ${d.driver ?? "no driver"}${d.netdevs.length ? `, ${d.netdevs.map((n) => n.name).join(", ")}` : ""}`
                        : ""}
                  </span>
                </label>
                {chosen.has(i) ? (
                  <label className="flex items-center gap-1 text-sm text-slate-700">
                    VM:
                    <VmSelect
                      label={`VF ${i} VM`}
                      value={vmOf[i] ?? ""}
                      onChange={(uuid) => setVmOf((m) => ({ ...m, [i]: uuid }))}
                      vms={vms.data}
                      empty="none"
                      disabled={reason !== null}
                      describedBy="vf-vm-help"
                      extra={poolChoices}
                    />
                  </label>
                ) : null}
              </li>
            );
          })}
        </ul>
        <p id="vf-vm-help" data-testid="vf-vm-help" className="mt-3 text-xs text-slate-500">
          {reason
            ? `VMs cannot be chosen: ${reason}.`
            : "A VF given to a VM goes into its definition as a network interface: libvirt sets the MAC and VLAN entered for it on the VF when the VM starts, and restores them when it stops. A VF left to a VF pool goes to whichever VM takes one from the pool (the pool is created when the PF has none)."}
        </p>
        <Nav onBack={() => next("settings")} onNext={() => next("review")} nextLabel="Review the plan" />
      </CardBody>
    </Card>
  );
}

/** The PF's VF pools as destinations, or the one this plan would create (named after the PF's interface). */
export function poolChoicesFor(pf: PciDevice, pools: PoolRow[] | null): { value: string; label: string }[] {
  if (!pools) return [];
  const mine = pools.filter((p) => p.pfs.some((x) => x.address === pf.address));
  if (mine.length > 0) return mine.map((p) => ({ value: `${POOL_TARGET}${p.name}`, label: `VF pool ${p.name}` }));
  const netdev = pf.netdevs[0]?.name;
  if (!netdev) return [];
  const name = `${netdev}-vfs`;
  return pools.some((p) => p.name === name) ? [] : [{ value: `${POOL_TARGET}${name}`, label: `a new VF pool ${name}` }];
}
