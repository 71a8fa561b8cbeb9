import { describe, expect, it } from 'vitest';
import { podInstanceMachine } from '../../machines/pod-instance.machine';
import { needsResume } from '../../machines/pod-instance.logic';

/*
 * needsResume lets a restore skip RESUMED for running pods with no failure counted, because their
 * only timer resets that count. This pins the assumption: if a running state gets another timer
 * (or this one does more), the spec fails and needsResume must change with it.
 */
describe('needsResume rests on what the running states time', () => {
  for (const path of ['running.up', 'running.unready'] as const) {
    it(`${path}: its only timer is stableAfter, with no target, resetting the crash-loop count`, () => {
      const node = podInstanceMachine.getStateNodeById(`pod.${path}`);
      const timers = node.after.map((t) => ({ delay: t.delay, target: t.target?.map((n) => n.id) ?? [], actions: t.actions.map((a) => (typeof a === 'string' ? a : (a as { type: string }).type)) }));
      expect(timers).toEqual([{ delay: 'stableAfter', target: [], actions: ['resetCrashLoop'] }]);
      expect(needsResume(path, { consecutiveFailures: 0 })).toBe(false);
      expect(needsResume(path, { consecutiveFailures: 1 })).toBe(true);
    });
  }

  it('every other timed state is resumed', () => {
    for (const path of ['placed', 'volume-provisioned.awaiting-holder', 'failed.transient', 'running.suspect.probation', 'stopping.killing']) {
      expect(needsResume(path, { consecutiveFailures: 0 })).toBe(true);
    }
  });
});
