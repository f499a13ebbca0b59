/**
 * The privileged helper: root, started by its own unit (deploy/systemd/passdeck-helper.service) or by `npm start`
 * as root. It owns the plan executor and listens on a UNIX socket that only root and the web server's group may
 * open (0660). Every request is parsed here (protocol.ts) and every plan re-validated by the executor's allow-list;
 * the journal and the audit trail are written here, so a compromised web tier cannot hide what it asked for.
 */
import { chmodSync, chownSync, existsSync, rmSync, statSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { JournalBusy } from "@/server/db/journal";
import { PlanRejected } from "@/server/executor/allow-list";
import { PlanBusy } from "@/server/executor/executor";
import type { PlanApplier } from "./applier";
import { helperRequestSchema, MAX_REQUEST_BYTES, type HelperLine, type HelperRequest } from "./protocol";

export interface HelperServerOptions {
  socketPath: string;
  /** the group that may connect (the web server's); null leaves the socket root-only */
  gid: number | null;
  applier: PlanApplier;
  log?: (line: string) => void;
}

function send(socket: Socket, line: HelperLine): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(line)}\n`);
}

function errorLine(err: unknown): HelperLine {
  if (err instanceof PlanRejected) return { type: "error", name: "PlanRejected", message: err.message, issues: err.issues };
  if (err instanceof PlanBusy) return { type: "error", name: "PlanBusy", message: err.message, running: err.runningPlanId };
  if (err instanceof JournalBusy) return { type: "error", name: "JournalBusy", message: err.message };
  return { type: "error", name: "Failed", message: err instanceof Error ? err.message : String(err) };
}

async function handle(request: HelperRequest, applier: PlanApplier, socket: Socket): Promise<unknown> {
  switch (request.op) {
    case "hello":
      return { mode: applier.mode, uid: process.getuid?.() ?? null, pid: process.pid };
    case "apply":
      return applier.apply(request.plan, request.meta, (report) => send(socket, { type: "step", report }));
    case "confirm":
      return applier.confirm(request.planId, request.meta);
    case "revert":
      return applier.revert(request.planId, request.meta);
    case "pending":
      return applier.pending();
  }
}

/** Reads one request line (bounded), answers it, closes. */
function onConnection(socket: Socket, applier: PlanApplier, log: (line: string) => void): void {
  let buffered = "";
  let handled = false;
  socket.setEncoding("utf8");
  socket.on("error", () => socket.destroy());
  socket.on("data", (chunk: string) => {
    if (handled) return;
    buffered += chunk;
    if (buffered.length > MAX_REQUEST_BYTES) {
      handled = true;
      send(socket, { type: "error", name: "BadRequest", message: `the request is longer than ${MAX_REQUEST_BYTES} bytes` });
      socket.end();
      return;
    }
    const nl = buffered.indexOf("\n");
    if (nl < 0) return;
    handled = true;
    let raw: unknown;
    try {
      raw = JSON.parse(buffered.slice(0, nl));
    } catch {
      send(socket, { type: "error", name: "BadRequest", message: "the request is not a JSON line" });
      socket.end();
      return;
    }
    const parsed = helperRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "request"}: ${i.message}`);
      log(`helper: refused a malformed request: ${issues.join("; ")}`);
      send(socket, { type: "error", name: "BadRequest", message: `malformed request: ${issues.join("; ")}`, issues });
      socket.end();
      return;
    }
    handle(parsed.data, applier, socket).then(
      (value) => {
        send(socket, { type: "done", value });
        socket.end();
      },
      (err: unknown) => {
        if (err instanceof PlanRejected) log(`helper: refused a plan from ${parsed.data.op === "apply" ? parsed.data.meta.actor : "?"}: ${err.message}`);
        send(socket, errorLine(err));
        socket.end();
      },
    );
  });
}

/** A socket file nobody answers on is left over from a crash: removed. One that answers belongs to a running helper. */
async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (!statSync(path).isSocket()) throw new Error(`${path} exists and is not a socket: remove it, or choose another PASSDECK_HELPER_SOCKET`);
  const alive = await new Promise<boolean>((resolve) => {
    const c = createConnection(path);
    c.once("connect", () => (c.destroy(), resolve(true)));
    c.once("error", () => resolve(false));
  });
  if (alive) throw new Error(`another helper already listens on ${path}`);
  rmSync(path, { force: true });
}

export async function startHelperServer(options: HelperServerOptions): Promise<Server> {
  const log = options.log ?? ((line: string) => console.error(line));
  await clearStaleSocket(options.socketPath);
  const server = createServer((socket) => onConnection(socket, options.applier, log));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.socketPath, () => resolve());
  });
  // Root and the web server's group only: whoever can open this socket can ask for allow-listed plans.
  chmodSync(options.socketPath, options.gid === null ? 0o600 : 0o660);
  if (options.gid !== null) chownSync(options.socketPath, 0, options.gid);
  return server;
}
