import { describe, expect, it } from 'vitest';
import { withStallMonitor } from '../../bench/lib/limits';

/** Hold the event loop for `ms` without yielding. */
function block(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

describe('withStallMonitor (the longest event-loop stall while fn runs)', () => {
  it('measures a block at the very start of fn (the monitor has ticked before fn runs)', async () => {
    const { maxStallMs } = await withStallMonitor(async () => {
      block(150);
    });
    expect(maxStallMs).toBeGreaterThanOrEqual(100);
  });

  it('measures a block after fn has awaited something', async () => {
    const { value, maxStallMs } = await withStallMonitor(async () => {
      await new Promise((r) => setTimeout(r, 10));
      block(150);
      return 'done';
    });
    expect(value).toBe('done');
    expect(maxStallMs).toBeGreaterThanOrEqual(100);
  });
});
