/** Exponential backoff as a pure function so every retry delay is reproducible in tests. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (1 = first retry): initial, doubled per attempt, capped.
 * Attempt 0 or less means "no failure yet" and yields the initial delay.
 */
export function backoffMs(attempt: number, policy: BackoffPolicy): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // Cap the exponent so 2 ** n never overflows to Infinity on long outages.
  const raw = policy.initialMs * 2 ** Math.min(exponent, 30);
  return Math.max(0, Math.min(policy.maxMs, raw));
}
