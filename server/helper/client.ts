/**
 * The web server's side of the helper socket: a PlanApplier whose every call is one connection. Errors come back
 * as the same classes a local apply throws, so the API maps them with the one table.
 */
import { createConnection } from "node:net";
import { PlanRejected } from "@/server/executor/allow-list";
import { PlanBusy } from "@/server/executor/executor";
import type { StepReport } from "@/server/executor/plan";
import { WEB_AUDIT_ACTIONS, type AuditAction } from "@/server/auth/audit";
import type { DesiredEntry } from "@/server/desired/desired-state";
import type { Refusal } from "@/server/plans/planner";
import type { PlanOverrides } from "@/server/plans/step-guard";
import {
  PlanReused,
  PlanUnsafe,
  type ApplyMeta,
  type ApplyOutcome,
  type ConfirmOutcome,
  type PendingConfirmation,
  type PlanApplier,
  type RevertOutcome,
} from "./applier";
import type { HelperLine, HelperRequest } from "./protocol";

export class HelperUnavailable extends Error {
  constructor(socketPath: string, detail: string) {
    super(`the privileged helper does not answer on ${socketPath} (${detail}): start it (systemctl start passdeck-helper, or npm start as root)`);
    this.name = "HelperUnavailable";
  }
}

/** Another process (the CLI, reconcile) is applying a plan on this host: the helper's journal said so. */
export class HelperConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HelperConflict";
  }
}

export class HelperApplier implements PlanApplier {
  readonly mode = "host" as const;

  constructor(private readonly socketPath: string) {}

  apply(plan: unknown, meta: ApplyMeta, onStep: (report: StepReport) => void, overrides?: PlanOverrides): Promise<ApplyOutcome> {
    // The peer is the helper's to find out; a claimed one is never sent.
    const claimed = { actor: meta.actor, origin: meta.origin };
    return this.call({ op: "apply", plan, meta: claimed, ...(overrides ? { overrides } : {}) }, onStep) as Promise<ApplyOutcome>;
  }

  confirm(planId: string, meta: ApplyMeta): Promise<ConfirmOutcome> {
    return this.call({ op: "confirm", planId, meta: { actor: meta.actor, origin: meta.origin } }) as Promise<ConfirmOutcome>;
  }

  revert(planId: string, meta: ApplyMeta): Promise<RevertOutcome> {
    return this.call({ op: "revert", planId, meta: { actor: meta.actor, origin: meta.origin } }) as Promise<RevertOutcome>;
  }

  /** An audit entry the web tier cannot write itself (the host records are the helper's); plans are audited by the helper. */
  async audit(action: AuditAction, actor: string | null, source: string | null, detail: string | null): Promise<void> {
    if (!(WEB_AUDIT_ACTIONS as readonly string[]).includes(action)) throw new Error(`the web tier does not audit ${action}: the helper does`);
    await this.call({ op: "audit", action, actor: actor?.slice(0, 200) ?? null, source: source?.slice(0, 100) ?? null, detail: detail?.slice(0, 500) ?? null });
  }

  /** "Stop remembering this address" for reconcile, written by the helper. */
  forgetDesired(address: string, meta: ApplyMeta): Promise<DesiredEntry[]> {
    return this.call({ op: "forget-desired", address, meta: { actor: meta.actor, origin: meta.origin } }) as Promise<DesiredEntry[]>;
  }

  pending(): Promise<PendingConfirmation[]> {
    return this.call({ op: "pending" }) as Promise<PendingConfirmation[]>;
  }

  /** Sends one request and reads the answer lines; any raw JSON is accepted for tests of the helper's refusals. */
  call(request: HelperRequest | Record<string, unknown>, onStep: (report: StepReport) => void = () => undefined): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(this.socketPath);
      let buffered = "";
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
        socket.destroy();
      };
      socket.setEncoding("utf8");
      socket.on("connect", () => socket.write(`${JSON.stringify(request)}\n`));
      socket.on("error", (err: NodeJS.ErrnoException) => settle(() => reject(new HelperUnavailable(this.socketPath, err.code ?? err.message))));
      socket.on("data", (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          let line: HelperLine;
          try {
            line = JSON.parse(buffered.slice(0, nl)) as HelperLine;
          } catch {
            return settle(() => reject(new HelperUnavailable(this.socketPath, "it answered something that is not a JSON line")));
          }
          buffered = buffered.slice(nl + 1);
          if (line.type === "step") onStep(line.report as StepReport);
          else if (line.type === "done") return settle(() => resolve(line.value));
          else return settle(() => reject(helperError(line)));
        }
      });
      socket.on("end", () => settle(() => reject(new HelperUnavailable(this.socketPath, "it closed the connection without an answer"))));
    });
  }
}

function helperError(line: Extract<HelperLine, { type: "error" }>): Error {
  switch (line.name) {
    case "PlanRejected":
      return new PlanRejected(line.issues ?? [line.message]);
    case "PlanUnsafe":
      return new PlanUnsafe((line.refusals ?? []) as Refusal[]);
    case "PlanReused":
      return new PlanReused("?", line.message);
    case "PlanBusy":
      return new PlanBusy(line.running ?? "?");
    case "JournalBusy":
      return new HelperConflict(line.message);
    default:
      return new Error(`the helper refused: ${line.message}`);
  }
}
