/** `passdeck desired` and `passdeck reconcile` in words. */
import type { DriftReport } from "@/server/desired/drift";
import type { ReconcileReport } from "@/server/desired/reconcile";
import { describeStep } from "@/server/executor/plan";

/** Drift in words: the rows that are not ok, with what happens next; ok rows are only counted. */
export function formatDrift(drift: DriftReport): string {
  if (drift.items.length === 0) return "nothing is remembered yet, so there is nothing to compare.";
  const lines = drift.items
    .filter((i) => i.status !== "ok")
    .map((i) => `  ${i.status.padEnd(14)} ${i.address} ${i.what}: want ${i.desired}, is ${i.actual}${i.note ? `\n${" ".repeat(17)}${i.note}` : ""}`);
  const head = drift.inSync
    ? `The host matches the desired state (${drift.counts.ok} checked).`
    : `The host differs from the desired state: ${drift.counts.drift} to put back, ${drift.counts["device-missing"]} missing, ${drift.counts["id-mismatch"]} other card${drift.counts["id-mismatch"] === 1 ? "" : "s"} (${drift.counts.ok} ok).`;
  return [head, ...lines].join("\n");
}

export function printReconcile(report: ReconcileReport): void {
  // Applied plans and their steps were printed as they ran; this is the summary.
  console.log(`Before: ${formatDrift(report.before)}`);
  for (const a of report.actions) {
    if (a.status === "waits-for-vf-count") console.log(`  later: ${a.title} (planned once the VF count plan has made the VF)`);
    else if (a.status === "planned") {
      console.log(`  plan: ${a.title} (dry run: nothing written)`);
      for (const s of a.plan?.steps ?? []) console.log(`    ${describeStep(s.step)}`);
    } else if (a.status === "failed")
      console.error(`passdeck: failed: ${a.title}${a.journalEntry !== null ? ` (journal #${a.journalEntry})` : ""}: ${a.error ?? "see the steps above"}`);
    for (const w of a.warnings) console.log(`    accepted again: ${w.reason}`);
  }
  for (const r of report.refused)
    console.error(`passdeck: ${r.code === "pf-not-reconciled" || r.code === "not-attempted" ? "skipped" : "refused"}: ${r.address}: ${r.reason}`);
  if (report.after && report.actions.length > 0) console.log(`After: ${formatDrift(report.after)}`);
  const words: Record<ReconcileReport["outcome"], string> = {
    "in-sync": "Nothing to do.",
    reconciled: "Reconciled: the host matches the desired state.",
    "would-change": "Dry run: the plans above would put the desired state back.",
    refused: "some entries were refused or skipped (above); the rest is as desired.",
    failed: "reconcile failed (above); a failed plan is rolled back, and passdeck journal shows every step.",
  };
  if (report.exitCode === 0) console.log(words[report.outcome]);
  else console.error(`passdeck: ${words[report.outcome]}`);
}
