/**
 * First-run setup is claimed with a one-time code that only someone on the host can read (a file in the data
 * directory, mode 0600, also printed by the server and by `passdeck setup-code`), as Jenkins does: whoever else
 * reaches the port first cannot make themselves admin.
 */
import { randomInt, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const FILE = "setup-code";
// Crockford's base32 without look-alikes: read off a terminal and typed into a browser.
const ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789";

export const setupCodePath = (dataDir: string) => join(dataDir, FILE);

function readCode(dataDir: string): string | null {
  try {
    return readFileSync(setupCodePath(dataDir), "utf8").trim() || null;
  } catch {
    return null;
  }
}

/** The code waiting in the data directory, created (0600) when there is none. */
export function ensureSetupCode(dataDir: string): { code: string; created: boolean } {
  const existing = readCode(dataDir);
  if (existing) return { code: existing, created: false };
  mkdirSync(dataDir, { recursive: true, mode: 0o750 });
  const groups = Array.from({ length: 3 }, () => Array.from({ length: 4 }, () => ALPHABET[randomInt(ALPHABET.length)]).join(""));
  const code = groups.join("-");
  try {
    writeFileSync(setupCodePath(dataDir), `${code}\n`, { mode: 0o600, flag: "wx" });
  } catch {
    // Another process wrote one between the read and the write: theirs is the code.
    const theirs = readCode(dataDir);
    if (theirs) return { code: theirs, created: false };
    throw new Error(`cannot write ${setupCodePath(dataDir)}: the data directory must be writable by the server`);
  }
  return { code, created: true };
}

/** Case and dashes do not matter; compared in constant time. */
export function setupCodeMatches(dataDir: string, given: string): boolean {
  const expected = readCode(dataDir);
  if (!expected) return false;
  const norm = (s: string) => Buffer.from(s.toUpperCase().replace(/[^A-Z0-9]/g, ""));
  const a = norm(expected);
  const b = norm(given.slice(0, 64));
  return a.length === b.length && timingSafeEqual(a, b);
}

export function clearSetupCode(dataDir: string): void {
  rmSync(setupCodePath(dataDir), { force: true });
}
