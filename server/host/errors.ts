/** Errors from reading (and later writing) the host. Every one names the path it is about. */
export type HostErrorKind =
  | "not-found" // a required file or link is missing
  | "permission" // EACCES/EPERM
  | "unreadable" // any other read failure
  | "not-a-host-tree" // the configured root does not look like sysfs/procfs
  | "invalid-input" // an address or argument that was refused before touching anything
  | "no-such-device"; // a well-formed address that the host does not have

export class HostError extends Error {
  readonly kind: HostErrorKind;
  readonly path: string | null;
  readonly fix: string | null;

  constructor(kind: HostErrorKind, message: string, opts: { path?: string; fix?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = "HostError";
    this.kind = kind;
    this.path = opts.path ?? null;
    this.fix = opts.fix ?? null;
  }
}

export function errnoOf(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String(err.code) : undefined;
}

/** Turns a failed fs call into a HostError that says which file and why. */
export function readFailure(path: string, err: unknown): HostError {
  const code = errnoOf(err);
  if (code === "ENOENT") return new HostError("not-found", `${path} does not exist`, { path, cause: err });
  if (code === "EACCES" || code === "EPERM")
    return new HostError("permission", `${path} is not readable by this user (${code})`, {
      path,
      cause: err,
      fix: "run Passdeck as root, or as a user that can read this file",
    });
  const detail = err instanceof Error ? err.message : String(err);
  return new HostError("unreadable", `${path} could not be read: ${detail}`, { path, cause: err });
}
