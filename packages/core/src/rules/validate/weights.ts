/**
 * Relative weights as integers summing to 100, by the largest-remainder method: each gets the
 * whole part of its share, and what is left goes one by one to the largest remainders (the
 * earlier destination first on a tie). Envoy v1 and gRPC clients need the sum to be exactly 100;
 * every renderer uses this one function so every target splits alike. All weights 0: all 0.
 */
export function normaliseWeights(weights: readonly number[]): number[] {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  if (total <= 0) return weights.map(() => 0);
  const shares = weights.map((weight) => (weight * 100) / total);
  const whole = shares.map(Math.floor);
  let left = 100 - whole.reduce((sum, part) => sum + part, 0);
  const order = shares
    .map((share, index) => ({ index, remainder: share - Math.floor(share) }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of order) {
    if (left <= 0) break;
    whole[index] = (whole[index] ?? 0) + 1;
    left -= 1;
  }
  return whole;
}
