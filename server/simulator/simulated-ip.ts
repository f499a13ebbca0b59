import * as fs from "node:fs";
import * as nodePath from "node:path";
import type { IpLink, IpResult } from "@/server/host/ip-link";

/** Settings drivers refuse with EOPNOTSUPP, as seen on real kernels (igb has no VF link-state control). */
const UNSUPPORTED: Record<string, string[]> = { igb: ["state"], igbvf: [], ixgbe: ["state", "min_tx_rate"], iavf: [] };

interface VfState {
  mac: string;
  vlan: number;
  qos: number;
  spoofchk: boolean;
  trust: boolean;
  state: string;
  minTx: number;
  maxTx: number;
}

/**
 * `ip` for a simulated host: per-VF settings kept per PF the way rtnetlink keeps them, read back as vfinfo_list,
 * with the real drivers' refusals. The VF count comes from the tree the simulated kernel maintains.
 */
export class SimulatedIpLink implements IpLink {
  private readonly vfs = new Map<string, VfState>();

  constructor(private readonly sysRoot: string) {}

  run(args: string[]): Promise<IpResult> {
    // IpLink's answer is a Promise (the real one runs ip): a throw here rejects it, as there.
    return new Promise((resolve) => resolve(this.runNow(args)));
  }

  private runNow(args: string[]): IpResult {
    if (args[0] === "-j" && args[1] === "link" && args[2] === "show" && args[3] === "dev" && args[4]) return this.show(args[4]);
    if (args[0] === "link" && args[1] === "set" && args[2] === "dev" && args[4] === "vf") return this.set(args[3]!, args.slice(5));
    return { code: 255, stdout: "", stderr: `Object "${args.join(" ")}" is unknown, try "ip help".\n` };
  }

  private pf(netdev: string): { driver: string | null; numVfs: number } | null {
    const dev = nodePath.join(this.sysRoot, "class/net", netdev, "device");
    if (!fs.existsSync(dev)) return null;
    const driverLink = nodePath.join(dev, "driver");
    const driver = fs.existsSync(driverLink) ? nodePath.basename(fs.readlinkSync(driverLink)) : null;
    const numvfsFile = nodePath.join(dev, "sriov_numvfs");
    const numVfs = fs.existsSync(numvfsFile) ? Number.parseInt(fs.readFileSync(numvfsFile, "utf8"), 10) : 0;
    return { driver, numVfs };
  }

  private state(netdev: string, vf: number): VfState {
    const key = `${netdev}/${vf}`;
    let s = this.vfs.get(key);
    if (!s) {
      s = { mac: "00:00:00:00:00:00", vlan: 0, qos: 0, spoofchk: true, trust: false, state: "auto", minTx: 0, maxTx: 0 };
      this.vfs.set(key, s);
    }
    return s;
  }

  private show(netdev: string): IpResult {
    const pf = this.pf(netdev);
    if (!pf) return { code: 1, stdout: "", stderr: `Device "${netdev}" does not exist.\n` };
    const list = Array.from({ length: pf.numVfs }, (_, vf) => {
      const s = this.state(netdev, vf);
      return {
        vf,
        link_type: "ether",
        address: s.mac,
        broadcast: "ff:ff:ff:ff:ff:ff",
        vlan_list: [s.vlan ? { vlan: s.vlan, ...(s.qos ? { qos: s.qos } : {}) } : {}],
        rate: { max_tx: s.maxTx, min_tx: s.minTx },
        spoofchk: s.spoofchk,
        link_state: s.state,
        trust: s.trust,
      };
    });
    return { code: 0, stdout: JSON.stringify([{ ifname: netdev, ...(pf.numVfs > 0 ? { vfinfo_list: list } : {}) }]), stderr: "" };
  }

  private set(netdev: string, rest: string[]): IpResult {
    const pf = this.pf(netdev);
    if (!pf) return { code: 1, stdout: "", stderr: `Cannot find device "${netdev}"\n` };
    const vf = Number(rest[0]);
    if (!Number.isInteger(vf) || vf >= pf.numVfs) return { code: 2, stdout: "", stderr: "RTNETLINK answers: Invalid argument\n" };
    const s = this.state(netdev, vf);
    const next = { ...s };
    for (let i = 1; i < rest.length; i += 2) {
      const [key, value] = [rest[i]!, rest[i + 1] ?? ""];
      const setting = key === "qos" ? "vlan" : key;
      if ((UNSUPPORTED[pf.driver ?? ""] ?? []).includes(setting)) return { code: 2, stdout: "", stderr: "RTNETLINK answers: Operation not supported\n" };
      if (key === "mac") next.mac = value.toLowerCase();
      else if (key === "vlan") next.vlan = Number(value);
      else if (key === "qos") next.qos = Number(value);
      else if (key === "spoofchk") next.spoofchk = value === "on";
      else if (key === "trust") next.trust = value === "on";
      else if (key === "state") next.state = value;
      else if (key === "min_tx_rate") next.minTx = Number(value);
      else if (key === "max_tx_rate") next.maxTx = Number(value);
      else return { code: 255, stdout: "", stderr: `Error: argument "${key}" is wrong\n` };
    }
    if (next.maxTx && next.minTx > next.maxTx) return { code: 2, stdout: "", stderr: "RTNETLINK answers: Invalid argument\n" };
    Object.assign(s, next);
    return { code: 0, stdout: "", stderr: "" };
  }
}
