// Types for rig.mjs (plain ESM so node runs it without a build step).
export const RIG_DIR: string;
export const REPO: string;
export class RigError extends Error {}

export interface RigPaths {
  cache: string;
  runDir: string;
  state: string;
  console: string;
  qemuLog: string;
  pidfile: string;
  shellSocket: string;
  monitorSocket: string;
  qmpSocket: string;
  buildSnapshot: string;
  dataDir: string;
  kver?: string;
  kdir?: string;
  vmlinux?: string;
  initramfs?: string;
  moddir?: string;
}

export interface RigState {
  pid: number;
  wrapperPid: number;
  serverPort: number;
  agentPort: number;
  serverUrl: string;
  agentUrl: string;
  kernel: string;
  /** .next/BUILD_ID of the build snapshot the guest serves */
  buildId: string;
  console: string;
  shellSocket: string;
  startedAt: string;
  bootMs: number;
  marks: { agentReady?: number; server?: number };
  owner: number | null;
  /** the rig's accounts (made before boot) and an admin API token for tRPC calls from the host */
  auth: { admin: { name: string; password: string }; viewer: { name: string; password: string }; token: string };
  /** set while the guest boots (pid still null) */
  booting?: boolean;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  spawnError: string | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface FsResult {
  ok: boolean;
  content?: string;
  error?: { code: string | null; errno: number | null; message: string };
}

export function rigPaths(opts?: { requireKernel?: boolean }): RigPaths;
export function rigPorts(): { server: number; agent: number };
export function qemuArgs(opts?: { ports?: { server: number; agent: number }; consoleMode?: "file" | "stdio"; paths?: RigPaths }): string[];
export function readState(paths?: RigPaths): RigState | null;
export function runningRig(paths?: RigPaths): RigState | null;
export function consoleTail(lines?: number, paths?: RigPaths): string;
export function startRig(opts?: { timeoutSec?: number; detach?: boolean; log?: (msg: string) => void; keepData?: boolean }): Promise<RigState>;
export function rebootRig(opts?: { log?: (msg: string) => void }): Promise<RigState>;
export function stopRig(opts?: { log?: (msg: string) => void }): boolean;
export function guestExec(argv: string[], opts?: { timeoutMs?: number; cwd?: string; env?: Record<string, string>; input?: string }): Promise<ExecResult>;
export function guestRun(argv: string[], opts?: { timeoutMs?: number; cwd?: string; env?: Record<string, string>; input?: string }): Promise<string>;
export function guestRead(path: string, opts?: { encoding?: "utf8" | "base64" }): Promise<FsResult>;
export function guestWrite(path: string, content: string, opts?: { encoding?: "utf8" | "base64" }): Promise<FsResult>;
