/**
 * Durations as the CLI, the URL and the environment accept them: 30s, 5m, 2h, 7d, 1y. Plain ESM so that
 * server/env-spec.mjs, which node runs without TypeScript, parses them with the same code.
 */

/** @type {Record<string, number>} */
const UNIT_MS = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3, y: 365 * 86400e3 };

/**
 * Milliseconds, or null for anything that is not a number followed by one of ms, s, m, h, d, w, y.
 * @param {string} text
 * @returns {number | null}
 */
export function parseDuration(text) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)$/.exec(text.trim());
  if (!m) return null;
  return Math.round(Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? NaN));
}
