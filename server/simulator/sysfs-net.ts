/** Network interfaces in sysfs: class/net, bridge and bond ports, the adjacency links. */
import type { Host, NetNode } from "./host-model";
import { parentOf, type Tree } from "./tree";

export function writeNetdev(t: Tree, h: Host, n: NetNode): void {
  const a = (name: string, value: string | number) => t.attr(`${n.dir}/${name}`, value);
  a("address", n.spec.mac);
  a("operstate", n.kind === "loopback" ? "unknown" : n.spec.operstate);
  a("ifindex", n.ifindex);
  a("iflink", n.ifindex);
  a("type", n.kind === "loopback" ? 772 : 1);
  a("mtu", n.spec.mtu ?? 1500);
  a("carrier", n.spec.operstate === "up" ? 1 : 0);
  t.link(`class/net/${n.name}`, n.dir);
  if (n.kind === "physical") t.link(`${n.dir}/device`, parentOf(parentOf(n.dir)));
  // the adjacency links both ways are made as the lower device is linked in (so they go with it)
  for (const upper of n.uppers) {
    const u = h.netByName.get(upper)!;
    t.link(`${n.dir}/upper_${upper}`, u.dir);
    t.link(`${u.dir}/lower_${n.name}`, n.dir);
  }
  if (n.master) {
    const master = h.netByName.get(n.master)!;
    t.link(`${n.dir}/master`, master.dir);
    if (master.kind === "bridge") {
      t.link(`${n.dir}/brport/bridge`, master.dir);
      t.attr(`${n.dir}/brport/state`, 3);
      t.link(`${master.dir}/brif/${n.name}`, `${n.dir}/brport`);
    } else {
      t.attr(`${n.dir}/bonding_slave/state`, "active");
    }
  }
  if (n.kind === "bridge") {
    t.attr(`${n.dir}/bridge/stp_state`, 0);
    t.attr(`${n.dir}/bridge/bridge_id`, `8000.${n.spec.mac.replace(/:/g, "")}`);
    t.dir(`${n.dir}/brif`);
  }
  if (n.kind === "bond") {
    t.attr(`${n.dir}/bonding/slaves`, n.lowers.join(" "));
    t.attr(`${n.dir}/bonding/mode`, "active-backup 1");
  }
}

export function writeNet(t: Tree, h: Host): void {
  for (const n of h.net) if (n.kind !== "physical") writeNetdev(t, h, n);
}
