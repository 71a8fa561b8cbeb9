import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff, backoffCeiling, backoffDelay, sleep } from '../../src/util/backoff';

describe('capped exponential backoff with full jitter', () => {
  it('waits between 0 and min(max, initial * factor^attempt), whatever the randomness', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 2000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, initialMs, maxMs, r) => {
          const delay = backoffDelay(attempt, { initialMs, maxMs }, () => r);
          const ceiling = Math.min(maxMs, initialMs * 2 ** attempt);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(ceiling);
          expect(delay).toBeLessThanOrEqual(maxMs);
          expect(Number.isInteger(delay)).toBe(true);
        },
      ),
    );
  });

  it('grows the ceiling exponentially until the cap, then stays there', () => {
    const opts = { initialMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 5, 60, 5000].map((a) => backoffCeiling(a, opts))).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000, 1000,
    ]);
    expect(backoffCeiling(2, { initialMs: 100, maxMs: 10_000, factor: 3 })).toBe(900);
  });

  it('spreads waits across the whole range (full jitter, not equal jitter)', () => {
    const opts = { initialMs: 1000, maxMs: 1000 };
    expect(backoffDelay(0, opts, () => 0)).toBe(0);
    expect(backoffDelay(0, opts, () => 0.999)).toBe(999);
  });

  it('counts attempts and starts over after reset()', () => {
    const b = new Backoff({ initialMs: 10, maxMs: 1000 }, () => 0.5);
    expect([b.next(), b.next(), b.next()]).toEqual([5, 10, 20]);
    expect(b.attempt).toBe(3);
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(5);
  });

  it('rejects nonsense options', () => {
    expect(() => new Backoff({ initialMs: -1, maxMs: 10 })).toThrow(RangeError);
    expect(() => backoffCeiling(-1, { initialMs: 1, maxMs: 10 })).toThrow(RangeError);
    expect(() => backoffCeiling(0, { initialMs: 1, maxMs: 10, factor: 0.5 })).toThrow(RangeError);
  });

  it('sleep() resolves after the time, or at once when its signal aborts', async () => {
    const t0 = Date.now();
    await sleep(30);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    const abort = new AbortController();
    const t1 = Date.now();
    const pending = sleep(10_000, abort.signal);
    abort.abort();
    await pending;
    expect(Date.now() - t1).toBeLessThan(1000);
  });
});
