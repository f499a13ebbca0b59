/**
 * Which plans could cut the browser off from the host, and so need the "keep these changes?" confirmation: a
 * network device that carries traffic (an address, or a member of a bridge or bond) whose driver changes, whose
 * VF count changes, whose VF settings change, or that is handed to a VM. Decided from the inventory read before
 * the plan runs (after it, an unbound NIC has no netdev to look at).
 */
import type { Plan, PlanStep } from "@/server/executor/plan";
import type { Inventory, NetDev, PciDevice } from "@/server/host/types";

// Link-local IPv6 is on every interface that is up; only an address someone can reach counts. An address nobody
// configured and no socket uses (a SLAAC or temporary address: a host notice, server/inventory/assemble.ts) carries
// no connection a browser could lose: the host-critical marks name the ones with sockets.
const reachable = (n: NetDev, d: PciDevice) =>
  n.addresses.filter((a) => a.scope === "global" && (a.origin === "static" || d.hostCritical.some((r) => r.includes(a.address))));
const carriesTraffic = (n: NetDev, d: PciDevice) => reachable(n, d).length > 0 || n.uppers.length > 0;

function traffic(d: PciDevice): string | null {
  const busy = d.netdevs.filter((n) => carriesTraffic(n, d));
  if (busy.length === 0) return null;
  return busy
    .map(
      (n) =>
        `${n.name}${
          reachable(n, d).length
            ? ` (${reachable(n, d)
                .map((a) => a.address)
                .join(", ")})`
            : ""
        }${n.uppers.length ? ` in ${n.uppers.join(", ")}` : ""}`,
    )
    .join(", ");
}

function stepReason(step: PlanStep, byAddress: Map<string, PciDevice>, inv: Inventory): string | null {
  const on = (address: string, what: string) => {
    const d = byAddress.get(address);
    const t = d ? traffic(d) : null;
    return t ? `${what} ${address}, which carries ${t}` : null;
  };
  switch (step.kind) {
    case "unbind-driver":
      return on(step.device, "unbinds the driver of");
    case "probe-driver":
      return on(step.device, "binds a driver to");
    case "write-attribute":
      if (step.attribute === "sriov_numvfs") {
        const own = on(step.device, "changes the VF count of");
        if (own) return own;
        // fewer VFs removes the VFs' netdevs too
        const vf = inv.devices.find((d) => d.physfn === step.device && traffic(d));
        return vf ? `changes the VF count of ${step.device}, whose VF ${vf.address} carries ${traffic(vf)}` : null;
      }
      return step.attribute === "driver_override" ? on(step.device, "overrides the driver of") : null;
    case "set-vf": {
      const vf = inv.devices.find(
        (d) => d.physfn === step.pf && d.sriov === null && d.netdevs.some((n) => carriesTraffic(n, d)) && vfIndex(inv, d) === step.vf,
      );
      return vf ? `changes the settings of VF ${step.vf} of ${step.pf}, which carries ${traffic(vf)}` : null;
    }
    case "attach-device":
      return step.device.type === "pool" ? null : on(step.device.address, `gives ${step.domain.name}`);
    default:
      return null;
  }
}

function vfIndex(inv: Inventory, vf: PciDevice): number | null {
  const pf = inv.devices.find((d) => d.address === vf.physfn);
  const i = pf?.sriov?.vfs.indexOf(vf.address) ?? -1;
  return i >= 0 ? i : null;
}

/** Why this plan needs a confirmation, one line per step that touches networking; empty when it does not. */
export function networkingReasons(plan: Pick<Plan, "steps">, inv: Inventory): string[] {
  const byAddress = new Map(inv.devices.map((d) => [d.address, d]));
  const reasons = plan.steps.map(({ step }) => stepReason(step, byAddress, inv)).filter((r): r is string => r !== null);
  return [...new Set(reasons)];
}
