/** Nearest rank on ascending values: x[ceil(q·N) − 1] (RFC 2681 §4); null for no values. Shared by server and charts. */
export function percentile(sortedAscending: readonly number[], q: number): number | null {
  const n = sortedAscending.length;
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(q * n));
  return sortedAscending[Math.min(rank, n) - 1]!;
}
