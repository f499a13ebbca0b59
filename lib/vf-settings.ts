import type { VfSettings } from "@/server/executor/plan";

/** VF settings in words, as plans, the review and the desired state list them: "MAC 02:…, VLAN 100, trust on". */
export function describeVfSettings(s: VfSettings): string {
  const parts: string[] = [];
  if (s.mac !== undefined) parts.push(`MAC ${s.mac}`);
  if (s.vlan !== undefined) parts.push(s.vlan === 0 ? "no VLAN" : `VLAN ${s.vlan}${s.qos ? ` (QoS ${s.qos})` : ""}`);
  if (s.spoofchk !== undefined) parts.push(`spoof checking ${s.spoofchk ? "on" : "off"}`);
  if (s.trust !== undefined) parts.push(`trust ${s.trust ? "on" : "off"}`);
  if (s.state !== undefined) parts.push(`link state ${s.state}`);
  if (s.minTxRateMbps !== undefined) parts.push(`min rate ${s.minTxRateMbps} Mb/s`);
  if (s.maxTxRateMbps !== undefined) parts.push(`max rate ${s.maxTxRateMbps} Mb/s`);
  return parts.join(", ");
}
