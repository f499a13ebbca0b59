"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { AdminOnly } from "@/components/auth/session";
import { useSubscription } from "@trpc/tanstack-react-query";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import type { StepReport } from "@/server/executor/plan";
import type { ProgressEvent } from "@/server/plans/plan-service";
import { useTRPC, type RouterInputs, type RouterOutputs } from "@/lib/trpc/client";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, CardTitle } from "@/components/ui/card";
import { ErrorPanel } from "@/components/ui/states";
import { describeVfSettings } from "@/lib/vf-settings";
import { TableHead } from "@/components/ui/table";
import { diffLines, isNetworkXml, poolWhenText, targetText, whenText } from "@/components/vms/model";

type PreviewInput = RouterInputs["plans"]["preview"];
type Preview = RouterOutputs["plans"]["preview"];
type Refusal = Preview["warnings"][number];

/**
 * Review (the plan in words and as exact commands, the safety verdicts, what the host loses), then apply with
 * each step's outcome as it is verified, then the result with the rollback outcome.
 */
export function ReviewAndApply({
  request,
  subject,
  entry,
  onBack,
  onFinished,
}: {
  request: PreviewInput;
  subject: string;
  entry: number | null;
  onBack: () => void;
  onFinished: (entry: number) => void;
}) {
  const trpc = useTRPC();
  const [confirm, setConfirm] = useState(false);
  const [typed, setTyped] = useState("");
  const force = typed.trim() === subject;
  const preview = useMutation(trpc.plans.preview.mutationOptions());
  const access = useQuery(trpc.plans.access.queryOptions());
  const [applying, setApplying] = useState<string | null>(null);
  const requestKey = JSON.stringify(request);

  useEffect(() => {
    if (entry === null) preview.mutate({ ...request, confirm, force });
    // preview.mutate is stable; re-plan when the request or the overrides change
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [requestKey, confirm, force, entry]);

  if (entry !== null && applying === null) return <FinishedEntry id={entry} onBack={onBack} />;
  if (applying) return <ApplyProgress planId={applying} plan={preview.data!} onFinished={onFinished} />;
  if (preview.isError) return <ErrorPanel error={preview.error} what="the plan" title="Could not make the plan" />;
  if (!preview.data)
    return (
      <p role="status" className="text-sm text-slate-500">
        Planning…
      </p>
    );

  const p = preview.data;
  const outcome = p.outcome;
  const refusals: Refusal[] = outcome.kind === "refused" ? outcome.refusals : [];
  const needsConfirm = refusals.some((r) => r.override === "confirm") || (confirm && p.warnings.some((w) => w.override === "confirm"));
  const needsForce = refusals.some((r) => r.override === "force") || (force && p.warnings.some((w) => w.override === "force"));
  const hardRefusals = refusals.filter((r) => r.override === null);
  const toVms = p.vfs.filter((v) => v.vm !== null);
  const toPools = p.vfs.filter((v) => v.pool !== null);

  return (
    <div className="space-y-4">
      <Card>
        <CardHeader>
          <CardTitle data-testid="plan-title">
            {outcome.kind === "plan" ? outcome.plan.title : outcome.kind === "nothing-to-do" ? "Nothing to do" : "This change is refused"}
          </CardTitle>
          <span className="text-xs text-slate-500">nothing is written until you press Apply</span>
        </CardHeader>
        <CardBody className="space-y-3 empty:hidden">
          {outcome.kind === "nothing-to-do" ? <p data-testid="nothing-to-do">{outcome.reason}</p> : null}
          {hardRefusals.length ? (
            <ul role="alert" data-testid="refusals" className="space-y-1 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900">
              {hardRefusals.map((r) => (
                <li key={r.code + r.reason} data-code={r.code}>
                  {r.reason}
                </li>
              ))}
            </ul>
          ) : null}
          {[...refusals.filter((r) => r.override !== null), ...p.warnings].length ? (
            <ul data-testid="warnings" className="space-y-1 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-amber-950">
              {[...refusals.filter((r) => r.override !== null), ...p.warnings].map((r) => (
                <li key={r.code + r.reason} data-code={r.code}>
                  <Badge tone={r.override === "force" ? "red" : "amber"}>{r.override === "force" ? "host-critical" : "warning"}</Badge> {r.reason}
                </li>
              ))}
            </ul>
          ) : null}
          {needsConfirm ? (
            <label className="flex items-center gap-2">
              <input type="checkbox" checked={confirm} onChange={(e) => setConfirm(e.target.checked)} />I have read the warnings and want this anyway
            </label>
          ) : null}
          {needsForce ? (
            <label className="block">
              <span className="text-red-900">
                This touches a device the host depends on. To go ahead, type <code className="font-mono font-semibold">{subject}</code>:
              </span>
              <input
                aria-label="Type the address to confirm a host-critical change"
                value={typed}
                onChange={(e) => setTyped(e.target.value)}
                className="mt-1 block h-8 w-56 rounded-md border border-red-400 px-2 font-mono"
              />
            </label>
          ) : null}
          {p.hostLoses.length ? (
            <div data-testid="host-loses">
              <h3 className="font-semibold text-slate-800">The host loses</h3>
              <ul className="list-disc pl-5">
                {p.hostLoses.map((l) => (
                  <li key={l}>{l}</li>
                ))}
              </ul>
            </div>
          ) : null}
          {p.vfs.length ? (
            <table className="w-full text-left" aria-label="VFs in this plan">
              <TableHead columns={["VF", "Address", "Settings", "Driver after", ...(toVms.length || toPools.length ? ["VM or pool"] : [])]} cell="py-1 pr-2" />
              <tbody>
                {p.vfs.map((v) => (
                  <tr key={v.index} data-testid={`review-vf-${v.index}`} className="border-t border-slate-100">
                    <td className="py-1 pr-2 font-mono">{v.index}</td>
                    <td className="py-1 pr-2 font-mono">
                      {v.address ?? "?"}
                      {v.predicted ? <span className="ml-1 font-sans text-xs text-slate-500">(new: checked before use)</span> : null}
                    </td>
                    <td className="py-1 pr-2">{v.settings ? describeVfSettings(v.settings) : "driver defaults"}</td>
                    <td className="py-1 pr-2 font-mono">{v.vfio ? "vfio-pci" : "host"}</td>
                    {toVms.length || toPools.length ? <td className="py-1 pr-2 font-mono">{v.vm?.name ?? (v.pool ? `pool ${v.pool}` : "")}</td> : null}
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {toVms.length ? (
            <ul data-testid="vm-vf-notes" className="space-y-1">
              {toVms.map((v) => (
                <li key={v.index}>
                  VF {v.index} goes to <span className="font-mono">{v.vm!.name}</span> as a network interface: libvirt sets its {vmNetSettings(v.settings)}{" "}
                  through the PF when the VM starts, and restores them when it stops
                  {v.settings && Object.keys(v.settings).some((k) => k !== "mac" && k !== "vlan") ? "; the other settings are set on the host now" : ""}.
                </li>
              ))}
            </ul>
          ) : null}
          {toPools.length ? (
            <p data-testid="pool-vf-notes">
              {toPools.map((v) => `VF ${v.index}`).join(", ")} {toPools.length === 1 ? "is" : "are"} left to the VF pool{" "}
              <span className="font-mono">{[...new Set(toPools.map((v) => v.pool))].join(", ")}</span>: a VM whose interface takes a VF from the pool gets a
              free one when it starts, with that interface&apos;s MAC and VLAN.
            </p>
          ) : null}
          {p.libvirt && outcome.kind !== "refused" ? (
            <p data-testid="libvirt-note" className="text-xs text-slate-500">
              Not checked against VMs: {p.libvirt}.
            </p>
          ) : null}
          {p.guestDriver ? (
            <p data-testid="guest-driver">
              The guest needs the <code className="font-mono">{p.guestDriver}</code> driver for these VFs (guest driver parity: the VF device ID is not the
              PF&apos;s).
            </p>
          ) : null}
          {p.endpoints.length > 1 || p.bridgesStay.length ? (
            <p data-testid="group-scope">
              Going to vfio-pci together: <span className="font-mono">{p.endpoints.join(", ")}</span>
              {p.bridgesStay.length ? (
                <>
                  {" "}
                  · staying on their port driver: <span className="font-mono">{p.bridgesStay.join(", ")}</span>
                </>
              ) : null}
            </p>
          ) : null}
        </CardBody>
      </Card>
      {p.bootBinding ? <BootBindingGuide binding={p.bootBinding} /> : null}
      {outcome.kind === "plan" && p.xmlChanges.length ? <XmlChanges changes={p.xmlChanges} /> : null}
      {outcome.kind === "plan" ? (
        <Card>
          <CardHeader>
            <CardTitle>The plan, step by step</CardTitle>
            <span className="text-xs text-slate-500">each step is read back after it runs; on the first failure the done steps are undone in reverse</span>
          </CardHeader>
          <ol className="divide-y divide-slate-100 text-sm" data-testid="plan-steps">
            {outcome.plan.steps.map((s, i) => (
              <li key={i} className="px-4 py-2">
                <p className="text-slate-900">
                  {i + 1}. {s.summary}
                </p>
                <code className="mt-0.5 block font-mono text-xs text-slate-600">{p.commands[i]}</code>
              </li>
            ))}
          </ol>
        </Card>
      ) : null}
      {access.data && !access.data.canApply ? (
        <p role="alert" data-testid="cannot-apply" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950">
          This server cannot apply plans: {access.data.reason}
        </p>
      ) : null}
      <div className="flex justify-between">
        <Button onClick={onBack}>Back</Button>
        <AdminOnly>
          <Button
            variant="default"
            disabled={outcome.kind !== "plan" || !access.data?.canApply || preview.isPending}
            onClick={() => outcome.kind === "plan" && setApplying(outcome.plan.id)}
          >
            Apply
          </Button>
        </AdminOnly>
      </div>
    </div>
  );
}

interface StepState {
  status: "pending" | StepReport["status"];
  report?: StepReport;
}

function ApplyProgress({ planId, plan, onFinished }: { planId: string; plan: Preview; onFinished: (entry: number) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [events, setEvents] = useState<ProgressEvent[]>([]);
  const execute = useMutation(trpc.plans.execute.mutationOptions());
  const started = useRef(false);
  useSubscription(trpc.plans.progress.subscriptionOptions({ planId }, { onData: (e) => setEvents((es) => [...es, e]) }));
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    execute.mutate(
      { planId },
      {
        onSettled: () => void queryClient.invalidateQueries(),
      },
    );
  }, [execute, planId, queryClient]);

  if (plan.outcome.kind !== "plan") return null;
  const steps = plan.outcome.plan.steps;
  const finished = events.find((e): e is Extract<ProgressEvent, { kind: "finished" }> => e.kind === "finished") ?? null;
  const result = finished?.result ?? execute.data?.result ?? null;
  const state: StepState[] = steps.map(() => ({ status: "pending" }));
  const rollbacks: StepReport[] = [];
  for (const e of events) {
    if (e.kind !== "step") continue;
    if (e.report.status === "done" || e.report.status === "failed") state[e.report.index] = { status: e.report.status, report: e.report };
    else rollbacks.push(e.report);
  }
  const entryId = finished?.entryId ?? execute.data?.entryId ?? null;
  const confirmation = finished?.confirmation ?? execute.data?.confirmation ?? null;
  const failed = result?.steps.find((s) => s.status === "failed");

  return (
    <div className="space-y-4">
      <Card>
        <CardHeader>
          <CardTitle>{plan.outcome.plan.title}</CardTitle>
          <span className="text-xs text-slate-500" role="status" data-testid="apply-status">
            {result ? (result.ok ? "applied" : result.rolledBack ? "failed, rolled back" : "failed, rollback incomplete") : "applying…"}
          </span>
        </CardHeader>
        <ol className="divide-y divide-slate-100 text-sm" aria-label="Progress">
          {steps.map((s, i) => (
            <li key={i} data-testid={`progress-step-${i}`} data-status={state[i]!.status} className="flex items-start gap-3 px-4 py-2">
              <StatusBadge status={state[i]!.status} />
              <div>
                <p>{s.summary}</p>
                <code className="font-mono text-xs text-slate-600">{plan.commands[i]}</code>
                {state[i]!.report?.error ? <DecodedError error={state[i]!.report.error} /> : null}
              </div>
            </li>
          ))}
          {rollbacks.map((r, i) => (
            <li key={`rb-${i}`} data-testid="rollback-step" data-status={r.status} className="flex items-start gap-3 bg-slate-50 px-4 py-2">
              <StatusBadge status={r.status} />
              <div>
                <p>Undo step {r.index + 1}</p>
                <code className="font-mono text-xs text-slate-600">{r.command}</code>
                {r.error ? <DecodedError error={r.error} /> : null}
              </div>
            </li>
          ))}
        </ol>
      </Card>
      {execute.isError ? (
        <ErrorPanel error={execute.error} what="the apply" title="The apply was refused or stopped (the journal has any step that ran)" />
      ) : null}
      {result ? (
        <div
          role="alert"
          data-testid="apply-result"
          className={
            result.ok
              ? "rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm text-emerald-950"
              : "rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-950"
          }
        >
          {result.ok ? (
            <>
              <p>Applied and verified: every step read back as planned.</p>
              {confirmation ? (
                <p data-testid="apply-needs-confirmation" className="mt-1 font-medium">
                  It touches networking: keep it within {confirmation.windowMs / 1000} s (the prompt at the top), or it is undone by itself.
                </p>
              ) : null}
            </>
          ) : (
            <>
              <p className="font-semibold">{failed?.error?.cause ?? "A step failed."}</p>
              {failed?.error ? <p>Fix: {failed.error.fix}</p> : null}
              <p className="mt-1">
                {result.rolledBack
                  ? "Rolled back: the host is as it was before."
                  : "ROLLBACK INCOMPLETE: the steps above say what is left; the host is not as it was."}
              </p>
            </>
          )}
          {entryId !== null ? (
            <p className="mt-1">
              <Link href="/journal" className="underline">
                Journal entry #{entryId}
              </Link>
              {" · "}
              <button type="button" className="cursor-pointer underline" onClick={() => onFinished(entryId)}>
                Keep this result as a link
              </button>
            </p>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

function DecodedError({ error }: { error: NonNullable<StepReport["error"]> }) {
  return (
    <div className="mt-1 text-xs" data-testid="step-error" data-code={error.code}>
      <p className="text-red-800">{error.cause}</p>
      <p className="text-slate-700">fix: {error.fix}</p>
      {error.kernelLines.map((l) => (
        <p key={l} className="font-mono text-slate-500">
          kernel: {l}
        </p>
      ))}
    </div>
  );
}

const STATUS_TONE = { pending: "neutral", done: "green", failed: "red", "rolled-back": "amber", "rollback-failed": "red", skipped: "neutral" } as const;

function StatusBadge({ status }: { status: StepState["status"] }) {
  return (
    <Badge tone={STATUS_TONE[status]} className="w-24 justify-center">
      {status}
    </Badge>
  );
}

/** The result of an apply that finished earlier (a reload or a shared link): read from the journal. */
function FinishedEntry({ id, onBack }: { id: number; onBack: () => void }) {
  const trpc = useTRPC();
  const entry = useQuery(trpc.journal.byId.queryOptions({ id }));
  if (entry.isPending)
    return (
      <p role="status" className="text-sm text-slate-500">
        Reading journal entry #{id}…
      </p>
    );
  if (entry.isError) return <ErrorPanel error={entry.error} what={`journal entry #${id}`} />;
  const e = entry.data;
  return (
    <Card>
      <CardHeader>
        <CardTitle>{e.title}</CardTitle>
        <Badge tone={e.status === "applied" ? "green" : "red"} data-testid="entry-status">
          {e.status}
        </Badge>
      </CardHeader>
      <CardBody>
        <ol className="space-y-1">
          {e.steps.map((s) => (
            <li key={s.seq} className="flex gap-3">
              <StatusBadge status={s.status} />
              <code className="font-mono text-xs">{s.command}</code>
            </li>
          ))}
        </ol>
        <div className="mt-3 flex gap-2">
          <Button onClick={onBack}>Start over from here</Button>
          <Link href="/journal" className="self-center text-sm underline">
            The journal
          </Link>
        </div>
      </CardBody>
    </Card>
  );
}

/**
 * Keeping a whole device on vfio-pci across reboots. Reconcile (already remembering this plan) rebinds by address
 * after udev's coldplug, which is exact; a GPU is better claimed before its host driver initialises it at boot.
 */
function BootBindingGuide({ binding }: { binding: NonNullable<Preview["bootBinding"]> }) {
  const snippet = [
    "# /etc/modprobe.d/vfio.conf",
    `options vfio-pci ids=${binding.ids.join(",")}`,
    ...binding.hostDrivers.map((d) => `softdep ${d} pre: vfio-pci`),
  ].join("\n");
  return (
    <Card data-testid="boot-binding">
      <CardHeader>
        <CardTitle>After a reboot</CardTitle>
      </CardHeader>
      <CardBody className="space-y-2">
        <p>
          Once applied, Passdeck remembers this binding, and <code className="font-mono">passdeck-reconcile.service</code> binds the same addresses again at
          boot, after udev has loaded the drivers: exact, and enough for a NIC, an HBA or a USB controller.
        </p>
        {binding.display ? (
          <p>
            A GPU is better claimed before its host driver starts: that driver initialises the card (and the console on it) during boot, and some cards do not
            reset cleanly afterwards. Claim it by ID from early boot: vfio-pci must load first, which the <code className="font-mono">softdep</code> lines
            arrange, then rebuild the initramfs (<code className="font-mono">update-initramfs -u</code> on Debian and Ubuntu,{" "}
            <code className="font-mono">dracut -f</code> elsewhere) and reboot.
          </p>
        ) : (
          <p>To claim it from early boot instead (before any host driver touches it), by ID:</p>
        )}
        <pre className="overflow-x-auto rounded-md bg-slate-900 px-3 py-2 font-mono text-xs text-slate-100">{snippet}</pre>
        {binding.sameIdElsewhere.length ? (
          <p role="alert" className="text-red-900">
            <code className="font-mono">ids=</code> takes every device with these IDs, and this host has more: {binding.sameIdElsewhere.join(", ")}. Use the
            reconcile unit (by address) instead, or those go to vfio-pci too.
          </p>
        ) : null}
      </CardBody>
    </Card>
  );
}

/** "MAC 02:… and VLAN 42", or what libvirt will set when the wizard named neither. */
function vmNetSettings(s: Preview["vfs"][number]["settings"]): string {
  const parts = [s?.mac ? `MAC ${s.mac}` : "MAC (one Passdeck picks, shown in the XML)", s?.vlan ? `VLAN ${s.vlan}` : "no VLAN"];
  return parts.join(" and ");
}

/**
 * Each VM definition's change as a diff of the device XML libvirt gets, or a VF pool's network XML: `+ ` lines
 * added, `- ` lines removed.
 */
function XmlChanges({ changes }: { changes: Preview["xmlChanges"] }) {
  const networks = changes.every(isNetworkXml);
  return (
    <Card data-testid="xml-changes">
      <CardHeader>
        <CardTitle>{networks ? "libvirt's networks" : "The VMs' definitions"}</CardTitle>
        <span className="text-xs text-slate-500">
          {networks ? "the network XML handed to virsh net-define / removed by net-undefine" : "the device XML handed to virsh attach-device / detach-device"}
        </span>
      </CardHeader>
      <CardBody className="space-y-3">
        {changes.map((c) => (
          <figure key={`${c.domain}-${c.target}-${c.op}`} data-testid="xml-change" data-op={c.op} data-target={c.target}>
            <figcaption className="text-xs font-semibold text-slate-700">
              <span className="font-mono">{c.domain}</span> — {targetText(c.target)}
            </figcaption>
            <p className="mb-1 text-xs text-slate-500">{isNetworkXml(c) ? poolWhenText(c.op) : whenText(c)}</p>
            <pre
              className={`overflow-x-auto rounded-md border px-3 py-2 font-mono text-xs ${c.op === "add" ? "border-emerald-200 bg-emerald-50 text-emerald-950" : "border-red-200 bg-red-50 text-red-950"}`}
            >
              {diffLines(c).join("\n")}
            </pre>
          </figure>
        ))}
      </CardBody>
    </Card>
  );
}
