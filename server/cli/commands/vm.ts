import { defineCommand } from "../command";

export const command = defineCommand({
  name: "vm",
  usage: `Usage: passdeck vm list [--json]
       passdeck vm attach <vm> <address> [--mac M] [--vlan N] [--as interface|hostdev] [--unmanaged]
           [--rom-bar on|off] [--rom-file PATH] [--live] [--config] [--all-functions [--placement pcie|pci]]
       passdeck vm attach <vm> --pool NAME [--mac M] [--vlan N]
       passdeck vm detach <vm> <address> [--live] [--config]
       passdeck vm detach <vm> --mac M

The VM side of passthrough (libvirt domains), through the same planner, in-use checks and executor as the dashboard.
<vm> is a name or UUID. list: each VM, its state and the host devices it holds. attach: give a device to a VM (a
network VF as an interface whose MAC/VLAN libvirt sets through the PF); default: its persistent config, and the
running VM. detach: take it back (a pool's interface by its MAC).

  --mac M, --vlan N          the interface's MAC and VLAN (a network VF, or a pool's VF)
  --as interface|hostdev     how the device is given (default: interface for a network VF, else hostdev)
  --unmanaged                a hostdev libvirt does not move to vfio-pci itself (bind it first)
  --rom-bar on|off, --rom-file PATH   the device's option ROM
  --live, --config           only the running VM, only its persistent config
  --all-functions            every function of the slot (a GPU and its audio) as one multifunction device;
                             persistent config only
  --placement pcie|pci       with --all-functions: behind a new PCIe root port (default) or on the root bus
  --pool NAME                any free VF of a VF pool (passdeck pool), handed out by libvirt at start
  --dry-run                  print the XML and the plan, touch nothing
  --json, --confirm, --force as for the other write commands (passdeck help vfs)
Exit codes: 0 applied, 2 refused or invalid (nothing written), 1 failed (rolled back).`,
  options: {
    json: { type: "boolean" },
    "dry-run": { type: "boolean" },
    confirm: { type: "boolean" },
    force: { type: "boolean" },
    live: { type: "boolean" },
    config: { type: "boolean" },
    unmanaged: { type: "boolean" },
    "all-functions": { type: "boolean" },
    placement: { type: "string" },
    pool: { type: "string" },
    as: { type: "string" },
    "rom-bar": { type: "string" },
    "rom-file": { type: "string" },
    mac: { type: "string" },
    vlan: { type: "string" },
  },
  async run(services, { values, positionals }) {
    const [verb, ...vmArgs] = positionals;
    const deps = await services.writeDeps(verb !== "list" && !values["dry-run"]);
    const { runVmCommand } = await import("../vm-commands");
    return runVmCommand(
      verb,
      vmArgs,
      {
        json: values.json,
        dryRun: values["dry-run"],
        confirm: values.confirm,
        force: values.force,
        live: values.live,
        config: values.config,
        unmanaged: values.unmanaged,
        allFunctions: values["all-functions"],
        ...(values.placement !== undefined ? { placement: values.placement } : {}),
        ...(values.pool !== undefined ? { pool: values.pool } : {}),
        ...(values.as !== undefined ? { as: values.as } : {}),
        ...(values["rom-bar"] !== undefined ? { romBar: values["rom-bar"] } : {}),
        ...(values["rom-file"] !== undefined ? { romFile: values["rom-file"] } : {}),
        vf: { mac: values.mac, vlan: values.vlan },
      },
      deps,
    );
  },
});
