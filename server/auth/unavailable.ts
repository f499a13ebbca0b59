/**
 * When the database cannot be opened, the reason names paths and errors of the host: that goes to the server's log,
 * and a caller who is not signed in only learns that the database is unavailable.
 */

export const DATABASE_UNAVAILABLE = "the server's database is unavailable: the server's log says why";

let last: { reason: string; atMs: number } | null = null;

/**
 * Logs the reason and returns what a signed-out caller may be told. A flood of requests must not flood the log: the
 * same reason is logged once a minute, a new one at most once a second.
 */
export function databaseUnavailable(reason: string, now: number = Date.now(), log: (line: string) => void = console.error): string {
  const since = last === null ? Number.POSITIVE_INFINITY : now - last.atMs;
  if (since >= 60_000 || (since >= 1_000 && reason !== last?.reason)) {
    log(`passdeck: ${reason}`);
    last = { reason, atMs: now };
  }
  return DATABASE_UNAVAILABLE;
}
