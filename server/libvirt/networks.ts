/**
 * libvirt networks, for VF pools: the list with state, and define/start/stop/undefine of a hostdev pool. Addressed
 * by name (network names are what virsh's net-* commands take; Passdeck only creates names of safe characters).
 */
import { parseDominfo } from "./domains";
import { decodeVirshError, LibvirtError } from "./errors";
import { buildHostdevNetworkXml, parseNetworkXml, type NetworkDefinition } from "./network-xml";
import { virshOrThrow, withXmlFile, type VirshRunner } from "./virsh";

export interface Network {
  name: string;
  active: boolean;
  persistent: boolean;
  autostart: boolean;
  /** the live definition when active (it lists the VFs found), else the persistent one; null if unreadable */
  definition: NetworkDefinition | null;
  xmlError: string | null;
}

export class Networks {
  constructor(private readonly virsh: VirshRunner) {}

  private call(args: string[], operation: string): Promise<string> {
    return virshOrThrow(this.virsh, args, operation);
  }

  async list(): Promise<Network[]> {
    const names = (await this.call(["net-list", "--all", "--name"], "list the networks"))
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
    const nets = await Promise.all(names.map((n) => this.get(n)));
    return nets.filter((n): n is Network => n !== null).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** One network, or null when libvirt has no network of that name. */
  async get(name: string): Promise<Network | null> {
    const r = await this.virsh.run(["net-info", "--network", name]);
    if (r.code !== 0) {
      if (/network not found|no network with matching name|failed to get network/i.test(r.stderr)) return null;
      throw new LibvirtError(decodeVirshError({ operation: `read network ${name}`, uri: this.virsh.uri, stderr: r.stderr, code: r.code }));
    }
    const info = parseDominfo(r.stdout);
    const active = info.Active === "yes";
    let definition: NetworkDefinition | null = null;
    let xmlError: string | null = null;
    try {
      definition = parseNetworkXml(await this.call(["net-dumpxml", "--network", name], `read network ${name}'s XML`));
    } catch (err) {
      if (err instanceof LibvirtError) throw err;
      xmlError = err instanceof Error ? err.message : String(err);
    }
    return { name, active, persistent: info.Persistent === "yes", autostart: info.Autostart === "yes", definition, xmlError };
  }

  /** net-define of a managed hostdev pool on the PF's interface, then autostart (a pool should outlive a reboot). */
  async definePool(name: string, pfNetdev: string): Promise<void> {
    await withXmlFile(buildHostdevNetworkXml(name, pfNetdev), (file) => this.call(["net-define", "--file", file], `define the VF pool ${name} on ${pfNetdev}`));
    await this.call(["net-autostart", "--network", name], `mark the VF pool ${name} to start at boot`);
  }

  async start(name: string): Promise<void> {
    await this.call(["net-start", "--network", name], `start the VF pool ${name}`);
  }

  async stop(name: string): Promise<void> {
    await this.call(["net-destroy", "--network", name], `stop the VF pool ${name}`);
  }

  async undefine(name: string): Promise<void> {
    await this.call(["net-undefine", "--network", name], `remove the VF pool ${name}`);
  }
}
