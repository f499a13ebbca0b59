/**
 * The privileged helper: root, started by its own unit (deploy/systemd/passdeck-helper.service) or by `npm start`
 * as root. It owns the plan executor and the host records, and listens on a UNIX socket that only root and the web
 * server's group may open (0660). Every request is parsed here (protocol.ts); every plan is re-validated by the
 * allow-list and re-checked against the helper's own scan (applier.ts); the journal and the audit trail are written
 * here, each entry labelled with the socket's peer (uid, pid, command) next to what the web tier claims, so a
 * compromised web tier can neither act beyond the rules nor hide what it asked for.
 *
 * Bounded: at most MAX_CONNECTIONS open at once, a request line of at most MAX_REQUEST_BYTES that must arrive
 * within REQUEST_TIMEOUT_MS, one request per connection.
 */
import { existsSync, lchownSync, lstatSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { JournalBusy } from "@/server/db/journal";
import { PlanRejected } from "@/server/executor/allow-list";
import { PlanBusy } from "@/server/executor/executor";
import { describePeer, socketPeer } from "@/server/host/peer";
import { PlanReused, PlanUnsafe, type PlanApplier } from "./applier";
import { helperRequestSchema, MAX_REQUEST_BYTES, type HelperLine, type HelperRequest } from "./protocol";

export const MAX_CONNECTIONS = 32;
export const REQUEST_TIMEOUT_MS = 10_000;

/** What the helper writes to the host records on the web tier's behalf (it may only read them). */
export interface HostRecordWriter {
  audit: (action: Extract<HelperRequest, { op: "audit" }>["action"], actor: string | null, source: string | null, detail: string | null, peer: string) => void;
  forgetDesired: (address: string, actor: string, peer: string) => unknown;
}

export interface HelperServerOptions {
  socketPath: string;
  /** the group that may connect (the web server's); null leaves the socket root-only */
  gid: number | null;
  applier: PlanApplier;
  records?: HostRecordWriter;
  /** the procfs root the peer's identity is read from (PASSDECK_PROC_ROOT) */
  procRoot: string;
  log?: (line: string) => void;
}

function send(socket: Socket, line: HelperLine): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(line)}\n`);
}

function errorLine(err: unknown): HelperLine {
  if (err instanceof PlanRejected) return { type: "error", name: "PlanRejected", message: err.message, issues: err.issues };
  if (err instanceof PlanUnsafe) return { type: "error", name: "PlanUnsafe", message: err.message, refusals: err.refusals };
  if (err instanceof PlanReused) return { type: "error", name: "PlanReused", message: err.message };
  if (err instanceof PlanBusy) return { type: "error", name: "PlanBusy", message: err.message, running: err.runningPlanId };
  if (err instanceof JournalBusy) return { type: "error", name: "JournalBusy", message: err.message };
  return { type: "error", name: "Failed", message: err instanceof Error ? err.message : String(err) };
}

async function handle(request: HelperRequest, peer: string, options: HelperServerOptions, socket: Socket): Promise<unknown> {
  const { applier, records } = options;
  switch (request.op) {
    case "hello":
      return { mode: applier.mode, uid: process.getuid?.() ?? null, pid: process.pid, peer };
    case "apply":
      return applier.apply(request.plan, { ...request.meta, peer }, (report) => send(socket, { type: "step", report }), request.overrides);
    case "confirm":
      return applier.confirm(request.planId, { ...request.meta, peer });
    case "revert":
      return applier.revert(request.planId, { ...request.meta, peer });
    case "pending":
      return applier.pending();
    case "audit":
      if (!records) throw new Error("this helper keeps no audit trail");
      records.audit(request.action, request.actor, request.source, request.detail, peer);
      return { recorded: true };
    case "forget-desired":
      if (!records) throw new Error("this helper keeps no desired state");
      return records.forgetDesired(request.address, request.meta.actor, peer);
  }
}

/** The descriptor of an accepted UNIX connection (Node keeps it on the handle; no public API has it). */
function descriptorOf(socket: Socket): number | null {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === "number" && fd >= 0 ? fd : null;
}

/** Reads one request line (bounded in size and time), answers it, closes. */
function onConnection(socket: Socket, options: HelperServerOptions, log: (line: string) => void): void {
  let buffered = "";
  let handled = false;
  // SO_PEERCRED is what the kernel recorded at connect(): still true after the peer exits. Looked up once a request
  // is in (an idle connection costs no process), and not for the pending list the pages poll.
  const peerOf = () => {
    const fd = descriptorOf(socket);
    return fd === null ? Promise.resolve("peer unknown") : socketPeer(fd, options.procRoot).then(describePeer);
  };
  socket.setEncoding("utf8");
  socket.setTimeout(REQUEST_TIMEOUT_MS, () => {
    if (handled) return;
    handled = true;
    send(socket, { type: "error", name: "BadRequest", message: `no complete request line within ${REQUEST_TIMEOUT_MS / 1000} s` });
    socket.destroy();
  });
  socket.on("error", () => socket.destroy());
  const refuse = (message: string, issues?: string[]) => {
    handled = true;
    send(socket, { type: "error", name: "BadRequest", message, ...(issues ? { issues } : {}) });
    socket.end();
  };
  socket.on("data", (chunk: string) => {
    if (handled) return;
    buffered += chunk;
    const nl = buffered.indexOf("\n");
    if (nl < 0 && buffered.length > MAX_REQUEST_BYTES) return refuse(`the request is longer than ${MAX_REQUEST_BYTES} bytes`);
    if (nl < 0) return;
    if (nl > MAX_REQUEST_BYTES) return refuse(`the request is longer than ${MAX_REQUEST_BYTES} bytes`);
    handled = true;
    // The request is in: an apply may take minutes (VFs coming up), which is not idleness.
    socket.setTimeout(0);
    let raw: unknown;
    try {
      raw = JSON.parse(buffered.slice(0, nl));
    } catch {
      return refuse("the request is not a JSON line");
    }
    buffered = "";
    const parsed = helperRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "request"}: ${i.message}`);
      log(`helper: refused a malformed request: ${issues.join("; ")}`);
      return refuse(`malformed request: ${issues.join("; ")}`, issues);
    }
    void (async () => {
      const who = parsed.data.op === "pending" ? "peer not looked up" : await peerOf();
      try {
        const value = await handle(parsed.data, who, options, socket);
        send(socket, { type: "done", value });
      } catch (err) {
        if (err instanceof PlanRejected || err instanceof PlanUnsafe || err instanceof PlanReused)
          log(`helper: refused a plan from ${who} (claims ${parsed.data.op === "apply" ? parsed.data.meta.actor : "?"}): ${err.message}`);
        send(socket, errorLine(err));
      }
      socket.end();
    })();
  });
}

/** A socket file nobody answers on is left over from a crash: removed. One that answers belongs to a running helper. */
async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket: remove it, or choose another PASSDECK_HELPER_SOCKET`);
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
  const server = createServer((socket) => onConnection(socket, options, log));
  // Beyond this the kernel's backlog holds new connections until one closes: no unbounded work per client.
  server.maxConnections = MAX_CONNECTIONS;
  // Root and the web server's group only: whoever can open this socket can ask for allow-listed plans. The mode
  // comes from the umask at bind(), so the socket never exists with a wider one.
  const umask = process.umask(options.gid === null ? 0o177 : 0o117);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.socketPath, () => resolve());
    });
  } finally {
    process.umask(umask);
  }
  // lchown: the path is this helper's own socket in a directory only root writes (helper-command.ts checks it).
  if (options.gid !== null) lchownSync(options.socketPath, 0, options.gid);
  return server;
}
