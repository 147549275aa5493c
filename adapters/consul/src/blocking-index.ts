/** What an answer's `X-Consul-Index` means for the watch that received it. */
export interface IndexStep {
  /** The index to send with the next request. */
  readonly next: bigint;
  /** The index moved forward (or this is the first answer): the body may have changed. */
  readonly moved: boolean;
  /** The index went backwards (snapshot restore, a lagging follower, a new cluster): start over. */
  readonly reset: boolean;
}

/**
 * Consul's client rules for the blocking index (platform-apis.md §1.5.6): an index lower than the
 * previous one resets the watch to 0, so the next request answers at once instead of hanging for
 * the whole wait on an index the server will not reach; an index of 0 (old Consul bugs) is treated
 * as 1, so it never turns the next request into a non-blocking one; a missing or unreadable header
 * counts as 1 too, since the body is still the current state.
 */
export function nextIndex(previous: bigint, header: string | undefined): IndexStep {
  const parsed = header !== undefined && /^\d+$/.test(header) ? BigInt(header) : 0n;
  const index = parsed === 0n ? 1n : parsed;
  if (index < previous) return { next: 0n, moved: true, reset: true };
  return { next: index, moved: previous === 0n || index > previous, reset: false };
}
