import { readFileSync } from "node:fs";
import { defineCommand } from "../command";
import { WRITE_OPTIONS } from "./write-options";

export const command = defineCommand({
  name: "apply",
  usage: `Usage: passdeck apply <plan.json> [--dry-run] [--json]

Applies a plan saved with --dry-run --json (or written by hand) as it is: the executor's allow-list decides what it
may touch, nothing re-plans it. --confirm and --force are accepted and change nothing: the plan is what was accepted.

  --dry-run   print the plan, touch nothing
  --json      the result and its journal entry
Exit codes: 0 applied, 2 refused or invalid (nothing written), 1 failed (rolled back).`,
  // --confirm and --force as for the other write commands ("all take"), where they have nothing left to accept
  options: WRITE_OPTIONS,
  async run(services, { values, positionals }) {
    const deps = await services.writeDeps(!values["dry-run"]);
    const { runApplyFile } = await import("../write-commands");
    return runApplyFile(positionals[0], { json: values.json, dryRun: values["dry-run"], confirm: false, force: false }, deps, (path) =>
      readFileSync(path, "utf8"),
    );
  },
});
