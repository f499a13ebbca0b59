/**
 * Password hashing with scrypt (node:crypto: no native addon to build) and a per-user random salt. The parameters
 * are stored with the hash, so they can be raised later without invalidating existing passwords.
 */
import { BoundedGate } from "@/server/bounded-gate";
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { availableParallelism } from "node:os";

/**
 * How many scrypt computations may run at once in this process: half the CPUs (at least 1). Each one is ~0.25 s of
 * one core and 32 MiB, so on a 2-core host one runs while the other core keeps serving pages, and a burst of
 * sign-ins cannot take the machine's memory or every core.
 */
export function scryptConcurrency(cpus: number = availableParallelism()): number {
  return Math.max(1, Math.floor(cpus / 2));
}

/** The server is checking as many passwords as it allows at once (and as many wait): try again in a moment. */
export class ScryptBusy extends Error {
  readonly retryAfterS = 1;
  constructor() {
    super("the server is busy checking other sign-ins: try again in a moment");
    this.name = "ScryptBusy";
  }
}

/** The gate for password hashing: `limit` scrypt at once and as many waiting (server/bounded-gate.ts). */
export class ScryptGate extends BoundedGate {
  constructor(limit: number = scryptConcurrency(), queue: number = scryptConcurrency()) {
    super(limit, queue, () => new ScryptBusy());
  }
}

/** The one gate every password check and hash of this process goes through. */
export const scryptGate = new ScryptGate();

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  scryptGate.run(() => new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)))));

/** N = 2^15, r = 8, p = 3: one of OWASP's equivalent scrypt minimums, 32 MiB per hash instead of 128 MiB. */
export const SCRYPT_DEFAULTS = { N: 2 ** 15, r: 8, p: 3 } as const;
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}
const KEY_BYTES = 32;
const SALT_BYTES = 16;

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

/** null when acceptable, else what is wrong (said to the user as it is). */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `the password must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `the password must be at most ${MAX_PASSWORD_LENGTH} characters`;
  if (password.includes("\0")) return "the password must not contain a NUL character";
  return null;
}

export async function hashPassword(password: string, params: ScryptParams = SCRYPT_DEFAULTS): Promise<string> {
  const problem = passwordProblem(password);
  if (problem) throw new Error(problem);
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, { ...params, maxmem: 256 * params.N * params.r });
  return ["scrypt", params.N, params.r, params.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** Constant-time comparison; false for a malformed stored hash rather than an exception. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((x) => Number.isInteger(x) && x > 0) || N > 2 ** 20) return false;
  const salt = Buffer.from(parts[4]!, "base64url");
  const expected = Buffer.from(parts[5]!, "base64url");
  if (password.length > MAX_PASSWORD_LENGTH || expected.length !== KEY_BYTES) return false;
  const key = await scrypt(password, salt, KEY_BYTES, { N, r, p, maxmem: 256 * N * r });
  return timingSafeEqual(key, expected);
}
