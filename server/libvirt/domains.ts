/**
 * libvirt domains (VMs): the list with state and both definitions, and device attach/detach. Each domain is addressed
 * by its UUID, never its name: virsh looks a name up as an ID first, and a UUID is one unambiguous argument.
 */
import { parseDomainXml, type DomainDefinition } from "./domain-xml";
import { LibvirtError } from "./errors";
import { virshOrThrow, withXmlFile, type VirshRunner } from "./virsh";

export type DomainState = "running" | "paused" | "shut off" | "crashed" | "pmsuspended" | "in shutdown" | "blocked" | "idle" | "dying" | "unknown";

export interface Domain {
  uuid: string;
  name: string;
  state: DomainState;
  /** running, paused or otherwise holding its devices (anything but shut off / crashed) */
  active: boolean;
  persistent: boolean;
  autostart: boolean;
  vcpus: number | null;
  memoryKiB: number | null;
  /** the running definition (what the guest has now); null when the domain is not active */
  live: DomainDefinition | null;
  /** the persistent definition (what the next start uses); null for a transient domain */
  config: DomainDefinition | null;
  /** a definition Passdeck could not read (foreign or malformed XML): shown, never crashed on */
  xmlError: string | null;
}

export type DeviceTarget = "live" | "config";

const STATES: DomainState[] = ["running", "paused", "shut off", "crashed", "pmsuspended", "in shutdown", "blocked", "idle", "dying"];

/** `virsh dominfo` "Key:   value" lines. */
export function parseDominfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

export class Domains {
  constructor(private readonly virsh: VirshRunner) {}

  private call(args: string[], operation: string): Promise<string> {
    return virshOrThrow(this.virsh, args, operation);
  }

  async uuids(): Promise<string[]> {
    const out = await this.call(["list", "--all", "--uuid"], "list the VMs");
    return out
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
  }

  async list(): Promise<Domain[]> {
    const uuids = await this.uuids();
    const domains = await Promise.all(
      uuids.map((u) =>
        this.get(u).catch((err: unknown) => {
          if (err instanceof LibvirtError && err.decoded.code === "no-such-domain") return null;
          throw err;
        }),
      ),
    );
    // A domain undefined between the list and its lookup is simply gone.
    return domains.filter((d): d is Domain => d !== null).sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(uuid: string): Promise<Domain> {
    const info = parseDominfo(await this.call(["dominfo", "--domain", uuid], `read VM ${uuid}`));
    const state = STATES.find((s) => s === info.State) ?? "unknown";
    const active = state !== "shut off" && state !== "crashed" && state !== "unknown";
    const persistent = info.Persistent === "yes";
    let xmlError: string | null = null;
    const read = async (inactive: boolean): Promise<DomainDefinition | null> => {
      const xml = await this.call(["dumpxml", "--domain", uuid, ...(inactive ? ["--inactive"] : [])], `read VM ${uuid}'s XML`);
      try {
        return parseDomainXml(xml);
      } catch (err) {
        xmlError = `${inactive ? "persistent" : "live"} definition: ${err instanceof Error ? err.message : String(err)}`;
        return null;
      }
    };
    const live = active ? await read(false) : null;
    const config = persistent ? await read(true) : null;
    const memory = Number.parseInt(info["Max memory"] ?? "", 10);
    const cpus = Number.parseInt(info["CPU(s)"] ?? "", 10);
    return {
      uuid: info.UUID ?? uuid,
      name: info.Name ?? uuid,
      state,
      active,
      persistent,
      autostart: info.Autostart === "enable",
      vcpus: Number.isFinite(cpus) ? cpus : null,
      memoryKiB: Number.isFinite(memory) ? memory : null,
      live,
      config,
      xmlError,
    };
  }

  /**
   * A running VM's IP addresses, from every source libvirt has: its DHCP leases, the host's ARP table and the guest
   * agent. A source that knows nothing (no agent in the guest, a VF outside libvirt's networks) is skipped.
   */
  async interfaceAddresses(uuid: string): Promise<InterfaceAddress[]> {
    const found: InterfaceAddress[] = [];
    for (const source of ["lease", "arp", "agent"] as const) {
      const r = await this.virsh.run(["domifaddr", "--domain", uuid, "--source", source]);
      if (r.code !== 0) continue;
      for (const a of parseDomifaddr(r.stdout, source)) if (!found.some((f) => f.address === a.address)) found.push(a);
    }
    return found;
  }

  /** The domain's XML as libvirt has it (live, or the persistent definition). */
  dumpXml(uuid: string, target: DeviceTarget): Promise<string> {
    return this.call(["dumpxml", "--domain", uuid, ...(target === "config" ? ["--inactive"] : [])], `read VM ${uuid}'s XML`);
  }

  async attachDevice(uuid: string, xml: string, target: DeviceTarget, what: string): Promise<void> {
    await withXmlFile(xml, (file) => this.call(["attach-device", "--domain", uuid, "--file", file, `--${target}`], `attach ${what} (${targetWords(target)})`));
  }

  async detachDevice(uuid: string, xml: string, target: DeviceTarget, what: string): Promise<void> {
    await withXmlFile(xml, (file) => this.call(["detach-device", "--domain", uuid, "--file", file, `--${target}`], `detach ${what} (${targetWords(target)})`));
  }
}

export interface InterfaceAddress {
  /** the host-side device name (vnet0), or "-" for a VF interface */
  name: string;
  mac: string | null;
  family: "ipv4" | "ipv6";
  address: string;
  prefix: number | null;
  /** where libvirt learned it: its DHCP leases, the host's ARP table, or the guest agent */
  source: "lease" | "arp" | "agent";
}

/** `virsh domifaddr` rows → addresses; a continuation row (same interface, another address) has no name or MAC. */
export function parseDomifaddr(text: string, source: InterfaceAddress["source"]): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  let last: { name: string; mac: string | null } = { name: "-", mac: null };
  for (const line of text.split("\n")) {
    const cont = /^\s*-\s+-\s+(ipv4|ipv6)\s+([0-9a-fA-F.:]+)(?:\/(\d+))?\s*$/.exec(line);
    const full = cont ? null : /^\s*(\S+)\s+([0-9a-fA-F:]{17}|-)\s+(ipv4|ipv6)\s+([0-9a-fA-F.:]+)(?:\/(\d+))?\s*$/.exec(line);
    if (full) {
      last = { name: full[1]!, mac: full[2] === "-" ? null : full[2]!.toLowerCase() };
      out.push({ ...last, family: full[3] as "ipv4", address: full[4]!, prefix: full[5] ? Number(full[5]) : null, source });
    } else if (cont) {
      out.push({ ...last, family: cont[1] as "ipv4", address: cont[2]!, prefix: cont[3] ? Number(cont[3]) : null, source });
    }
  }
  return out;
}

export const targetWords = (t: DeviceTarget) => (t === "live" ? "running VM" : "persistent config");
