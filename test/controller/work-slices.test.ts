import { describe, expect, it } from 'vitest';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { WorkSlices } from '../../src/controller/work-slices';

describe('WorkSlices (a burst of jobs never holds the event loop for all of them)', () => {
  it('runs a burst in slices of at most maxJobs, in order, yielding to the event loop in between', async () => {
    // A clock that stands still: only maxJobs ends a slice (a loaded machine does not change the count).
    const slices = new WorkSlices({ maxJobs: 50, now: () => 0 });
    const ran: number[] = [];
    const otherWorkSawRan: number[] = [];
    const done = Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        slices.run(() => {
          // Other work queued by the first job runs between two slices, not after the whole burst.
          if (i === 0) setImmediate(() => otherWorkSawRan.push(ran.length));
          ran.push(i);
        }),
      ),
    );
    await done;
    expect(ran).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(slices.sliceCount).toBe(3);
    expect(otherWorkSawRan).toEqual([50]);
  });

  it('ends a slice once its time budget is spent (at least one job per slice) and tells onSliceEnd', async () => {
    let clock = 0;
    let ends = 0;
    const slices = new WorkSlices({ budgetMs: 10, now: () => clock, onSliceEnd: () => (ends += 1) });
    await Promise.all(Array.from({ length: 6 }, () => slices.run(() => (clock += 4))));
    // 4 ms per job, 10 ms per slice: jobs 1-3, then 4-6.
    expect(slices.sliceCount).toBe(2);
    expect(ends).toBe(2);
  });

  it('hands each caller its own result or error', async () => {
    const slices = new WorkSlices();
    const ok = slices.run(() => 42);
    const bad = slices.run(() => {
      throw new Error('boom');
    });
    await expect(ok).resolves.toBe(42);
    await expect(bad).rejects.toThrow('boom');
    await nextMacrotask();
    expect(slices.pending).toBe(0);
  });
});
