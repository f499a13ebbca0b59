import { defineCommand } from "../command";
import { runAccounts } from "./accounts";

export const command = defineCommand({
  name: "user",
  usage: `Usage: passdeck user add <name> --role admin|viewer [--json]   (the password on standard input, first line)
       passdeck user list [--json]
       passdeck user disable <name>

The dashboard's users. add: the password is read from standard input, never from the command line (ps shows
that); disable: ends their sessions (the last admin cannot be disabled).

  --role admin|viewer   admin may apply plans, viewer only reads
  --json                the user(s)`,
  options: { json: { type: "boolean" }, role: { type: "string" } },
  run: (services, { values, positionals }) => runAccounts(services, "user", positionals, { json: values.json, role: values.role }),
});
