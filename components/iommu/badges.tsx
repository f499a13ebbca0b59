import type { DeviceHold } from "@/server/host/holders";
import type { GroupVerdictKind, PciDevice } from "@/server/host/types";
import { describeHold } from "@/lib/holds";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { BRIDGE_LABEL } from "@/components/data/format";
import { CheckIcon, LockIcon, WarnIcon } from "@/components/ui/icons";

export const VERDICT: Record<GroupVerdictKind, { tone: BadgeTone; word: string; help: string; short: string; accent: string }> = {
  isolated: {
    short: "passes through on its own",
    tone: "green",
    word: "isolated",
    help: "Its endpoint can be passed through on its own.",
    accent: "border-l-emerald-500",
  },
  shared: {
    short: "members go to one VM together",
    tone: "amber",
    word: "shared",
    help: "Several endpoints: they can only go to the same VM together.",
    accent: "border-l-amber-500",
  },
  "host-critical": {
    short: "the host needs a member",
    tone: "red",
    word: "host-critical",
    help: "Holds a device the host needs (root disk, default route): do not pass it through.",
    accent: "border-l-red-600",
  },
  "pf-with-vfs": {
    short: "a PF shares with its own VFs",
    tone: "violet",
    word: "PF with VFs",
    help: "An SR-IOV PF shares the group with its own VFs.",
    accent: "border-l-violet-500",
  },
};

export function VerdictBadge({ verdict, testId }: { verdict: GroupVerdictKind; testId?: string }) {
  const v = VERDICT[verdict];
  const Icon = verdict === "isolated" ? CheckIcon : verdict === "host-critical" ? LockIcon : WarnIcon;
  return (
    <Badge tone={v.tone} data-testid={testId} data-verdict={verdict} title={v.help}>
      <Icon />
      {v.word}
    </Badge>
  );
}

export function HostCriticalBadge({ reasons }: { reasons: string[] }) {
  return (
    <Badge tone="red" data-testid="host-critical-badge" title={reasons.join("\n")} className="font-semibold">
      <LockIcon />
      host-critical
    </Badge>
  );
}

/** In use now, from the kernel: a process has the device open (or its command line names it, or a namespace took it). */
export function HeldBadge({ hold }: { hold: DeviceHold }) {
  const declaredOnly = hold.holders.length > 0 && hold.holders.every((h) => h.evidence === "declared");
  return (
    <Badge tone="sky" data-testid="held-badge" title={describeHold(hold)}>
      {declaredOnly ? "named by a VM" : "in use"}
    </Badge>
  );
}

/** Something the host has on the device but does not depend on (an autoconfigured address no socket uses): a warning. */
export function HostNoticeBadge({ notices }: { notices: string[] }) {
  return (
    <Badge tone="amber" data-testid="host-notice-badge" title={notices.join("\n")}>
      <WarnIcon />
      host notice
    </Badge>
  );
}

export function SriovBadge({ sriov }: { sriov: NonNullable<PciDevice["sriov"]> }) {
  return (
    <Badge
      tone="violet"
      data-testid="sriov-badge"
      title={`SR-IOV physical function: ${sriov.numVfs} VFs enabled (sriov_numvfs) of ${sriov.totalVfs} possible (sriov_totalvfs)`}
      className="font-mono"
    >
      SR-IOV {sriov.numVfs}/{sriov.totalVfs}
    </Badge>
  );
}

export function VfBadge({ device }: { device: PciDevice }) {
  return (
    <Badge tone="blue" data-testid="vf-badge" title={`Virtual function ${device.vfIndex ?? "?"} of the PF ${device.physfn}`}>
      VF {device.vfIndex ?? "?"} <span className="font-mono">of {device.physfn}</span>
    </Badge>
  );
}

export function BridgeBadge({ device }: { device: PciDevice }) {
  if (!device.bridge) return null;
  return (
    <Badge tone="neutral" data-testid="bridge-badge" title="A port or bridge: it stays on the host driver, only endpoints go to vfio-pci">
      {BRIDGE_LABEL[device.bridge]}
    </Badge>
  );
}
