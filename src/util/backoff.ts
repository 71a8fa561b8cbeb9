/**
 * Capped exponential backoff with full jitter: the n-th retry waits a uniformly random time in
 * [0, min(maxMs, initialMs * factor^n)]. Full jitter spreads reconnecting clients apart so a
 * recovering master is not hit by all of them at the same instant.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Growth per attempt; 2 unless given. */
  factor?: number;
}

export const DEFAULT_BACKOFF: Readonly<Required<BackoffOptions>> = { initialMs: 500, maxMs: 30_000, factor: 2 };

/** The upper bound of the wait before retry number `attempt` (0-based). */
export function backoffCeiling(attempt: number, opts: BackoffOptions): number {
  if (!Number.isFinite(attempt) || attempt < 0) throw new RangeError(`attempt must be >= 0, got ${attempt}`);
  if (!(opts.initialMs >= 0) || !(opts.maxMs >= 0)) throw new RangeError('initialMs and maxMs must be >= 0');
  const factor = opts.factor ?? 2;
  if (!(factor >= 1)) throw new RangeError(`factor must be >= 1, got ${factor}`);
  // Math.pow overflows to Infinity for huge attempts, and min() then caps it.
  return Math.min(opts.maxMs, opts.initialMs * Math.pow(factor, attempt));
}

/** The wait before retry number `attempt`; `random` returns a number in [0, 1). */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeiling(attempt, opts));
}

/** Stateful helper: `next()` gives the next wait and counts the attempt; `reset()` after success. */
export class Backoff {
  private attempts = 0;

  constructor(
    private readonly opts: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {
    backoffCeiling(0, opts); // validate once, up front
  }

  get attempt(): number {
    return this.attempts;
  }

  next(): number {
    const delay = backoffDelay(this.attempts, this.opts, this.random);
    this.attempts += 1;
    return delay;
  }

  reset(): void {
    this.attempts = 0;
  }
}

/** Wait `ms`, or less if `signal` aborts (then it resolves early; stopping is not an error). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
