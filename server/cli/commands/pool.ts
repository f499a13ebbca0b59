import { defineCommand } from "../command";

export const command = defineCommand({
  name: "pool",
  usage: `Usage: passdeck pool list [--json]
       passdeck pool create <name> <pf-address> [--dry-run] [--json] [--confirm] [--force]
       passdeck pool delete <name> [--dry-run] [--json] [--confirm] [--force]

VF pools (libvirt hostdev networks): list shows which VM has which VF; create makes a pool of a PF's VFs, started
at boot; delete stops and removes a pool no running VM uses. A VM takes a pool's VF with passdeck vm attach --pool.

  --dry-run   print the XML and the plan, touch nothing
  --json, --confirm, --force   as for the other write commands (passdeck help vfs)
Exit codes: 0 applied, 2 refused or invalid (nothing written), 1 failed (rolled back).`,
  options: { json: { type: "boolean" }, "dry-run": { type: "boolean" }, confirm: { type: "boolean" }, force: { type: "boolean" } },
  async run(services, { values, positionals }) {
    const [verb, ...poolArgs] = positionals;
    const deps = await services.writeDeps(verb !== "list" && !values["dry-run"]);
    const { runPoolCommand } = await import("../vm-commands");
    return runPoolCommand(verb, poolArgs, { json: values.json, dryRun: values["dry-run"], confirm: values.confirm, force: values.force }, deps);
  },
});
