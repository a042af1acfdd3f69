export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** A run at least this long resets the count of consecutive failures. */
  resetMs: number;
}

/** Delay before restart number `failures` (1 = the first restart after a death): doubling, capped. */
export function restartDelay(policy: BackoffPolicy, failures: number): number {
  const exponent = Math.max(0, failures - 1);
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(exponent, 30));
}

/** Consecutive failures after a run of `ranMs` that ended in a death. */
export function failuresAfter(policy: BackoffPolicy, previousFailures: number, ranMs: number): number {
  return ranMs >= policy.resetMs ? 1 : previousFailures + 1;
}
