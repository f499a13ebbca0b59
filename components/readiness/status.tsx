import type { CheckStatus } from "@/server/host/types";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { CheckIcon, CrossIcon, InfoIcon, WarnIcon } from "@/components/ui/icons";

const STATUS: Record<CheckStatus, { tone: BadgeTone; word: string; Icon: typeof CheckIcon }> = {
  pass: { tone: "green", word: "Pass", Icon: CheckIcon },
  warn: { tone: "amber", word: "Warn", Icon: WarnIcon },
  fail: { tone: "red", word: "Fail", Icon: CrossIcon },
  info: { tone: "sky", word: "Info", Icon: InfoIcon },
};

/** Icon + word; colour is a third signal, never the only one. */
export function StatusBadge({ status }: { status: CheckStatus }) {
  const { tone, word, Icon } = STATUS[status];
  return (
    <Badge tone={tone} data-status={status} className="w-16 justify-center">
      <Icon />
      {word}
    </Badge>
  );
}

export function countStatuses(checks: { status: CheckStatus }[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, info: 0 };
  for (const c of checks) counts[c.status] += 1;
  return counts;
}

/** "Ready for passthrough" / "Not ready: 2 items fail" */
export function verdictText(ready: boolean, fails: number): string {
  return ready ? "Ready for passthrough" : `Not ready: ${fails} ${fails === 1 ? "item fails" : "items fail"}`;
}
