import { describe, expect, it } from 'vitest';
import { toSavedState } from '../../machines/framework.logic';
import type { FrameworkInput, SavedFrameworkState, TombstoneState, UninstallStep } from '../../machines/framework.types';
import { effectFailure } from './effect-harness';
import { HDFS_INPUT, toActive, type FrameworkRig } from './framework-harness';

/*
 * Issue 10 cases of the framework supervisor, registered from framework.machine.test.ts so that
 * its state and transition coverage counts them: the tombstone an uninstall leaves (problem 2)
 * and a scale-up that comes back to an index being decommissioned (problem 6).
 */

type Fw = (input?: FrameworkInput) => FrameworkRig;

const ALL_DONE: UninstallStep[] = ['kill-tasks', 'detach-volumes', 'dispose-volumes', 'teardown', 'delete-state', 'remove-app'];
const tombstone = (done: UninstallStep[] = ALL_DONE): TombstoneState => ({
  frameworkId: 'fw-1',
  uninstall: { deleteVolumes: false, deleteSnapshots: false, done, uninstalledAt: '2026-12-07T10:00:00.000Z', app: null },
});

/** A supervisor restored from a tombstone, leading. */
async function fromTombstone(fw: Fw, t = tombstone()): Promise<FrameworkRig> {
  const rig = fw();
  await rig.effects.resolve('restoreState', { saved: null, tasks: [{ taskId: 'stale', agentId: 'a1' }], tombstone: t });
  await rig.effects.resolve('acquireLease', { acquired: true, holder: 'me' });
  return rig;
}

export function tombstoneCases(fw: Fw): void {
  describe('framework: the tombstone an uninstall leaves (issue 10, problem 2)', () => {
    it('restored from a tombstone it stays uninstalled: no SUBSCRIBE, no pods, no deploy steps, no reconciliation', async () => {
      const rig = await fromTombstone(fw);
      expect(rig.state()).toBe('uninstalled');
      expect(rig.actions.filter((a) => a.startsWith('subscribe') || a.startsWith('startPod'))).toEqual([]);
      expect(rig.ctx().pods).toEqual([]);
      expect(rig.ctx().deploy.phases.map((p) => p.steps.length)).toEqual([0, 0, 0]);
      expect(rig.ctx().reconcile.tasks).toEqual([]);
      expect(rig.ctx().uninstall?.uninstalledAt).toBe('2026-12-07T10:00:00.000Z');
      expect(rig.ctx().reason).toMatch(/^uninstalled: `pxfw <service> reinstall --yes`/);
    });

    it('finishes a remove-app step left pending by a restart, then stays uninstalled', async () => {
      const rig = await fromTombstone(fw, tombstone(ALL_DONE.filter((s) => s !== 'remove-app')));
      expect(rig.state()).toBe('uninstalling.removing-app');
      await rig.uninstall.step(rig, 'remove-app', { app: 'removed Marathon app /hdfs' });
      expect(rig.state()).toBe('uninstalled');
      expect(rig.ctx().uninstall?.app).toBe('removed Marathon app /hdfs');
      expect(rig.ctx().uninstall?.done).toEqual(ALL_DONE);
    });

    it('refuses a second UNINSTALL and stands by when the lease is lost', async () => {
      const rig = await fromTombstone(fw);
      rig.actor.send({ type: 'UNINSTALL', deleteVolumes: true, deleteSnapshots: true });
      expect(rig.ctx().rejected).toEqual({ event: 'UNINSTALL', reason: 'already uninstalled' });
      expect(rig.ctx().uninstall?.deleteVolumes).toBe(false);
      rig.actor.send({ type: 'LEASE_LOST' });
      expect(rig.state()).toBe('standby');
    });

    it('REINSTALL removes the tombstone, registers a new framework and deploys the pods of the current spec', async () => {
      const rig = await fromTombstone(fw);
      rig.actor.send({ type: 'REINSTALL' });
      expect(rig.state()).toBe('reinstalling');
      await rig.effects.resolve('reinstall', { podInstances: [{ podType: 'journal', index: 0 }, { podType: 'name', index: 0 }] });
      expect(rig.state()).toBe('subscribing');
      expect(rig.ctx().uninstall).toBeNull();
      expect(rig.actions.filter((a) => a.startsWith('subscribe'))).toEqual(['subscribe new']);
      rig.actor.send({ type: 'SUBSCRIBED', frameworkId: 'fw-2' });
      await rig.effects.resolve('reconcile');
      expect(rig.state()).toMatch(/^active/);
      expect(rig.ctx().frameworkId).toBe('fw-2');
      expect(rig.ctx().deploy.phases.flatMap((p) => p.steps.map((s) => `${s.name}=${s.status}`))).toEqual(['journal-0=STARTING', 'name-0=PENDING']);
      expect(rig.actions.filter((a) => a.startsWith('startPod'))).toEqual(['startPod journal-0']);
    });

    it('stays uninstalled when removing the tombstone fails, and stands by on a lost lease meanwhile', async () => {
      const rig = await fromTombstone(fw);
      rig.actor.send({ type: 'REINSTALL' });
      await rig.effects.reject('reinstall', effectFailure('KV unavailable', true));
      expect(rig.state()).toBe('uninstalled');
      expect(rig.ctx().lastError?.message).toBe('KV unavailable');
      rig.actor.send({ type: 'REINSTALL' });
      rig.actor.send({ type: 'LEASE_LOST' });
      expect(rig.state()).toBe('standby');
    });

    it('ignores REINSTALL while the service is installed', async () => {
      const rig = fw();
      await toActive(rig);
      rig.actor.send({ type: 'REINSTALL' });
      expect(rig.state()).toMatch(/^active/);
      expect(rig.effects.count('reinstall')).toBe(0);
    });
  });
}

const FOUR_DATA: FrameworkInput = {
  ...HDFS_INPUT,
  podInstances: [...HDFS_INPUT.podInstances, { podType: 'data', index: 2 }, { podType: 'data', index: 3 }],
};
const starts = (rig: FrameworkRig) => rig.actions.filter((a) => a.startsWith('startPod data') || a.startsWith('decommissionPod'));
const dataPods = (rig: FrameworkRig) => rig.ctx().pods.filter((p) => p.podType === 'data').map((p) => p.index);

export function scaleBackCases(fw: Fw): void {
  describe('framework: scaling back up reuses the index being decommissioned (issue 10, problem 6)', () => {
    it('4 -> 3 -> 4 while data-3 is stopping: data-3 comes back, its deploy step waiting for the decommission', async () => {
      const rig = fw(FOUR_DATA);
      await toActive(rig);
      rig.actor.send({ type: 'PLAN_FORCE_COMPLETE', plan: 'deploy' });
      rig.actor.send({ type: 'SCALE', podType: 'data', count: 3 });
      rig.actor.send({ type: 'POD_STATE', podType: 'data', index: 3, state: 'stopping.killing' });
      rig.actions.length = 0;
      rig.actor.send({ type: 'SCALE', podType: 'data', count: 4 });
      expect(dataPods(rig)).toEqual([0, 1, 2, 3]);
      // Never two pod actors (or tasks, or writers) for data-3: nothing starts until it is decommissioned.
      expect(starts(rig)).toEqual([]);
      rig.actor.send({ type: 'POD_STATE', podType: 'data', index: 3, state: 'stopping.disposing' });
      expect(starts(rig)).toEqual([]);
      rig.actor.send({ type: 'POD_STATE', podType: 'data', index: 3, state: 'decommissioned' });
      expect(starts(rig)).toEqual(['startPod data-3']);
      expect(dataPods(rig)).toEqual([0, 1, 2, 3]);
      rig.actor.send({ type: 'POD_STATE', podType: 'data', index: 3, state: 'running' });
      expect(rig.state()).toMatch(/active\.plans\.complete/);
      expect(rig.state()).toMatch(/active\.scale\.idle/);
    });

    it('4 -> 2 -> 4 with data-2 not yet stopping: its decommission is cancelled, data-3 waits for its own', async () => {
      const rig = fw(FOUR_DATA);
      await toActive(rig);
      rig.actor.send({ type: 'PLAN_FORCE_COMPLETE', plan: 'deploy' });
      rig.actor.send({ type: 'SCALE', podType: 'data', count: 2 });
      expect(starts(rig)).toEqual(['decommissionPod data-3']);
      rig.actor.send({ type: 'SCALE', podType: 'data', count: 4 });
      expect(rig.ctx().decommission.phases[0]?.steps.map((s) => s.name)).toEqual(['data-3']);
      // data-2 never stopped: its deploy step starts at once (startPod of a running pod is a no-op).
      expect(starts(rig)).toEqual(['decommissionPod data-3', 'startPod data-2']);
      rig.actor.send({ type: 'POD_STATE', podType: 'data', index: 2, state: 'running' });
      rig.actor.send({ type: 'POD_STATE', podType: 'data', index: 3, state: 'decommissioned' });
      expect(starts(rig)).toEqual(['decommissionPod data-3', 'startPod data-2', 'startPod data-3']);
    });

    it('4 -> 3 -> 4 -> 3 while data-3 is stopping: the comeback is dropped and data-3 goes for good', async () => {
      const rig = fw(FOUR_DATA);
      await toActive(rig);
      rig.actor.send({ type: 'PLAN_FORCE_COMPLETE', plan: 'deploy' });
      rig.actor.send({ type: 'SCALE', podType: 'data', count: 3 });
      rig.actor.send({ type: 'SCALE', podType: 'data', count: 4 });
      rig.actor.send({ type: 'SCALE', podType: 'data', count: 3 });
      expect(rig.ctx().deploy.phases[2]?.steps.map((s) => s.name)).toEqual(['data-0', 'data-1', 'data-2']);
      rig.actor.send({ type: 'POD_STATE', podType: 'data', index: 3, state: 'decommissioned' });
      expect(dataPods(rig)).toEqual([0, 1, 2]);
      expect(starts(rig)).toEqual(['decommissionPod data-3']);
    });

    it('a restart while data-3 waits for its decommission resumes both: the decommission is re-asserted, data-3 starts after it', async () => {
      const rig = fw(FOUR_DATA);
      await toActive(rig);
      rig.actor.send({ type: 'PLAN_FORCE_COMPLETE', plan: 'deploy' });
      rig.actor.send({ type: 'SCALE', podType: 'data', count: 3 });
      rig.actor.send({ type: 'SCALE', podType: 'data', count: 4 });
      const saved = JSON.parse(JSON.stringify(toSavedState(rig.ctx()))) as SavedFrameworkState;
      rig.actor.stop();
      // SIGKILL: a new process restores the saved plans (the pod actors come back from their own records).
      const again = fw(FOUR_DATA);
      await again.effects.resolve('restoreState', { saved, tasks: [] });
      await again.effects.resolve('acquireLease', { acquired: true, holder: 'me' });
      again.actor.send({ type: 'SUBSCRIBED', frameworkId: 'fw-1' });
      await again.effects.resolve('reconcile');
      expect(starts(again)).toEqual(['decommissionPod data-3']);
      again.actor.send({ type: 'POD_STATE', podType: 'data', index: 3, state: 'decommissioned' });
      expect(starts(again)).toEqual(['decommissionPod data-3', 'startPod data-3']);
      expect(dataPods(again)).toEqual([0, 1, 2, 3]);
    });

    it('a later scale-down of an instance that came back decommissions it again', async () => {
      const rig = fw(FOUR_DATA);
      await toActive(rig);
      rig.actor.send({ type: 'PLAN_FORCE_COMPLETE', plan: 'deploy' });
      rig.actor.send({ type: 'SCALE', podType: 'data', count: 3 });
      rig.actor.send({ type: 'SCALE', podType: 'data', count: 4 });
      rig.actor.send({ type: 'POD_STATE', podType: 'data', index: 3, state: 'decommissioned' });
      rig.actor.send({ type: 'POD_STATE', podType: 'data', index: 3, state: 'running' });
      rig.actor.send({ type: 'SCALE', podType: 'data', count: 3 });
      expect(starts(rig)).toEqual(['decommissionPod data-3', 'startPod data-3', 'decommissionPod data-3']);
    });
  });
}
