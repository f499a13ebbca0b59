import { parsePciAddress } from "@/lib/pci-address";
import { defineCommand } from "../command";
import { UsageError } from "../errors";

export const command = defineCommand({
  name: "desired",
  usage: `Usage: passdeck desired [--json]
       passdeck desired forget <address> [--json]

What the applies (vfs set, vf set, bind, restore) remember: VF counts, VF settings, vfio bindings, and how the host
differs from it now; passdeck reconcile puts it back. forget: forget everything remembered at an address (a
replaced card).

  --json   {entries, drift}; with forget, {forgotten}`,
  options: { json: { type: "boolean" } },
  async run(services, { values, positionals }) {
    const hostDeps = await services.writeDeps(false);
    if (!hostDeps.desired) throw new Error("no desired-state store was given to the CLI");
    const store = hostDeps.desired();
    if (positionals[0] === "forget") {
      const parsed = parsePciAddress(positionals[1] ?? "");
      if (!parsed.ok) throw new UsageError(`passdeck desired forget needs a PCI address: ${parsed.error}`);
      const gone = services.injected
        ? store.forget(parsed.address)
        : await (await services.records())().forgetDesired(parsed.address, { actor: `cli (${services.actor()})`, origin: null });
      const { describeEntry } = await import("@/server/desired/desired-state");
      if (values.json) console.log(JSON.stringify({ forgotten: gone }, null, 2));
      else if (gone.length === 0) console.log(`Nothing is remembered at ${parsed.address}.`);
      else for (const e of gone) console.log(`Forgot ${describeEntry(e)}`);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unknown "desired ${positionals[0]}": use passdeck desired [--json] or passdeck desired forget <address>`);
    const [{ driftNow }, { describeEntry }, { formatDrift }] = await Promise.all([
      import("@/server/desired/reconcile"),
      import("@/server/desired/desired-state"),
      import("../desired-format"),
    ]);
    const state = store.get();
    const drift = await driftNow({ desired: state, inventory: hostDeps.inventory, ip: hostDeps.ip });
    if (values.json) console.log(JSON.stringify({ entries: state.entries, drift }, null, 2));
    else if (state.entries.length === 0)
      console.log("Nothing is remembered yet: vfs set, vf set, bind and restore remember what they apply, for passdeck reconcile.");
    else {
      console.log("Desired state (put back by passdeck reconcile):");
      for (const e of state.entries) console.log(`  ${describeEntry(e)}   [${e.updatedBy}, ${e.updatedAt}]`);
      console.log("");
      console.log(formatDrift(drift));
    }
    return 0;
  },
});
