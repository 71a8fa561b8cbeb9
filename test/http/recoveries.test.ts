import { describe, expect, it } from 'vitest';
import { RecoveryTracker, type CompletedRecovery, type RecoveryObservation } from '../../src/observe/recoveries';
import { RateSampler } from '../../src/observe/rates';

const obs = (over: Partial<RecoveryObservation>): RecoveryObservation => ({ stage: null, ready: false, stopping: false, operator: false, ...over });

function tracker() {
  const done: CompletedRecovery[] = [];
  return { t: new RecoveryTracker((r) => done.push(r)), done };
}

describe('recoveries: from a pod failing until it runs and is ready again, counted once', () => {
  it('a pod replaced on another host: probation, waiting, replacing, running, ready = one replace recovery', () => {
    const { t, done } = tracker();
    t.observe('node-0', obs({ stage: 'probation' }), 1_000);
    t.observe('node-0', obs({ stage: 'waiting' }), 2_000);
    t.observe('node-0', obs({ stage: 'replacing' }), 3_000);
    t.observe('node-0', obs({ stage: null }), 4_000);
    expect(done).toEqual([]);
    expect(t.inProgress()).toEqual([{ pod: 'node-0', type: 'replace', startedAt: 1_000 }]);
    t.observe('node-0', obs({ stage: null, ready: true }), 6_500);
    t.observe('node-0', obs({ stage: null, ready: true }), 7_000);
    expect(done).toEqual([{ pod: 'node-0', type: 'replace', startedAt: 1_000, endedAt: 6_500, seconds: 5.5 }]);
    expect(t.inProgress()).toEqual([]);
  });

  it('a task that failed on a live host and was relaunched there is a relaunch; a probation that ends is host-returned', () => {
    const { t, done } = tracker();
    t.observe('node-1', obs({ stage: 'relaunching' }), 0);
    t.observe('node-1', obs({ ready: true }), 2_000);
    t.observe('node-2', obs({ stage: 'probation' }), 0);
    t.observe('node-2', obs({ ready: true }), 1_000);
    expect(done.map((r) => [r.pod, r.type])).toEqual([
      ['node-1', 'relaunch'],
      ['node-2', 'host-returned'],
    ]);
  });

  it('an operator restart is no recovery, and a pod stopped mid-recovery (uninstall) is not counted', () => {
    const { t, done } = tracker();
    t.observe('node-0', obs({ stage: 'relaunching', operator: true }), 0);
    t.observe('node-0', obs({ ready: true }), 1_000);
    t.observe('node-1', obs({ stage: 'waiting' }), 0);
    t.observe('node-1', obs({ stopping: true }), 1_000);
    t.observe('node-1', obs({ ready: true }), 2_000);
    expect(done).toEqual([]);
  });

  it('a ready pod that never failed (a deploy) is no recovery', () => {
    const { t, done } = tracker();
    t.observe('node-0', obs({ ready: true }), 0);
    expect(done).toEqual([]);
  });
});

describe('rates over the session', () => {
  it('keeps per-second rates between samples of cumulative totals', async () => {
    let now = 0;
    let offers = 0;
    const s = new RateSampler({ offers: () => offers }, { intervalMs: 1_000, now: () => now });
    await s.sample();
    offers = 10;
    now = 2_000;
    await s.sample();
    offers = 10;
    now = 3_000;
    await s.sample();
    expect(s.history()).toEqual([
      { t: 2_000, rates: { offers: 5 } },
      { t: 3_000, rates: { offers: 0 } },
    ]);
  });
});
