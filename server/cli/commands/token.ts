import { defineCommand } from "../command";
import { runAccounts } from "./accounts";

export const command = defineCommand({
  name: "token",
  usage: `Usage: passdeck token create --role admin|viewer [--label NAME] [--expires 90d] [--json]
       passdeck token list [--json]
       passdeck token revoke <id>

API tokens for scripts and Prometheus. create prints the token once; list shows tokens (never the secret), last
use, expiry, revoked or not; revoke: the token stops working at once.

  --role admin|viewer   what the token may do
  --label NAME          a name for it
  --expires 90d         refused after that long (30m, 12h, 90d, 1y); without it, it does not expire
  --json                the token(s)`,
  options: { json: { type: "boolean" }, role: { type: "string" }, label: { type: "string" }, expires: { type: "string" } },
  run: (services, { values, positionals }) =>
    runAccounts(services, "token", positionals, { json: values.json, role: values.role, label: values.label, expires: values.expires }),
});
