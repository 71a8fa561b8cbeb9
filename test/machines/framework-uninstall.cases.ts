import { describe, expect, it } from 'vitest';
import { toSavedState } from '../../machines/framework.logic';
import type { FrameworkInput, SavedFrameworkState } from '../../machines/framework.types';
import { EffectHarness, flush } from './effect-harness';
import { startFramework, toActive, type FrameworkRig } from './framework-harness';
import type { StateCoverage } from './state-coverage';

/*
 * The supervisor's side of the uninstall plan (src/workflows/uninstall-plan-actor.ts runs the steps;
 * here a fake reports its stored progress): registered from framework.machine.test.ts so that its
 * state and transition coverage counts them.
 */

type Fw = (input?: FrameworkInput) => FrameworkRig;

export function uninstallCases(fw: Fw, coverage: StateCoverage): void {
  describe('framework: uninstall', () => {
    const UNINSTALL = { type: 'UNINSTALL', deleteVolumes: true, deleteSnapshots: false } as const;
    const DELETED = { uninstalledAt: '2026-12-07T10:00:00.000Z' };
    const NO_APP = { app: 'no --marathon: no Marathon app to remove' };
    const STEPS = ['kill-tasks', 'detach-volumes', 'dispose-volumes', 'teardown', 'delete-state', 'remove-app'] as const;

    it('starts the uninstall plan and mirrors the step under way; uninstalled on the plan\'s completion, not before', async () => {
      const rig = fw();
      await toActive(rig);
      rig.actor.send(UNINSTALL);
      expect(rig.uninstall.runs.map((r) => r.input)).toEqual([
        { service: 'hdfs', frameworkId: 'fw-1', deleteVolumes: true, deleteSnapshots: false, done: [], retry: { initialMs: expect.any(Number), maxMs: expect.any(Number) } },
      ]);
      const seen = [rig.state()];
      for (const step of STEPS.slice(0, 5)) {
        await rig.uninstall.step(rig, step, step === 'delete-state' ? DELETED : {});
        seen.push(rig.state());
      }
      expect(seen).toEqual([
        'uninstalling.killing-tasks',
        'uninstalling.detaching-volumes',
        'uninstalling.disposing-volumes',
        'uninstalling.tearing-down',
        'uninstalling.deleting-state',
        'uninstalling.removing-app',
      ]);
      expect(rig.ctx().uninstall).toMatchObject({ done: STEPS.slice(0, 5), uninstalledAt: DELETED.uninstalledAt });
      // Every step stored done but the plan not complete yet: the supervisor waits for its tag.
      await rig.uninstall.step(rig, 'remove-app', { complete: false });
      expect(rig.state()).toBe('uninstalling.finishing');
      await rig.uninstall.step(rig, 'remove-app', NO_APP);
      expect(rig.state()).toBe('uninstalled');
      expect(rig.ctx().uninstall?.app).toBe(NO_APP.app);
      // Not final: the process stays up (healthy to Marathon) until REINSTALL.
      expect(rig.actor.getSnapshot().status).toBe('active');
      expect(rig.uninstall.live).toEqual([]);
    });

    it('shows why a step retries and keeps it; a plan stopped at a failed step parks it until RETRY starts the plan again', async () => {
      const rig = fw();
      await toActive(rig);
      rig.actor.send(UNINSTALL);
      await rig.uninstall.step(rig, 'kill-tasks');
      await rig.uninstall.step(rig, null, { retrying: { code: 'PORTWORX_BUSY', message: 'Portworx busy' } });
      expect(rig.state()).toBe('uninstalling.detaching-volumes');
      expect(rig.ctx().lastError).toMatchObject({ code: 'PORTWORX_BUSY', message: 'Portworx busy', retryable: true });
      await rig.uninstall.step(rig, null, { error: { message: 'stopped at step detach-volumes: permission denied', retryable: false } });
      expect(rig.state()).toBe('uninstalling.blocked');
      expect(rig.ctx().reason).toContain('permission denied');
      expect(rig.uninstall.live).toHaveLength(1);
      rig.actor.send({ type: 'RETRY' });
      expect(rig.uninstall.runs).toHaveLength(2);
      expect(rig.uninstall.live).toHaveLength(1);
      expect(rig.uninstall.runs[1]!.input.done).toEqual(['kill-tasks']);
      expect(rig.state()).toBe('uninstalling.detaching-volumes');
      await rig.uninstall.step(rig, 'detach-volumes');
      expect(rig.ctx().lastError).toBeNull();
      expect(rig.state()).toBe('uninstalling.disposing-volumes');
    });

    it('resumes a restored uninstall: its plan starts again (the plan resumes from what it stored)', async () => {
      const rig = fw();
      await toActive(rig);
      rig.actor.send(UNINSTALL);
      await rig.uninstall.step(rig, 'kill-tasks');
      const saved = JSON.parse(JSON.stringify(rig.actor.getPersistedSnapshot()));
      rig.actor.stop();
      const restored = startFramework({ snapshot: saved, effects: new EffectHarness(), coverage });
      expect(restored.state()).toBe('uninstalling.detaching-volumes');
      expect(restored.uninstall.live).toHaveLength(1);
      for (const step of STEPS.slice(1)) await restored.uninstall.step(restored, step);
      expect(restored.state()).toBe('uninstalled');
    });

    it('mirrors the first step not done, whatever the record or the plan stored', async () => {
      const rig = fw();
      const saved: SavedFrameworkState = {
        ...toSavedState(rig.ctx()),
        frameworkId: 'fw-1',
        uninstall: { deleteVolumes: true, deleteSnapshots: false, done: ['kill-tasks', 'detach-volumes', 'dispose-volumes'] },
      };
      await rig.effects.resolve('restoreState', { saved, tasks: [] });
      await rig.effects.resolve('acquireLease', { acquired: true, holder: 'me' });
      rig.actor.send({ type: 'SUBSCRIBED', frameworkId: 'fw-1' });
      expect(rig.state()).toBe('uninstalling.tearing-down');
      const other = fw();
      await toActive(other);
      other.actor.send(UNINSTALL);
      // A step stored done out of order (a plan merged with an older record): the first one missing shows.
      await other.uninstall.step(other, 'detach-volumes');
      expect(other.state()).toBe('uninstalling.killing-tasks');
    });

    it('finishes an uninstall when the master says the framework was already removed', async () => {
      const rig = fw();
      const saved: SavedFrameworkState = {
        ...toSavedState(rig.ctx()),
        frameworkId: 'fw-1',
        uninstall: { deleteVolumes: true, deleteSnapshots: false, done: ['kill-tasks', 'detach-volumes', 'dispose-volumes'] },
      };
      await rig.effects.resolve('restoreState', { saved, tasks: [] });
      await rig.effects.resolve('acquireLease', { acquired: true, holder: 'me' });
      expect(rig.state()).toBe('subscribing');
      rig.actor.send({ type: 'FRAMEWORK_REMOVED' });
      expect(rig.state()).toBe('uninstalling.deleting-state');
      expect(rig.ctx().uninstall?.done).toContain('teardown');
    });

    it('registers anew when the master removed the framework outside an uninstall', async () => {
      const rig = fw();
      await rig.effects.resolve('restoreState', { saved: { ...toSavedState(rig.ctx()), frameworkId: 'fw-old' }, tasks: [] });
      await rig.effects.resolve('acquireLease', { acquired: true, holder: 'me' });
      rig.actor.send({ type: 'FRAMEWORK_REMOVED' });
      expect(rig.state()).toBe('subscribing');
      expect(rig.ctx().frameworkId).toBeNull();
    });

    it('finishes an uninstall whose TEARDOWN was done without subscribing again', async () => {
      const rig = fw();
      const saved: SavedFrameworkState = {
        ...toSavedState(rig.ctx()),
        frameworkId: 'fw-1',
        uninstall: { deleteVolumes: true, deleteSnapshots: false, done: ['kill-tasks', 'detach-volumes', 'dispose-volumes', 'teardown'] },
      };
      await rig.effects.resolve('restoreState', { saved, tasks: [] });
      await rig.effects.resolve('acquireLease', { acquired: true, holder: 'me' });
      expect(rig.state()).toBe('uninstalling.deleting-state');
      expect(rig.uninstall.live.map((r) => r.input.done)).toEqual([['kill-tasks', 'detach-volumes', 'dispose-volumes', 'teardown']]);
      await rig.uninstall.step(rig, 'delete-state', DELETED);
      await rig.uninstall.step(rig, 'remove-app', NO_APP);
      expect(rig.state()).toBe('uninstalled');
    });

    it('resumes after a restart from stored progress, once it leads and is subscribed again', async () => {
      const rig = fw();
      const saved: SavedFrameworkState = {
        ...toSavedState(rig.ctx()),
        frameworkId: 'fw-1',
        uninstall: { deleteVolumes: false, deleteSnapshots: true, done: ['kill-tasks', 'detach-volumes'] },
      };
      await rig.effects.resolve('restoreState', { saved, tasks: [] });
      await rig.effects.resolve('acquireLease', { acquired: true, holder: 'me' });
      rig.actor.send({ type: 'SUBSCRIBED', frameworkId: 'fw-1' });
      expect(rig.state()).toBe('uninstalling.disposing-volumes');
      expect(rig.uninstall.live.at(-1)?.input).toMatchObject({ deleteVolumes: false, deleteSnapshots: true, done: ['kill-tasks', 'detach-volumes'] });
      rig.actor.send({ type: 'UNINSTALL', deleteVolumes: true, deleteSnapshots: false });
      expect(rig.ctx().uninstall).toEqual({ deleteVolumes: true, deleteSnapshots: true, done: ['kill-tasks', 'detach-volumes'] });
      rig.actor.send({ type: 'DISCONNECTED' });
      expect(rig.state()).toBe('subscribing');
      // Off the master the plan is stopped; subscribed again it starts again from what is stored.
      expect(rig.uninstall.live).toEqual([]);
      rig.actor.send({ type: 'SUBSCRIBED', frameworkId: 'fw-1' });
      expect(rig.state()).toBe('uninstalling.disposing-volumes');
      expect(rig.uninstall.live.map((r) => r.input.deleteVolumes)).toEqual([true]);
      rig.actor.send({ type: 'LEASE_LOST' });
      expect(rig.state()).toBe('standby');
    });

    it('accepts UNINSTALL while subscribing or reconciling', async () => {
      const a = fw();
      await a.effects.resolve('restoreState', { saved: null, tasks: [{ taskId: 't1', agentId: 'a1' }] });
      await a.effects.resolve('acquireLease', { acquired: true, holder: 'me' });
      a.actor.send(UNINSTALL);
      expect(a.state()).toBe('uninstalling.killing-tasks');
      const b = fw();
      await b.effects.resolve('restoreState', { saved: null, tasks: [{ taskId: 't1', agentId: 'a1' }] });
      await b.effects.resolve('acquireLease', { acquired: true, holder: 'me' });
      b.actor.send({ type: 'SUBSCRIBED', frameworkId: 'fw-1' });
      b.actor.send(UNINSTALL);
      expect(b.state()).toBe('uninstalling.killing-tasks');
      await flush();
    });
  });
}
