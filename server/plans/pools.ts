/**
 * VF pools: a libvirt hostdev network per PF, so a VM can take "any free VF of this PF" (`<interface type='network'>`)
 * and libvirt hands one out at start. Plans to create (define + autostart, and start when the PF has VFs) and to
 * remove (stop when nothing uses it, undefine); and the pool list joined with the host and the VMs.
 */
import type { PlannedStep, PoolRef } from "@/server/executor/plan";
import type { Inventory } from "@/server/host/types";
import type { Domain } from "@/server/libvirt/domains";
import { activeHolders, buildInUseMap } from "@/server/libvirt/in-use";
import type { Network } from "@/server/libvirt/networks";
import { buildHostdevNetworkXml } from "@/server/libvirt/network-xml";
import { POOL_NAME_PATTERN, POOL_NAME_RULE } from "@/lib/schemas";
import type { XmlChange } from "./vm";
import { finish, type Overrides, type PlanOutcome, type Refusal } from "./planner";

export interface PoolRow {
  name: string;
  active: boolean;
  autostart: boolean;
  /** the PF interface(s) it draws from, with the PCI address when this host has that interface */
  pfs: { netdev: string; address: string | null }[];
  /** the VFs libvirt found (only while active) */
  vfs: string[];
  /** VFs of the pool a running VM has now (from the VMs' live XML: libvirt shows the VF it handed out) */
  handedOut: { address: string; domain: string }[];
  /** VMs whose persistent config takes a VF from this pool */
  usedByConfigs: string[];
  xmlError: string | null;
}

const refused = (code: string, reason: string): PlanOutcome => ({ kind: "refused", refusals: [{ code, reason, override: null }] });

export const isPool = (n: Network): boolean => n.definition?.forwardMode === "hostdev";

export function poolRows(networks: Network[], domains: Domain[], inv: Inventory): PoolRow[] {
  const inUse = buildInUseMap(domains);
  return networks.filter(isPool).map((n) => {
    const def = n.definition!;
    return {
      name: n.name,
      active: n.active,
      autostart: n.autostart,
      pfs: def.pfs.map((netdev) => ({ netdev, address: inv.devices.find((d) => d.netdevs.some((x) => x.name === netdev))?.address ?? null })),
      vfs: def.addresses,
      handedOut: def.addresses.flatMap((a) => activeHolders(inUse, a).map((h) => ({ address: a, domain: h.domain.name }))),
      usedByConfigs: domains.filter((d) => d.config?.networkInterfaces.some((i) => i.network === n.name)).map((d) => d.name),
      xmlError: n.xmlError,
    };
  });
}

export function planPoolCreate(inv: Inventory, networks: Network[], req: { name: string; pf: string }, o: Overrides = {}): PlanOutcome {
  if (!POOL_NAME_PATTERN.test(req.name)) return refused("bad-name", `${POOL_NAME_RULE}, not ${JSON.stringify(req.name)}`);
  if (networks.some((n) => n.name === req.name)) return refused("name-taken", `libvirt already has a network named ${req.name}`);
  const pf = inv.devices.find((d) => d.address === req.pf);
  if (!pf) return refused("no-such-device", `${req.pf} is not a PCI device on this host`);
  if (!pf.sriov) return refused("not-sriov", `${req.pf} is not an SR-IOV physical function: a pool hands out VFs`);
  const netdev = pf.netdevs[0]?.name;
  if (!netdev) return refused("no-pf-netdev", `${req.pf} has no network interface: libvirt's hostdev pools name the PF by its interface`);
  const existing = networks.filter(isPool).find((n) => n.definition!.pfs.includes(netdev));
  const problems: Refusal[] = [];
  if (existing)
    problems.push({
      code: "pf-has-pool",
      reason: `the pool ${existing.name} already draws from ${netdev}: two pools on one PF can hand out the same VF`,
      override: "confirm",
    });
  if (pf.sriov.numVfs === 0)
    problems.push({
      code: "pool-no-vfs",
      reason: `${netdev} has no VFs yet: the pool is defined and starts at boot (after passdeck reconcile creates the VFs), but cannot start now`,
      override: "confirm",
    });
  const pool: PoolRef = { name: req.name, pf: pf.address, netdev };
  const steps: PlannedStep[] = [
    {
      step: { kind: "define-pool", pool },
      summary: `Define the VF pool ${req.name} on ${netdev} (${pf.address}), started at boot`,
      inverse: { kind: "undefine-pool", pool },
    },
  ];
  if (pf.sriov.numVfs > 0)
    steps.push({
      step: { kind: "start-pool", pool },
      summary: `Start ${req.name}: libvirt lists ${netdev}'s ${pf.sriov.numVfs} VFs`,
      inverse: { kind: "stop-pool", pool },
    });
  return finish(`VF pool ${req.name} on ${netdev}`, steps, problems, o);
}

export function planPoolDelete(inv: Inventory, networks: Network[], domains: Domain[], name: string, o: Overrides = {}): PlanOutcome {
  const net = networks.find((n) => n.name === name);
  if (!net) return refused("no-such-pool", `libvirt has no network named ${JSON.stringify(name)}`);
  if (!isPool(net))
    return refused("not-a-pool", `${name} is not a VF pool (forward mode ${net.definition?.forwardMode ?? "none"}): Passdeck only removes pools`);
  const row = poolRows([net], domains, inv)[0]!;
  if (row.handedOut.length > 0)
    return refused(
      "pool-in-use",
      `${name} has VFs in running VMs (${row.handedOut.map((h) => `${h.address} in ${h.domain}`).join(", ")}): shut them down first`,
    );
  const netdev = net.definition!.pfs[0] ?? "";
  const pool: PoolRef = { name, pf: row.pfs[0]?.address ?? "0000:00:00.0", netdev };
  if (!row.pfs[0]?.address)
    return refused("pf-unknown", `${name}'s PF ${netdev || "(none)"} is not an interface of this host: remove it with virsh net-undefine ${name}`);
  const problems: Refusal[] = row.usedByConfigs.length
    ? [
        {
          code: "pool-in-configs",
          reason: `the VM ${row.usedByConfigs.join(", ")} takes its VF from ${name}: it will not start without the pool`,
          override: "confirm",
        },
      ]
    : [];
  const steps: PlannedStep[] = [];
  if (net.active) steps.push({ step: { kind: "stop-pool", pool }, summary: `Stop ${name}`, inverse: { kind: "start-pool", pool } });
  steps.push({ step: { kind: "undefine-pool", pool }, summary: `Remove the pool ${name}`, inverse: { kind: "define-pool", pool } });
  return finish(`Remove VF pool ${name}`, steps, problems, o);
}

/** The network XML a pool plan defines or removes, for the review. */
export function poolXmlChanges(outcome: PlanOutcome): XmlChange[] {
  if (outcome.kind !== "plan") return [];
  for (const { step } of outcome.plan.steps)
    if (step.kind === "define-pool" || step.kind === "undefine-pool")
      return [
        {
          domain: `network ${step.pool.name}`,
          target: "config",
          op: step.kind === "define-pool" ? "add" : "remove",
          xml: buildHostdevNetworkXml(step.pool.name, step.pool.netdev),
        },
      ];
  return [];
}
