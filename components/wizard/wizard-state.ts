/**
 * The wizard's state lives in the URL, so a step can be deep-linked, reloaded, and the browser's back button walks
 * back through the steps with what was entered. Pure: parse and format only.
 */
import { parsePciAddress } from "@/lib/pci-address";
import type { VfSettings } from "@/server/executor/plan";

export const SRIOV_STEPS = ["pf", "count", "settings", "vfio", "review", "result"] as const;
export const DEVICE_STEPS = ["device", "review", "result"] as const;
export type SriovStep = (typeof SRIOV_STEPS)[number];
export type DeviceStep = (typeof DEVICE_STEPS)[number];

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
      /** the journal entry of the finished apply (result step) */
      entry: number | null;
    }
  | { mode: "device"; step: DeviceStep; device: string | null; entry: number | null }
  /** give a device back to its host driver (from the IOMMU map's detail panel) */
  | { mode: "restore"; step: "review" | "result"; device: string; entry: number | null };

const address = (raw: string | null): string | null => {
  if (!raw) return null;
  const p = parsePciAddress(raw);
  return p.ok ? p.address : null;
};

const int = (raw: string | null): number | null => (raw !== null && /^\d{1,5}$/.test(raw) ? Number(raw) : null);

/** Settings as `0:mac=02:00:00:00:00:01,vlan=100,trust=on;2:vlan=7`: readable in the address bar. */
export function formatSettings(settings: Record<number, VfSettings>): string {
  return Object.entries(settings)
    .filter(([, s]) => Object.keys(s).length > 0)
    .map(([i, s]) => `${i}:${Object.entries(s).map(([k, v]) => `${k}=${typeof v === "boolean" ? (v ? "on" : "off") : String(v)}`).join(",")}`)
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
    if (Object.keys(s).length > 0) out[index] = s as VfSettings;
  }
  return out;
}

export function parseWizardState(params: URLSearchParams): WizardState {
  const entry = int(params.get("entry"));
  const restoring = params.get("mode") === "restore" ? address(params.get("device")) : null;
  if (restoring) return { mode: "restore", step: params.get("step") === "result" ? "result" : "review", device: restoring, entry };
  if (params.get("mode") === "device" || params.get("mode") === "restore") {
    const step = (DEVICE_STEPS as readonly string[]).includes(params.get("step") ?? "") ? (params.get("step") as DeviceStep) : "device";
    const device = address(params.get("device"));
    return { mode: "device", step: device ? step : "device", device, entry };
  }
  const pf = address(params.get("pf"));
  const count = int(params.get("count"));
  let step = (SRIOV_STEPS as readonly string[]).includes(params.get("step") ?? "") ? (params.get("step") as SriovStep) : "pf";
  // A deep link past what it names falls back to the first step it lacks.
  if (!pf) step = "pf";
  else if (count === null && step !== "pf") step = "count";
  const vfio = (params.get("vfio") ?? "")
    .split(",")
    .map((s) => int(s))
    .filter((n): n is number => n !== null && (count === null || n < count));
  return {
    mode: "sriov",
    step,
    pf,
    count,
    autoprobe: params.get("autoprobe") !== "off",
    settings: Object.fromEntries(Object.entries(parseSettings(params.get("vf"))).filter(([i]) => count === null || Number(i) < count)),
    vfio: [...new Set(vfio)].sort((a, b) => a - b),
    entry,
  };
}

export function formatWizardState(s: WizardState): string {
  const p = new URLSearchParams();
  if (s.mode === "device" || s.mode === "restore") {
    p.set("mode", s.mode);
    p.set("step", s.step);
    if (s.device) p.set("device", s.device);
  } else {
    p.set("step", s.step);
    if (s.pf) p.set("pf", s.pf);
    if (s.count !== null) p.set("count", String(s.count));
    if (!s.autoprobe) p.set("autoprobe", "off");
    const vf = formatSettings(s.settings);
    if (vf) p.set("vf", vf);
    if (s.vfio.length) p.set("vfio", s.vfio.join(","));
  }
  if (s.entry !== null) p.set("entry", String(s.entry));
  // Colons, commas and semicolons stay readable in the address bar.
  return `?${p.toString().replace(/%3A/gi, ":").replace(/%2C/gi, ",").replace(/%3B/gi, ";").replace(/%3D/gi, "=")}`;
}
