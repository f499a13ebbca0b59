/** What the account commands (user, token, setup-code, audit) share. */
import type { AccountFlags } from "../account-commands";
import type { CliServices } from "../services";

/** Runs one account command on the web tier's database (audit: on the host records). */
export async function runAccounts(services: CliServices, command: string, positionals: string[], flags: AccountFlags): Promise<number> {
  const [{ runAccountCommand }, openWeb, openRecords, env, { webDir }] = await Promise.all([
    import("../account-commands"),
    services.webDb(),
    services.records(),
    services.env(),
    import("@/server/db/layout"),
  ]);
  return runAccountCommand(command, positionals, flags, openWeb, {
    readStdin: () => services.readStdin(),
    actor: services.actor(),
    webDir: webDir(env.PASSDECK_DATA_DIR),
    audit: () => openRecords().audit,
  });
}
