import { defineCommand } from "../command";
import { runAccounts } from "./accounts";

export const command = defineCommand({
  name: "setup-code",
  usage: `Usage: passdeck setup-code [--json]

The one-time code the dashboard's first-run page asks for (none once an admin exists).

  --json   {needsSetup, code}`,
  options: { json: { type: "boolean" } },
  run: (services, { values, positionals }) => runAccounts(services, "setup-code", positionals, { json: values.json }),
});
