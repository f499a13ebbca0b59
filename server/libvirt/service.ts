/**
 * The libvirt side of the host, read once per request burst: domains with both definitions, the in-use map, and
 * whether libvirt is there at all. When it is absent or unreachable the view says why and everything else works.
 */
import type { Decoded } from "@/server/executor/decode";
import { Domains, type Domain } from "./domains";
import { LibvirtError } from "./errors";
import { buildInUseMap, type InUseMap } from "./in-use";
import { NodeDevices } from "./node-devices";
import { Networks } from "./networks";
import { LIBVIRT_QEMU_CONFIG_DIR, readOfflineRecords, type OfflineRecords } from "./offline";
import type { PassdeckEnv } from "@/server/env";
import { DEFAULT_LIBVIRT_URI, Virsh, type VirshRunner } from "./virsh";

export type LibvirtView =
  | { ok: true; uri: string; domains: Domain[]; inUse: InUseMap }
  | {
      ok: false;
      uri: string;
      /** "missing": no virsh (libvirt not installed: nothing to guard); otherwise installed but not answering */
      reason: Decoded;
      /** when it is not answering: the saved definitions on disk (null without a configuration directory) */
      records: OfflineRecords | null;
    };

const CACHE_MS = 2_000;

export class LibvirtService {
  readonly domains: Domains;
  readonly nodeDevices: NodeDevices;
  readonly networks: Networks;
  private cached: { at: number; view: Promise<LibvirtView> } | null = null;

  constructor(
    readonly virsh: VirshRunner,
    private readonly now: () => number = Date.now,
    /** libvirt's saved definitions, read when it does not answer (LIBVIRT_QEMU_CONFIG_DIR on a real host) */
    private readonly configDir: string | null = null,
  ) {
    this.domains = new Domains(virsh);
    this.nodeDevices = new NodeDevices(virsh);
    this.networks = new Networks(virsh);
  }

  get uri(): string {
    return this.virsh.uri;
  }

  /** The domains and the in-use map; `fresh` for plans (a cached view may be 2 s old). */
  view(fresh = false): Promise<LibvirtView> {
    if (!fresh && this.cached && this.now() - this.cached.at < CACHE_MS) return this.cached.view;
    const view = this.read();
    this.cached = { at: this.now(), view };
    return view;
  }

  /** Forget the cached view (after an apply changed a domain). */
  invalidate(): void {
    this.cached = null;
  }

  private async read(): Promise<LibvirtView> {
    try {
      const domains = await this.domains.list();
      return { ok: true, uri: this.uri, domains, inUse: buildInUseMap(domains) };
    } catch (err) {
      if (err instanceof LibvirtError) {
        const missing = err.decoded.code === "libvirt-missing";
        return { ok: false, uri: this.uri, reason: err.decoded, records: !missing && this.configDir ? readOfflineRecords(this.configDir) : null };
      }
      throw err;
    }
  }
}

/** libvirt is installed but not answering: plans cannot know which VM holds a device. */
export const libvirtUnreachable = (view: LibvirtView): boolean => !view.ok && view.reason.code !== "libvirt-missing";

/**
 * The real host's VMs on qemu:///system (or the configured URI); a demo host only with an explicit URI. A process
 * that is not root (the web server under privilege separation) reads over libvirt's read-only socket, which any
 * user may open; changes to VMs are the helper's.
 */
export function libvirtFor(env: PassdeckEnv): LibvirtService | null {
  if (env.PASSDECK_DEMO && !env.PASSDECK_LIBVIRT_URI) return null;
  const uri = env.PASSDECK_LIBVIRT_URI ?? DEFAULT_LIBVIRT_URI;
  const configDir = env.PASSDECK_LIBVIRT_CONFIG_DIR ?? (uri === DEFAULT_LIBVIRT_URI ? LIBVIRT_QEMU_CONFIG_DIR : null);
  return new LibvirtService(new Virsh(uri, "virsh", process.getuid?.() !== 0), Date.now, configDir);
}
