import { describe, expect, it } from 'vitest';
import { withStallMonitor } from '../../bench/lib/limits';

/** Hold the event loop for `ms` of CPU time without yielding (on a busy machine, longer on the clock). */
function block(ms: number): void {
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    if (used.user + used.system >= ms * 1000) return;
  }
}

describe('withStallMonitor (the longest event-loop stall while fn runs)', () => {
  it('measures a block at the very start of fn (the monitor has ticked before fn runs)', async () => {
    const { maxStallMs, maxStallCpuMs } = await withStallMonitor(async () => {
      block(150);
    });
    expect(maxStallMs).toBeGreaterThanOrEqual(100);
    expect(maxStallCpuMs).toBeGreaterThanOrEqual(100);
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

  it('does not count an idle wait as a CPU stall', async () => {
    const { maxStallCpuMs } = await withStallMonitor(async () => {
      await new Promise((r) => setTimeout(r, 200));
    });
    expect(maxStallCpuMs).toBeLessThan(100);
  });
});
