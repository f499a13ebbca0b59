/**
 * The wizard's state lives in the URL, so a step can be deep-linked, reloaded, and the browser's back button walks
 * back through the steps with what was entered. Pure: parse and format only.
 */
import { checkMac } from "@/lib/mac";
import { parsePciAddress } from "@/lib/pci-address";
import { domainKeySchema, poolNameSchema, romFileSchema } from "@/lib/schemas";
import type { VfSettings } from "@/server/executor/plan";

export const SRIOV_STEPS = ["pf", "count", "settings", "vfio", "review", "result"] as const;
export const DEVICE_STEPS = ["device", "review", "result"] as const;
export const VM_STEPS = ["vm", "review", "result"] as const;
export const POOL_STEPS = ["pool", "review", "result"] as const;
export type SriovStep = (typeof SRIOV_STEPS)[number];
export type DeviceStep = (typeof DEVICE_STEPS)[number];
export type VmStep = (typeof VM_STEPS)[number];
export type PoolStep = (typeof POOL_STEPS)[number];

/** What the "Give to a VM" form chose: a VF's MAC and VLAN, or a device's option ROM. */
export interface VmAttachOptions {
  mac: string | null;
  vlan: number | null;
  romBar: "on" | "off" | null;
  romFile: string | null;
  /** every function of the slot (a GPU and its audio) as one multifunction device, and where it goes in the guest */
  allFunctions: boolean;
  placement: "pcie" | "pci";
}

export type WizardState =
  | {
      mode: "sriov";
      step: SriovStep;
      pf: string | null;
      count: number | null;
      autoprobe: boolean;
      /** per VF index */
      settings: Record<number, VfSettings>;
      vfio: number[];
      /** VF index → the UUID of the VM it is given to (only VFs going to vfio-pci) */
      vms: Record<number, string>;
      /** the journal entry of the finished apply (result step) */
      entry: number | null;
    }
  | { mode: "device"; step: DeviceStep; device: string | null; entry: number | null }
  /** give a device back to its host driver (from the IOMMU map's detail panel) */
  | { mode: "restore"; step: "review" | "result"; device: string; entry: number | null }
  /** give a device to a VM (from the IOMMU map's detail panel): the VM is a UUID or name */
  | ({ mode: "vm"; step: VmStep; device: string; domain: string | null; entry: number | null } & VmAttachOptions)
  /** take a device back from a VM (from the VMs page) */
  | { mode: "vm-detach"; step: "review" | "result"; device: string; domain: string; entry: number | null }
  /** a new VF pool (a libvirt hostdev network) on a PF (from the VMs page or the IOMMU map's detail panel) */
  | { mode: "pool"; step: PoolStep; pool: string | null; pf: string | null; entry: number | null }
  /** remove a VF pool (from the VMs page): any libvirt network name, the server refuses what is not a pool */
  | { mode: "pool-delete"; step: "review" | "result"; pool: string; entry: number | null };

const address = (raw: string | null): string | null => {
  if (!raw) return null;
  const p = parsePciAddress(raw);
  return p.ok ? p.address : null;
};

const int = (raw: string | null): number | null => (raw !== null && /^\d{1,5}$/.test(raw) ? Number(raw) : null);

const domainKey = (raw: string | null): string | null => (raw !== null && domainKeySchema.safeParse(raw).success ? raw : null);

const poolName = (raw: string | null): string | null => (raw !== null && poolNameSchema.safeParse(raw).success ? raw : null);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Where each VF on vfio-pci goes, as `1:<uuid>;3:pool=x710-vfs`: a VM by UUID (a name could hold the separators) or
 * a VF pool by name (pool names cannot).
 */
export function formatVms(vms: Record<number, string>): string {
  return Object.entries(vms)
    .map(([i, target]) => `${i}:${target}`)
    .join(";");
}

/** The "pool=" prefix marks a VF pool among the VM UUIDs of a VF's destination. */
export const POOL_TARGET = "pool=";

export function parseVms(raw: string | null): Record<number, string> {
  const out: Record<number, string> = {};
  for (const part of (raw ?? "").split(";")) {
    const colon = part.indexOf(":");
    const index = colon < 0 ? null : int(part.slice(0, colon));
    const target = part.slice(colon + 1);
    if (index === null) continue;
    if (target.startsWith(POOL_TARGET) && poolNameSchema.safeParse(target.slice(POOL_TARGET.length)).success) out[index] = target;
    else if (UUID.test(target.toLowerCase())) out[index] = target.toLowerCase();
  }
  return out;
}

function parseAttachOptions(params: URLSearchParams): VmAttachOptions {
  const mac = params.get("mac") ? checkMac(params.get("mac")!) : null;
  const vlan = int(params.get("vlan"));
  const bar = params.get("rombar");
  const file = params.get("romfile");
  return {
    mac: mac?.ok ? mac.mac : null,
    vlan: vlan !== null && vlan >= 1 && vlan <= 4094 ? vlan : null,
    romBar: bar === "on" || bar === "off" ? bar : null,
    romFile: file !== null && romFileSchema.safeParse(file).success ? file : null,
    allFunctions: params.get("all") === "1",
    placement: params.get("placement") === "pci" ? "pci" : "pcie",
  };
}

/** Settings as `0:mac=02:00:00:00:00:01,vlan=100,trust=on;2:vlan=7`: readable in the address bar. */
export function formatSettings(settings: Record<number, VfSettings>): string {
  return Object.entries(settings)
    .filter(([, s]) => Object.keys(s).length > 0)
    .map(
      ([i, s]) =>
        `${i}:${Object.entries(s)
          .map(([k, v]) => `${k}=${typeof v === "boolean" ? (v ? "on" : "off") : String(v)}`)
          .join(",")}`,
    )
    .join(";");
}

const NUMERIC = new Set(["vlan", "qos", "minTxRateMbps", "maxTxRateMbps"]);
const BOOLEAN = new Set(["spoofchk", "trust"]);

export function parseSettings(raw: string | null): Record<number, VfSettings> {
  const out: Record<number, VfSettings> = {};
  if (!raw) return out;
  for (const part of raw.split(";")) {
    const colon = part.indexOf(":");
    const index = int(part.slice(0, colon));
    if (colon < 0 || index === null) continue;
    const s: Record<string, unknown> = {};
    for (const kv of part.slice(colon + 1).split(",")) {
      const eq = kv.indexOf("=");
      if (eq < 0) continue;
      const [k, v] = [kv.slice(0, eq), kv.slice(eq + 1)];
      if (NUMERIC.has(k) && /^\d{1,6}$/.test(v)) s[k] = Number(v);
      else if (BOOLEAN.has(k) && (v === "on" || v === "off")) s[k] = v === "on";
      else if (k === "mac" || k === "state") s[k] = v;
    }
    if (Object.keys(s).length > 0) out[index] = s;
  }
  return out;
}

export function parseWizardState(params: URLSearchParams): WizardState {
  const entry = int(params.get("entry"));
  const mode = params.get("mode");
  const step = params.get("step");
  const device = address(params.get("device"));
  const domain = domainKey(params.get("domain"));
  if (mode === "restore" && device) return { mode: "restore", step: step === "result" ? "result" : "review", device, entry };
  if (mode === "vm" && device) {
    const vmStep = (VM_STEPS as readonly string[]).includes(step ?? "") && domain ? (step as VmStep) : "vm";
    return { mode: "vm", step: vmStep, device, domain, ...parseAttachOptions(params), entry };
  }
  if (mode === "vm-detach" && device && domain) return { mode: "vm-detach", step: step === "result" ? "result" : "review", device, domain, entry };
  // libvirt names a network as it names a domain: anything but '/' and control characters.
  const existingPool = domainKey(params.get("pool"));
  if (mode === "pool-delete" && existingPool) return { mode: "pool-delete", step: step === "result" ? "result" : "review", pool: existingPool, entry };
  if (mode === "pool" || mode === "pool-delete") {
    const pool = mode === "pool" ? poolName(params.get("pool")) : null;
    const pf = mode === "pool" ? address(params.get("pf")) : null;
    // A link naming the pool and its PF opens the review; one that lacks either (or asks for it) the form.
    const poolStep: PoolStep = !pool || !pf || step === "pool" ? "pool" : step === "result" ? "result" : "review";
    return { mode: "pool", step: poolStep, pool, pf, entry };
  }
  // A give-back or VM link without what it needs lands on the device picker.
  if (mode === "device" || mode === "restore" || mode === "vm" || mode === "vm-detach") {
    const deviceStep = mode === "device" && (DEVICE_STEPS as readonly string[]).includes(step ?? "") ? (step as DeviceStep) : "device";
    return { mode: "device", step: mode === "device" && device ? deviceStep : "device", device: mode === "device" ? device : null, entry };
  }
  const pf = address(params.get("pf"));
  const count = int(params.get("count"));
  let sriovStep = (SRIOV_STEPS as readonly string[]).includes(step ?? "") ? (step as SriovStep) : "pf";
  // A deep link past what it names falls back to the first step it lacks.
  if (!pf) sriovStep = "pf";
  else if (count === null && sriovStep !== "pf") sriovStep = "count";
  const vfio = (params.get("vfio") ?? "")
    .split(",")
    .map((s) => int(s))
    .filter((n): n is number => n !== null && (count === null || n < count));
  const onVfio = [...new Set(vfio)].sort((a, b) => a - b);
  return {
    mode: "sriov",
    step: sriovStep,
    pf,
    count,
    autoprobe: params.get("autoprobe") !== "off",
    settings: Object.fromEntries(Object.entries(parseSettings(params.get("vf"))).filter(([i]) => count === null || Number(i) < count)),
    vfio: onVfio,
    // A VF reaches a VM through vfio-pci: a VM for a VF that stays on the host is dropped.
    vms: Object.fromEntries(Object.entries(parseVms(params.get("vm"))).filter(([i]) => onVfio.includes(Number(i)))),
    entry,
  };
}

export function formatWizardState(s: WizardState): string {
  const p = new URLSearchParams();
  if (s.mode === "device" || s.mode === "restore") {
    p.set("mode", s.mode);
    p.set("step", s.step);
    if (s.device) p.set("device", s.device);
  } else if (s.mode === "vm" || s.mode === "vm-detach") {
    p.set("mode", s.mode);
    p.set("step", s.step);
    p.set("device", s.device);
    if (s.domain) p.set("domain", s.domain);
    if (s.mode === "vm") {
      if (s.mac) p.set("mac", s.mac);
      if (s.vlan !== null) p.set("vlan", String(s.vlan));
      if (s.romBar) p.set("rombar", s.romBar);
      if (s.romFile) p.set("romfile", s.romFile);
      if (s.allFunctions) p.set("all", "1");
      if (s.allFunctions && s.placement === "pci") p.set("placement", "pci");
    }
  } else if (s.mode === "pool" || s.mode === "pool-delete") {
    p.set("mode", s.mode);
    p.set("step", s.step);
    if (s.pool) p.set("pool", s.pool);
    if (s.mode === "pool" && s.pf) p.set("pf", s.pf);
  } else {
    p.set("step", s.step);
    if (s.pf) p.set("pf", s.pf);
    if (s.count !== null) p.set("count", String(s.count));
    if (!s.autoprobe) p.set("autoprobe", "off");
    const vf = formatSettings(s.settings);
    if (vf) p.set("vf", vf);
    if (s.vfio.length) p.set("vfio", s.vfio.join(","));
    const vm = formatVms(s.vms);
    if (vm) p.set("vm", vm);
  }
  if (s.entry !== null) p.set("entry", String(s.entry));
  // Colons, commas and semicolons stay readable in the address bar.
  return `?${p.toString().replace(/%3A/gi, ":").replace(/%2C/gi, ",").replace(/%3B/gi, ";").replace(/%3D/gi, "=").replace(/%2F/gi, "/")}`;
}
