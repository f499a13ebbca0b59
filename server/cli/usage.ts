/**
 * `passdeck --help`: every command on one page. Text only, so that printing it loads no command module; each
 * command's own usage (passdeck help <command>) is in its module under commands/.
 */
export const OVERVIEW = `passdeck: PCIe passthrough and SR-IOV, read from this host's sysfs

Usage:
  passdeck inventory [--json]     every PCI function, its group, driver, SR-IOV state and host-critical reasons
  passdeck groups                 IOMMU groups with their members and passthrough verdicts
  passdeck check [--json]         readiness for passthrough (exit 0 ready, 1 not ready)
  passdeck device <address> [--json]   one device, e.g. 0000:65:00.0
  passdeck capture <file.tar.gz>  snapshot the sysfs/procfs parts Passdeck reads, for a bug report
  passdeck holders [--json]       what holds a device now, from the kernel: a process with it open through VFIO (any
                                  QEMU: libvirt, Proxmox VE, by hand), an interface in another network namespace
  passdeck scenarios              list the demo hosts;  passdeck scenario-tree <name> <dir> writes one
  passdeck vfs set <pf> <count> [--autoprobe on|off]   create or remove VFs (0 first when changing a count)
  passdeck vf set <pf> <index> [--mac M] [--vlan N] [--qos N] [--spoofchk on|off] [--trust on|off]
      [--state auto|enable|disable] [--min-rate Mb] [--max-rate Mb]   per-VF settings through the PF (ip link)
  passdeck journal [--json]                             what was applied, by whom, with each step's outcome
  passdeck bind <address> vfio-pci                      hand a function to vfio-pci (driver_override, verified)
  passdeck restore <address> [--driver NAME]            give it back to its host driver
  passdeck apply <plan.json>                            apply a plan saved with --dry-run --json, as it is
    all take --dry-run (print the plan, touch nothing), --json, --confirm (accept warnings such as a shared
    group) and --force (host-critical devices); exit 0 applied, 2 refused or invalid (nothing written), 1 failed
  passdeck vm list [--json]                             each VM (libvirt domain): state, and the host devices it holds
  passdeck vm attach <vm> <address> [--mac M] [--vlan N] [--as interface|hostdev] [--unmanaged]
      [--rom-bar on|off] [--rom-file PATH] [--live] [--config]   give a device to a VM (a network VF as an
      interface whose MAC/VLAN libvirt sets through the PF); default: its persistent config, and the running VM
      [--all-functions [--placement pcie|pci]]   every function of the slot (a GPU and its audio) as one
      multifunction device, behind a new PCIe root port or on the root bus; persistent config only
  passdeck vm attach <vm> --pool NAME [--mac M] [--vlan N]   any free VF of a VF pool, handed out by libvirt at start
  passdeck vm detach <vm> <address> [--live] [--config]   take it back (a pool's interface: vm detach <vm> --mac M)
    <vm> is a name or UUID; attach and detach take --dry-run (prints the XML and the plan), --json, --confirm, --force
  passdeck pool list [--json]                           VF pools (libvirt hostdev networks) and which VM has which VF
  passdeck pool create <name> <pf-address>              a pool of the PF's VFs, started at boot (--dry-run, --confirm)
  passdeck pool delete <name>                           stop and remove a pool no running VM uses
  passdeck targets add <address> [--interval-ms N] [--kind icmp|tcp:<port>] [--label L]   probe a host or VM
  passdeck targets add --vm <vm> [--interval-ms N]   a running VM's addresses, as libvirt knows them (leases, ARP, agent)
  passdeck targets list [--json]        targets, what the probe agent says of each, and their last minute
  passdeck targets remove <target>      stop probing (the history stays until retention prunes it)
  passdeck stats <target> [--since 5m | --from T --to T] [--json]   loss, RTT percentiles with N, PDV, IPDV, J (µs)
  passdeck compare <target> --at <ISO time> [--window 5m] [--settle 30s] [--threshold-us N] [--json]
                                        before/after verdict around a change: deltas, bootstrap intervals, Mann-Whitney
  passdeck annotate <text> [--at <ISO time>]   a marker on every latency chart
  passdeck iperf <server> [--tcp] [--seconds N] [--bitrate 10M] [--port N]   iperf3 against a server you run
                                        (UDP with -R by default: rate, RFC 3550 jitter, loss); a note on the charts
  passdeck probe-agent                  run the probe agent (npm start runs it; one per data directory)
    <target> is an id, an address or a label (passdeck targets list)
  passdeck user add <name> --role admin|viewer   the password is read from standard input (first line)
  passdeck user list [--json]           users and whether they are disabled
  passdeck user disable <name>          ends their sessions; the last admin cannot be disabled
  passdeck token create --role admin|viewer [--label NAME] [--expires 90d]   prints a token once (for scripts, Prometheus);
                                        --expires: refused after that long (30m, 12h, 90d, 1y), else it does not expire
  passdeck token list [--json]          tokens (never the secret), last use, expiry, revoked or not
  passdeck token revoke <id>            the token stops working at once
  passdeck setup-code [--json]          the one-time code the dashboard's first-run page asks for
  passdeck audit [--since 24h|T] [--json|--csv]   logins, failed logins, token mutations, plans, account changes
  passdeck helper                       the privileged helper (root): applies the web server's plans, re-validated,
                                        over PASSDECK_HELPER_SOCKET; the dead-man switch (PASSDECK_CONFIRM_WINDOW_S)
  passdeck desired [--json]             what the applies above remember (VF counts, VF settings, vfio bindings)
                                        and how the host differs from it now
  passdeck desired forget <address>     forget everything remembered at an address (a replaced card)
  passdeck reconcile [--dry-run] [--json]   put the remembered state back (at boot: deploy/systemd/); exit 0 the
                                        host matches, 1 something failed, 2 something was refused or skipped

One command's usage and options: passdeck help <command> (or passdeck <command> --help).
Environment: PASSDECK_SYS_ROOT (default /sys), PASSDECK_PROC_ROOT (default /proc), PASSDECK_PCI_IDS,
PASSDECK_DATA_DIR (the journal and desired state; default /var/lib/passdeck), PASSDECK_LIBVIRT_URI (default
qemu:///system).
Exit codes: 0 ok, 1 failed or not ready, 2 invalid input.`;
