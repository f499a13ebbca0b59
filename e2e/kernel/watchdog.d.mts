// Types for watchdog.mjs (plain ESM so node runs it without a build step).
export const STALL_PATTERNS: RegExp[];
export const STALLS_FILE: string;

export interface StallReport {
  /** seconds since the guest booted, from the printk stamp; null when the line has none */
  guestTime: number | null;
  line: string;
}

export type StallRecord =
  | ({ boot: string; at: string; event: "report"; episode: number } & StallReport)
  | { boot: string; at: string; event: "nudge"; episode: number; diagnostics: string | null; error: string | null }
  | { boot: string; at: string; event: "quiet"; episode: number; quietAfterS: number; agentAnswers: boolean }
  | { boot: string; at: string; event: "unrecovered"; episode: number; nudges: number; qemuPid: number | null }
  | { at: string; event: "watchdog-error"; error: string };

export function stallReports(text: string): StallReport[];
export function readStalls(runDir: string): StallRecord[];
export function describeStalls(records: StallRecord[]): string[];
export function qmp(
  socketPath: string,
  commands: { execute: string; arguments?: Record<string, unknown> }[],
  opts?: { timeoutMs?: number },
): Promise<unknown[]>;
export function watch(opts: {
  wrapperPid: number;
  runDir: string;
  agentUrl: string;
  pollMs?: number;
  nudgeEveryS?: number;
  maxNudges?: number;
  quietS?: number;
}): Promise<void>;
export function condenseDiagnostics(text: string): string;
