import type { VfSettings } from "@/server/executor/plan";

/** VF settings in words, as the review lists them. */
export function describeVfSettings(s: VfSettings): string {
  const parts: string[] = [];
  if (s.mac !== undefined) parts.push(`MAC ${s.mac}`);
  if (s.vlan !== undefined) parts.push(`VLAN ${s.vlan}${s.qos ? ` QoS ${s.qos}` : ""}`);
  if (s.spoofchk !== undefined) parts.push(`spoof check ${s.spoofchk ? "on" : "off"}`);
  if (s.trust !== undefined) parts.push(`trust ${s.trust ? "on" : "off"}`);
  if (s.state !== undefined) parts.push(`link state ${s.state}`);
  if (s.minTxRateMbps !== undefined) parts.push(`min ${s.minTxRateMbps} Mb/s`);
  if (s.maxTxRateMbps !== undefined) parts.push(`max ${s.maxTxRateMbps} Mb/s`);
  return parts.join(", ");
}
