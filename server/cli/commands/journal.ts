import { defineCommand } from "../command";

export const command = defineCommand({
  name: "journal",
  usage: `Usage: passdeck journal [--json]

What was applied on this host (the last 50), by whom, from where, with each step's outcome.

  --json   the entries with their steps`,
  options: { json: { type: "boolean" } },
  async run(services, { values }) {
    const entries = (await services.records())().journal.list({ limit: 50 });
    if (values.json) console.log(JSON.stringify(entries, null, 2));
    else if (entries.length === 0) console.log("The journal is empty: nothing has been applied on this host.");
    else
      for (const e of entries)
        console.log(
          `#${e.id} ${e.startedAt} ${e.status.padEnd(26)} ${e.actor} (${e.source})  ${e.title}  [${e.counts.done} done, ${e.counts.failed} failed, ${e.counts["rolled-back"]} rolled back]`,
        );
    return 0;
  },
});
