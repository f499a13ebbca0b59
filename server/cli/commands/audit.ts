import { defineCommand } from "../command";
import { runAccounts } from "./accounts";

export const command = defineCommand({
  name: "audit",
  usage: `Usage: passdeck audit [--since 24h|T] [--json|--csv]

The audit trail: logins, failed logins, token mutations, plans, account changes.

  --since 24h|T   a duration back from now, or an ISO time
  --json, --csv   the entries as JSON or CSV`,
  options: { json: { type: "boolean" }, csv: { type: "boolean" }, since: { type: "string" } },
  run: (services, { values, positionals }) => runAccounts(services, "audit", positionals, { json: values.json, csv: values.csv, since: values.since }),
});
