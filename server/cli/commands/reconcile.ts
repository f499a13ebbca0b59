import { defineCommand } from "../command";
import { UsageError } from "../errors";

export const command = defineCommand({
  name: "reconcile",
  usage: `Usage: passdeck reconcile [--dry-run] [--json]

Puts the remembered state (passdeck desired) back, as plans through the same checks and executor as every apply; at
boot by deploy/systemd/passdeck-reconcile.service.
Exit codes: 0 the host matches, 1 something failed, 2 something was refused or skipped.

  --dry-run   print the plans, write nothing
  --json      the report`,
  options: { "dry-run": { type: "boolean" }, json: { type: "boolean" } },
  async run(services, { values, positionals }) {
    if (positionals.length > 0) throw new UsageError(`passdeck reconcile takes no arguments (got ${positionals.join(" ")})`);
    const dryRun = values["dry-run"];
    const hostDeps = await services.writeDeps(!dryRun);
    if (!hostDeps.desired) throw new Error("no desired-state store was given to the CLI");
    const store = hostDeps.desired();
    const [{ reconcile }, { PlanExecutor }, { printReconcile }] = await Promise.all([
      import("@/server/desired/reconcile"),
      import("@/server/executor/executor"),
      import("../desired-format"),
    ]);
    const report = await reconcile(
      {
        desired: store.get(),
        inventory: hostDeps.inventory,
        ip: hostDeps.ip,
        executor: new PlanExecutor({
          sys: hostDeps.sys,
          writer: hostDeps.writer,
          ip: hostDeps.ip,
          procRoot: services.hostRoots().procRoot,
          ...(hostDeps.kernelLog ? { kernelLog: hostDeps.kernelLog } : {}),
        }),
        journal: hostDeps.journal(),
        actor: hostDeps.actor,
      },
      values.json
        ? { dryRun }
        : { dryRun, onPlan: (a) => console.log(`Applying: ${a.title}`), onStep: (_plan, r) => console.log(`    [${r.status}] ${r.command}`) },
    );
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else printReconcile(report);
    return report.exitCode;
  },
});
