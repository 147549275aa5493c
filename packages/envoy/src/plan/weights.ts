/**
 * Relative weights as integers summing to exactly 100, by largest remainder: each weight gets the
 * floor of its share, and the points left go to the largest remainders (ties to the earlier
 * entry), so the result is deterministic and as close to the shares as integers allow. Envoy v1
 * requires a sum of 100, gRPC C-core before 1.51 NACKs any other sum, so every target gets this.
 * All-zero weights (which validation refuses) come out as all zeros.
 */
export function normalizeWeights(weights: readonly number[]): number[] {
  const total = weights.reduce((sum, w) => sum + Math.max(0, w), 0);
  if (total <= 0) return weights.map(() => 0);
  const shares = weights.map((w) => (Math.max(0, w) * 100) / total);
  const result = shares.map(Math.floor);
  let left = 100 - result.reduce((sum, w) => sum + w, 0);
  const order = shares
    .map((share, index) => ({ index, remainder: share - Math.floor(share) }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of order) {
    if (left <= 0) break;
    result[index] = (result[index] ?? 0) + 1;
    left -= 1;
  }
  return result;
}
