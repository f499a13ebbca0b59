import { execFile } from "node:child_process";

/** One VF as `ip -j link show dev <pf>` reports it in vfinfo_list (iproute2 ≥ 5.3 key names). */
export interface VfInfo {
  vf: number;
  mac: string | null;
  /** 0 when no VLAN is set (iproute2 omits the key, printing `"vlan_list":[{}]`) */
  vlan: number;
  qos: number;
  spoofchk: boolean | null;
  trust: boolean | null;
  linkState: "auto" | "enable" | "disable" | null;
  minTxRate: number | null;
  maxTxRate: number | null;
}

export interface IpResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** rtnetlink through iproute2: Passdeck never speaks netlink itself. Argument arrays only. */
export interface IpLink {
  run(args: string[]): Promise<IpResult>;
}

export class SystemIpLink implements IpLink {
  run(args: string[]): Promise<IpResult> {
    return new Promise((resolve) => {
      execFile("ip", args, { timeout: 15_000, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 127) : 0;
        resolve({ code, stdout, stderr: stderr || (err && typeof err.code !== "number" ? String(err.message) : "") });
      });
    });
  }
}

/** Parses vfinfo_list from `ip -j link show dev <pf>` output. */
export function parseVfInfo(json: string): VfInfo[] {
  const links = JSON.parse(json) as { vfinfo_list?: Record<string, unknown>[] }[];
  return (links[0]?.vfinfo_list ?? []).map((v) => {
    const vlanEntry = (Array.isArray(v.vlan_list) ? (v.vlan_list[0] as Record<string, unknown> | undefined) : undefined) ?? {};
    const rate = (v.rate as { min_tx?: number; max_tx?: number } | undefined) ?? {};
    const mac = typeof v.address === "string" ? v.address : typeof v.mac === "string" ? v.mac : null;
    return {
      vf: Number(v.vf),
      mac: mac ? mac.toLowerCase() : null,
      vlan: Number(vlanEntry.vlan ?? v.vlan ?? 0),
      qos: Number(vlanEntry.qos ?? v.qos ?? 0),
      spoofchk: typeof v.spoofchk === "boolean" ? v.spoofchk : null,
      trust: typeof v.trust === "boolean" ? v.trust : null,
      linkState: v.link_state === "auto" || v.link_state === "enable" || v.link_state === "disable" ? v.link_state : null,
      minTxRate: typeof rate.min_tx === "number" ? rate.min_tx : null,
      maxTxRate: typeof rate.max_tx === "number" ? rate.max_tx : typeof v.tx_rate === "number" ? v.tx_rate : null,
    };
  });
}

export async function readVfInfo(ip: IpLink, netdev: string): Promise<VfInfo[]> {
  const r = await ip.run(["-j", "link", "show", "dev", netdev]);
  if (r.code !== 0) throw new Error(`ip -j link show dev ${netdev} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  return parseVfInfo(r.stdout);
}
