"use client";

import { AdminOnly } from "@/components/auth/session";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { useState, type FormEvent } from "react";
import { ageText } from "@/components/data/format";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, CardTitle } from "@/components/ui/card";
import { WarnIcon } from "@/components/ui/icons";
import { cn } from "@/components/ui/cn";
import { DEFAULT_INTERVAL_MS, PROBE_KINDS, probeTargetInput, type ProbeKind } from "@/lib/probe-target";
import { formatPercent, formatUs } from "@/lib/latency-format";
import { useTRPC } from "@/lib/trpc/client";
import type { AgentRow, TargetList, TargetRow } from "./model";

const STATE_TONE: Record<TargetRow["state"], BadgeTone> = {
  starting: "blue",
  probing: "green",
  failing: "red",
  stopped: "neutral",
  "not started": "amber",
};

/** What is probed, what the probe agent says about each target, and the form to add one. */
export function TargetsPanel({
  list,
  chosen,
  onChoose,
  onAdded,
  onRemoved,
}: {
  list: TargetList;
  chosen: readonly number[];
  onChoose: (ids: number[]) => void;
  onAdded: (id: number) => void;
  onRemoved: (id: number) => void;
}) {
  const chosenSet = new Set(chosen);
  return (
    <Card aria-labelledby="targets-title" data-testid="targets">
      <CardHeader>
        <CardTitle id="targets-title">Targets</CardTitle>
        <span className="text-xs text-slate-500">what the probe agent pings; tick the ones to chart (several share one time axis)</span>
      </CardHeader>
      <CardBody className="space-y-3">
        {list.available ? (
          <AgentLine agent={list.agent} />
        ) : (
          <p role="alert" data-testid="latency-unavailable" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900">
            The latency store cannot be opened: {list.reason}
          </p>
        )}
        {list.targets.length === 0 ? (
          <p data-testid="targets-empty" className="text-slate-600">
            No latency targets yet. Add the address you want to watch below (the VM&apos;s IP on its VF, or the gateway it talks to): the probe agent starts
            pinging it within a second, and its charts appear here.
          </p>
        ) : (
          <ul className="divide-y divide-slate-100 rounded-md border border-slate-200" aria-label="Latency targets">
            {list.targets.map((t) => (
              <TargetItem
                key={t.id}
                target={t}
                checked={chosenSet.has(t.id)}
                onCheck={(on) => onChoose(on ? [...chosen, t.id] : chosen.filter((id) => id !== t.id))}
                onRemoved={onRemoved}
              />
            ))}
          </ul>
        )}
        {list.available ? (
          <AdminOnly>
            <AddTargetForm onAdded={onAdded} />
          </AdminOnly>
        ) : null}
      </CardBody>
    </Card>
  );
}

function AgentLine({ agent }: { agent: AgentRow | null }) {
  if (agent?.alive)
    return (
      <p data-testid="agent-alive" className="text-xs text-slate-600">
        Probe agent running (pid <span className="font-mono">{agent.pid}</span>)
        {agent.minIntervalMs !== null ? <>, fastest interval ping accepts here: {agent.minIntervalMs} ms</> : null}. {agent.note}
      </p>
    );
  return (
    <div role="alert" data-testid="agent-down" className="flex items-start gap-2 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-amber-950">
      <WarnIcon className="mt-0.5 shrink-0" />
      <div>
        <p className="font-semibold">
          {/* eslint-disable-next-line react-hooks/purity -- the age as of this render; a ticking clock would re-render the panel every second */}
          No probe agent is running{agent ? ` (the last one, pid ${agent.pid}, was last heard ${ageText(Date.now() - agent.heartbeatAt)})` : ""}: nothing is
          being measured.
        </p>
        <p className="mt-1">
          <code className="font-mono">npm start</code> runs it beside the web server and restarts it; on its own, run{" "}
          <code className="font-mono">passdeck probe-agent</code> (for example as a systemd unit) with the same data directory. It measures in its own process
          so the web server never disturbs the timing.
        </p>
        {agent?.note ? <p className="mt-1 text-xs">Last report: {agent.note}</p> : null}
      </div>
    </div>
  );
}

function TargetItem({
  target: t,
  checked,
  onCheck,
  onRemoved,
}: {
  target: TargetRow;
  checked: boolean;
  onCheck: (on: boolean) => void;
  onRemoved: (id: number) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(
    trpc.targets.remove.mutationOptions({
      onSuccess: () => {
        onRemoved(t.id);
        void queryClient.invalidateQueries(trpc.targets.list.pathFilter());
      },
    }),
  );
  const m = t.lastMinute;
  return (
    <li data-testid={`target-${t.id}`} data-address={t.address} className="flex flex-wrap items-start gap-x-4 gap-y-1 px-3 py-2">
      <label className="flex min-w-64 flex-1 cursor-pointer items-start gap-2">
        <input type="checkbox" className="mt-1" checked={checked} onChange={(e) => onCheck(e.target.checked)} aria-label={`Chart ${t.name}`} />
        <span>
          <span className="font-mono font-medium text-slate-900">{t.name}</span>
          <span className="ml-2 inline-flex flex-wrap gap-1 align-middle">
            <Badge tone={STATE_TONE[t.state]} data-testid="target-state">
              {t.state}
            </Badge>
            {t.kind === "tcp" ? (
              <Badge tone="amber" title="TCP connect time measured in Node: good for reachability, too coarse for µs jitter">
                coarse: Node timing, ms-level
              </Badge>
            ) : (
              <Badge tone="neutral" title="iputils ping, kernel receive timestamps">
                ICMP
              </Badge>
            )}
          </span>
          <span className="block text-xs text-slate-500">
            every {t.intervalMs} ms · timeout {t.timeoutMs} ms · id {t.id}
          </span>
          {t.message ? (
            <span data-testid="target-message" className={cn("mt-0.5 block text-xs", t.state === "failing" ? "text-red-800" : "text-slate-600")}>
              {t.message}
            </span>
          ) : null}
        </span>
      </label>
      <p data-testid="target-last-minute" className="text-xs text-slate-700 tabular-nums">
        <span className="text-slate-500">last minute: </span>N {m.n.toLocaleString("en-US")} of {m.sent.toLocaleString("en-US")} · loss {formatPercent(m.loss)}{" "}
        · p50 {formatUs(m.p50)} · p99 {formatUs(m.p99)} · PDV p99 {formatUs(m.pdvP99)}
      </p>
      <AdminOnly>
        <div className="flex flex-col items-end gap-1">
          <Button size="sm" onClick={() => remove.mutate({ id: t.id })} disabled={remove.isPending} aria-label={`Remove ${t.name}`}>
            {remove.isPending ? "Removing…" : "Remove"}
          </Button>
          {remove.isError ? (
            <span role="alert" className="text-xs text-red-800">
              {remove.error.message}
            </span>
          ) : null}
        </div>
      </AdminOnly>
    </li>
  );
}

type Field = "address" | "kind" | "port" | "intervalMs" | "label";
type FieldErrors = Partial<Record<Field | "form", string>>;

/** The server's zod messages by field, or its one message (a conflict) on the field it is about. */
function serverErrors(err: unknown): FieldErrors {
  if (!(err instanceof TRPCClientError)) return { form: err instanceof Error ? err.message : String(err) };
  const data = err.data as { code?: string; zodError?: { fieldErrors?: Record<string, string[] | undefined>; formErrors?: string[] } | null } | undefined;
  const out: FieldErrors = {};
  for (const [k, v] of Object.entries(data?.zodError?.fieldErrors ?? {})) if (v?.[0]) out[k as Field] = v[0];
  if (data?.zodError?.formErrors?.[0]) out.form = data.zodError.formErrors[0];
  if (Object.keys(out).length === 0) {
    if (data?.code === "CONFLICT") out.address = err.message;
    else out.form = err.message;
  }
  return out;
}

function AddTargetForm({ onAdded }: { onAdded: (id: number) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [address, setAddress] = useState("");
  const [kind, setKind] = useState<ProbeKind>("icmp");
  const [port, setPort] = useState("");
  const [interval, setIntervalText] = useState(String(DEFAULT_INTERVAL_MS));
  const [label, setLabel] = useState("");
  const [vmUuid, setVmUuid] = useState<string | undefined>(undefined);
  const [errors, setErrors] = useState<FieldErrors>({});
  // A running VM's addresses as libvirt knows them (DHCP leases, ARP, guest agent): one click fills the form.
  const vmAddresses = useQuery({ ...trpc.vms.addresses.queryOptions(), staleTime: 30_000, refetchInterval: false });
  const vmChoices = (vmAddresses.data?.vms ?? []).flatMap((vm) => vm.addresses.map((a) => ({ vm, a, key: `${vm.uuid} ${a.address}` })));
  const add = useMutation(
    trpc.targets.add.mutationOptions({
      onSuccess: (t) => {
        setAddress("");
        setLabel("");
        setVmUuid(undefined);
        setErrors({});
        onAdded(t.id);
        void queryClient.invalidateQueries(trpc.targets.list.pathFilter());
      },
      onError: (err) => setErrors(serverErrors(err)),
    }),
  );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const local: FieldErrors = {};
    if (!/^\d+$/.test(interval.trim())) local.intervalMs = "the interval is whole milliseconds";
    if (kind === "tcp" && !/^\d+$/.test(port.trim())) local.port = "a TCP port is 1–65535";
    // The same schema as the server's: a mistake is named on its field before anything is sent.
    const parsed = probeTargetInput.safeParse({
      address,
      kind,
      port: kind === "tcp" && port.trim() ? Number(port) : undefined,
      intervalMs: Number(interval.trim() || NaN),
      label: label.trim() || undefined,
      vmUuid,
    });
    if (!parsed.success) for (const issue of parsed.error.issues) local[(issue.path[0] as Field | undefined) ?? "form"] ??= issue.message;
    setErrors(local);
    if (Object.keys(local).length || !parsed.success) return;
    add.mutate(parsed.data);
  };

  const fieldError = (f: Field) =>
    errors[f] ? (
      <span id={`target-${f}-error`} data-testid={`field-error-${f}`} role="alert" className="mt-0.5 block text-xs text-red-800">
        {errors[f]}
      </span>
    ) : null;
  const input = "h-8 rounded-md border border-slate-300 px-2 text-sm aria-invalid:border-red-500";

  return (
    <form onSubmit={submit} noValidate aria-label="Add target" data-testid="add-target" className="rounded-md border border-dashed border-slate-300 px-3 py-2">
      <p className="mb-2 text-xs font-semibold text-slate-700">Add target</p>
      <div className="flex flex-wrap items-start gap-3">
        <label className="flex flex-col text-xs text-slate-600">
          Address
          <input
            className={cn(input, "w-56 font-mono")}
            value={address}
            onChange={(e) => {
              setAddress(e.target.value);
              setVmUuid(undefined);
            }}
            placeholder="10.0.0.42 or vm1.lan"
            aria-invalid={errors.address ? true : undefined}
            aria-describedby={errors.address ? "target-address-error" : undefined}
          />
          {fieldError("address")}
        </label>
        <label className="flex flex-col text-xs text-slate-600">
          Kind
          <select className={input} value={kind} onChange={(e) => setKind(e.target.value as ProbeKind)}>
            {PROBE_KINDS.map((k) => (
              <option key={k} value={k}>
                {k === "icmp" ? "ICMP ping (µs, kernel timestamps)" : "TCP connect (coarse: Node timing, ms-level)"}
              </option>
            ))}
          </select>
        </label>
        {kind === "tcp" ? (
          <label className="flex flex-col text-xs text-slate-600">
            Port
            <input
              className={cn(input, "w-24 font-mono")}
              inputMode="numeric"
              value={port}
              onChange={(e) => setPort(e.target.value)}
              aria-invalid={errors.port ? true : undefined}
              aria-describedby={errors.port ? "target-port-error" : undefined}
            />
            {fieldError("port")}
          </label>
        ) : null}
        <label className="flex flex-col text-xs text-slate-600">
          Interval (ms)
          <input
            className={cn(input, "w-28 font-mono")}
            inputMode="numeric"
            value={interval}
            onChange={(e) => setIntervalText(e.target.value)}
            aria-invalid={errors.intervalMs ? true : undefined}
            aria-describedby={errors.intervalMs ? "target-intervalMs-error" : undefined}
          />
          {fieldError("intervalMs")}
        </label>
        <label className="flex flex-col text-xs text-slate-600">
          Label (optional)
          <input
            className={cn(input, "w-44")}
            value={label}
            onChange={(e) => setLabel(e.target.value)}
            placeholder="vm1 on VF"
            aria-invalid={errors.label ? true : undefined}
          />
          {fieldError("label")}
        </label>
        <Button type="submit" variant="default" className="mt-4" disabled={add.isPending}>
          {add.isPending ? "Adding…" : "Add target"}
        </Button>
      </div>
      {vmChoices.length ? (
        <label className="mt-2 flex items-center gap-2 text-xs text-slate-600">
          Or a running VM&apos;s address (from libvirt):
          <select
            className={input}
            data-testid="vm-address"
            value=""
            onChange={(e) => {
              const choice = vmChoices.find((c) => c.key === e.target.value);
              if (!choice) return;
              setAddress(choice.a.address);
              setLabel(choice.vm.name);
              setVmUuid(choice.vm.uuid);
            }}
          >
            <option value="">choose…</option>
            {vmChoices.map(({ vm, a, key }) => (
              <option key={key} value={key}>
                {vm.name}: {a.address} ({a.name}, {a.source})
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {errors.form || errors.kind ? (
        <p role="alert" data-testid="field-error-form" className="mt-1 text-xs text-red-800">
          {errors.form ?? errors.kind}
        </p>
      ) : null}
    </form>
  );
}
