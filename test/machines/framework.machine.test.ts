import { describe, expect, it } from 'vitest';
import { frameworkMachine } from '../../machines/framework.machine';
import { podReport } from '../../machines/framework.counters';
import { toSavedState } from '../../machines/framework.logic';
import { effectFailure } from './effect-harness';
import { HDFS_INPUT, startFramework, toActive, type FrameworkRig } from './framework-harness';
import { StateCoverage } from './state-coverage';
import { scaleBackCases, tombstoneCases } from './framework-tombstone.cases';
import { uninstallCases } from './framework-uninstall.cases';

const coverage = new StateCoverage();
const fw = (input = HDFS_INPUT) => startFramework({ input, coverage });
const podState = (rig: FrameworkRig, podType: string, index: number, state: string, blocked = false) =>
  rig.actor.send({ type: 'POD_STATE', podType, index, state, blocked });
const starts = (rig: FrameworkRig) => rig.actions.filter((a) => a.startsWith('startPod') || a.startsWith('decommissionPod'));
const ACTIVE = (plans: string, offers = 'reviving', snapshot = 'idle', scale = 'idle') =>
  `active.offers.${offers} | active.plans.${plans} | active.scale.${scale} | active.snapshot.${snapshot}`;

describe('framework: starting, lease and subscription', () => {
  it('restores state, takes the lease, subscribes with the stored framework id and reconciles', async () => {
    const rig = fw();
    expect(rig.state()).toBe('starting.restoring-state');
    await rig.effects.resolve('restoreState', {
      saved: { ...toSavedState(rig.ctx()), frameworkId: 'fw-old' },
      tasks: [{ taskId: 't1', agentId: 'a1' }, { taskId: 't2', agentId: 'a2' }],
    });
    expect(rig.state()).toBe('starting.acquiring-lease');
    await rig.effects.resolve('acquireLease', { acquired: true, holder: 'me' });
    expect(rig.state()).toBe('subscribing');
    expect(rig.actions).toEqual(['subscribe fw-old']);
    rig.actor.send({ type: 'SUBSCRIBED', frameworkId: 'fw-old' });
    expect(rig.state()).toBe('reconciling.explicit.sending');
    expect(rig.effects.lastInput('reconcile')).toEqual({ tasks: [{ taskId: 't1', agentId: 'a1' }, { taskId: 't2', agentId: 'a2' }] });
  });

  it('reconciles explicitly with backoff from 4 s doubling to 30 s until every task answered, then implicitly', async () => {
    const rig = fw();
    await rig.effects.resolve('restoreState', { saved: null, tasks: [{ taskId: 't1', agentId: 'a1' }, { taskId: 't2', agentId: 'a2' }] });
    await rig.effects.resolve('acquireLease', { acquired: true, holder: 'me' });
    rig.actor.send({ type: 'SUBSCRIBED', frameworkId: 'fw-1' });
    await rig.effects.resolve('reconcile');
    rig.actor.send({ type: 'TASK_UPDATE', taskId: 't1', state: 'TASK_RUNNING' });
    const gaps: number[] = [];
    for (let i = 0; i < 5; i++) {
      let waited = 0;
      while (rig.state() === 'reconciling.explicit.waiting') {
        rig.clock.increment(1_000);
        waited += 1_000;
      }
      gaps.push(waited);
      expect(rig.effects.lastInput('reconcile')).toEqual({ tasks: [{ taskId: 't2', agentId: 'a2' }] });
      if (i === 2) await rig.effects.reject('reconcile', effectFailure('master busy', true));
      else await rig.effects.resolve('reconcile');
    }
    expect(gaps).toEqual([4_000, 8_000, 16_000, 30_000, 30_000]);
    rig.actor.send({ type: 'TASK_UPDATE', taskId: 't2', state: 'TASK_LOST' });
    expect(rig.state()).toBe('reconciling.implicit.sending');
    expect(rig.effects.lastInput('reconcile')).toEqual({ tasks: [] });
    await rig.effects.reject('reconcile', effectFailure('master busy', true));
    expect(rig.state()).toBe('reconciling.implicit.backoff');
    rig.clock.increment(1_000);
    await rig.effects.resolve('reconcile');
    expect(rig.state()).toBe(ACTIVE('deploying', 'suppressed'));
  });

  it('retries restore and lease errors with backoff', async () => {
    const rig = fw();
    await rig.effects.reject('restoreState', effectFailure('kv unavailable', true));
    expect(rig.state()).toBe('starting.backoff');
    expect(rig.ctx().reason).toContain('kv unavailable');
    rig.clock.increment(1_000);
    await rig.effects.resolve('restoreState', { saved: null, tasks: [] });
    await rig.effects.reject('acquireLease', effectFailure('kv unavailable', true));
    expect(rig.state()).toBe('starting.backoff');
    rig.clock.increment(2_000);
    expect(rig.state()).toBe('starting.restoring-state');
  });

  it('stands by while another scheduler holds the lease and tries again later', async () => {
    const rig = fw();
    await rig.effects.resolve('restoreState', { saved: null, tasks: [] });
    await rig.effects.resolve('acquireLease', { acquired: false, holder: 'other-host' });
    expect(rig.state()).toBe('standby');
    expect(rig.ctx().leaseHolder).toBe('other-host');
    expect(rig.actions).toEqual(['stepDown']);
    rig.clock.increment(5_000);
    expect(rig.state()).toBe('starting.restoring-state');
  });

  it('subscribes again when no SUBSCRIBED arrives in time, and steps down on a lost lease', async () => {
    const rig = fw();
    await rig.effects.resolve('restoreState', { saved: null, tasks: [] });
    await rig.effects.resolve('acquireLease', { acquired: true, holder: 'me' });
    rig.clock.increment(20_000);
    expect(rig.actions).toEqual(['subscribe new', 'subscribe new']);
    rig.actor.send({ type: 'LEASE_LOST' });
    expect(rig.state()).toBe('standby');
  });

  it('records pod reports even before it leads', () => {
    const rig = fw();
    podState(rig, 'journal', 0, 'running.up');
    expect(podReport(rig.ctx().podStates, { podType: 'journal', index: 0 })).toEqual({ state: 'running.up', progress: 'running' });
  });
});

describe('framework: active', () => {
  it('deploys HDFS journal → name → data, starting steps as pods report running', async () => {
    const rig = fw();
    await toActive(rig);
    expect(starts(rig)).toEqual(['startPod journal-0', 'startPod journal-1']);
    podState(rig, 'journal', 0, 'running.up');
    expect(starts(rig)).toHaveLength(2);
    podState(rig, 'journal', 1, 'running.up');
    expect(starts(rig).slice(2)).toEqual(['startPod name-0']);
    podState(rig, 'name', 0, 'placed');
    podState(rig, 'name', 0, 'running.up');
    podState(rig, 'name', 1, 'running.up');
    expect(starts(rig).slice(3)).toEqual(['startPod name-1', 'startPod data-0', 'startPod data-1']);
    podState(rig, 'data', 0, 'running.up');
    podState(rig, 'data', 1, 'running.up');
    expect(rig.state()).toBe(ACTIVE('complete', 'suppressed'));
  });

  it('revives offers while a pod waits for placement and suppresses them otherwise', async () => {
    const rig = fw();
    await toActive(rig);
    expect(rig.state()).toBe(ACTIVE('deploying', 'suppressed'));
    expect(rig.actions.filter((a) => a === 'revive' || a === 'suppress')).toEqual(['revive', 'suppress']);
    podState(rig, 'journal', 0, 'volume-provisioned.awaiting-holder');
    expect(rig.state()).toBe(ACTIVE('deploying'));
    rig.clock.increment(60_000);
    expect(rig.actions.filter((a) => a === 'revive')).toHaveLength(3);
    podState(rig, 'journal', 0, 'placed');
    expect(rig.state()).toBe(ACTIVE('deploying', 'suppressed'));
  });

  it('pauses and resumes the deploy plan, and the decommission plan by command alone', async () => {
    const rig = fw();
    await toActive(rig);
    rig.actor.send({ type: 'PLAN_PAUSE', plan: 'deploy' });
    expect(rig.state()).toBe(ACTIVE('paused', 'suppressed'));
    podState(rig, 'journal', 0, 'running.up');
    podState(rig, 'journal', 1, 'running.up');
    expect(starts(rig)).toHaveLength(2);
    rig.actor.send({ type: 'PLAN_RESUME', plan: 'deploy' });
    expect(rig.state()).toBe(ACTIVE('deploying', 'suppressed'));
    expect(starts(rig).slice(2)).toEqual(['startPod name-0']);
    rig.actor.send({ type: 'PLAN_PAUSE', plan: 'decommission' });
    expect(rig.ctx().decommission.paused).toBe(true);
    expect(rig.state()).toBe(ACTIVE('deploying', 'suppressed'));
    rig.actor.send({ type: 'PLAN_RESUME', plan: 'decommission' });
    expect(rig.ctx().decommission.paused).toBe(false);
  });

  it('pauses and resumes one phase of the deploy plan without pausing the plan, and rejects an unknown phase', async () => {
    const rig = fw();
    await toActive(rig);
    rig.actor.send({ type: 'PLAN_PAUSE', plan: 'deploy', phase: 'name' });
    expect(rig.state()).toBe(ACTIVE('deploying', 'suppressed'));
    expect(rig.ctx().deploy.paused).not.toBe(true);
    expect(rig.ctx().deploy.phases.find((ph) => ph.name === 'name')?.paused).toBe(true);
    podState(rig, 'journal', 0, 'running.up');
    podState(rig, 'journal', 1, 'running.up');
    expect(starts(rig)).toEqual(['startPod journal-0', 'startPod journal-1']);
    rig.actor.send({ type: 'PLAN_RESUME', plan: 'deploy', phase: 'name' });
    expect(rig.state()).toBe(ACTIVE('deploying', 'suppressed'));
    expect(rig.ctx().deploy.phases.find((ph) => ph.name === 'name')?.paused).toBeUndefined();
    expect(starts(rig).slice(2)).toEqual(['startPod name-0']);
    rig.actor.send({ type: 'PLAN_PAUSE', plan: 'deploy', phase: 'nope' });
    expect(rig.ctx().rejected).toEqual({ event: 'PLAN_PAUSE', reason: 'no such phase in the plan' });
    rig.actor.send({ type: 'PLAN_RESUME', plan: 'decommission', phase: 'nope' });
    expect(rig.ctx().rejected?.event).toBe('PLAN_RESUME');
  });

  it('force-completes and restarts plans, phases and steps, and rejects unknown targets', async () => {
    const rig = fw();
    await toActive(rig);
    rig.actor.send({ type: 'PLAN_FORCE_COMPLETE', plan: 'deploy', phase: 'journal' });
    expect(starts(rig).slice(2)).toEqual(['startPod name-0']);
    rig.actor.send({ type: 'PLAN_FORCE_COMPLETE', plan: 'deploy' });
    expect(rig.state()).toBe(ACTIVE('complete', 'suppressed'));
    rig.actor.send({ type: 'PLAN_RESTART', plan: 'deploy', step: 'data-1' });
    expect(rig.state()).toBe(ACTIVE('deploying', 'suppressed'));
    expect(starts(rig).at(-1)).toBe('startPod data-1');
    rig.actor.send({ type: 'PLAN_RESTART', plan: 'deploy', phase: 'nope' });
    expect(rig.ctx().rejected).toEqual({ event: 'PLAN_RESTART', reason: 'no such phase or step in the plan' });
    rig.actor.send({ type: 'PLAN_FORCE_COMPLETE', plan: 'deploy', step: 'nope-9' });
    expect(rig.ctx().rejected?.event).toBe('PLAN_FORCE_COMPLETE');
  });

  it('re-subscribes on DISCONNECTED keeping its plans, and re-asserts steps in flight', async () => {
    const rig = fw();
    await toActive(rig);
    podState(rig, 'journal', 0, 'running.up');
    rig.actor.send({ type: 'DISCONNECTED', reason: 'stream ended' });
    expect(rig.state()).toBe('subscribing');
    rig.actor.send({ type: 'SUBSCRIBED', frameworkId: 'fw-1' });
    expect(rig.state()).toBe('reconciling.implicit.sending');
    rig.actor.send({ type: 'DISCONNECTED' });
    rig.actor.send({ type: 'SUBSCRIBED', frameworkId: 'fw-1' });
    await rig.effects.resolve('reconcile');
    expect(starts(rig)).toEqual(['startPod journal-0', 'startPod journal-1', 'startPod journal-1']);
    rig.actor.send({ type: 'LEASE_LOST' });
    expect(rig.state()).toBe('standby');
  });

  it('steps down when the lease is lost while reconciling', async () => {
    const rig = fw();
    await rig.effects.resolve('restoreState', { saved: null, tasks: [{ taskId: 't1', agentId: 'a1' }] });
    await rig.effects.resolve('acquireLease', { acquired: true, holder: 'me' });
    rig.actor.send({ type: 'SUBSCRIBED', frameworkId: 'fw-1' });
    rig.actor.send({ type: 'LEASE_LOST' });
    expect(rig.state()).toBe('standby');
  });
});

describe('framework: snapshots', () => {
  it('runs pre-commands, the group snapshot and post-commands, and keeps the result', async () => {
    const rig = fw();
    await toActive(rig);
    rig.actor.send({ type: 'SNAPSHOT_CREATE', name: 'nightly' });
    expect(rig.state()).toBe(ACTIVE('deploying', 'suppressed', 'pre-commands'));
    rig.actor.send({ type: 'SNAPSHOT_CREATE', name: 'again' });
    await rig.effects.resolve('runPreCommands');
    expect(rig.effects.lastInput('groupSnapshot')).toEqual({ service: 'hdfs', name: 'nightly' });
    await rig.effects.resolve('groupSnapshot', { snapshotIds: ['s1', 's2'] });
    await rig.effects.resolve('runPostCommands');
    expect(rig.ctx().snapshot.lastResult).toEqual({ name: 'nightly', status: 'succeeded', snapshotIds: ['s1', 's2'], error: null, postCommandsError: null });
    expect(rig.effects.count('runPreCommands')).toBe(1);
  });

  it('runs post-commands even when the pre-commands or the snapshot failed', async () => {
    const rig = fw();
    await toActive(rig);
    rig.actor.send({ type: 'SNAPSHOT_CREATE', name: 'a' });
    await rig.effects.reject('runPreCommands', new Error('nodetool flush failed'));
    expect(rig.state()).toBe(ACTIVE('deploying', 'suppressed', 'post-commands'));
    await rig.effects.reject('runPostCommands', new Error('resume failed'));
    expect(rig.ctx().snapshot.lastResult).toMatchObject({ status: 'failed', error: 'pre-commands: nodetool flush failed', postCommandsError: 'resume failed' });
    expect(rig.effects.count('groupSnapshot')).toBe(0);
    rig.actor.send({ type: 'SNAPSHOT_CREATE', name: 'b' });
    await rig.effects.resolve('runPreCommands');
    await rig.effects.reject('groupSnapshot', new Error('volume v3 offline'));
    await rig.effects.resolve('runPostCommands');
    expect(rig.ctx().snapshot.lastResult).toMatchObject({ name: 'b', status: 'failed', error: 'group snapshot: volume v3 offline' });
  });
});

describe('framework: scaling', () => {
  it('scales up by adding pod instances to the deploy plan', async () => {
    const rig = fw();
    await toActive(rig);
    rig.actor.send({ type: 'PLAN_FORCE_COMPLETE', plan: 'deploy' });
    rig.actor.send({ type: 'SCALE', podType: 'data', count: 4 });
    expect(rig.ctx().pods.filter((p) => p.podType === 'data').map((p) => p.index)).toEqual([0, 1, 2, 3]);
    expect(starts(rig).slice(2)).toEqual(['startPod data-2', 'startPod data-3']);
    expect(rig.state()).toBe(ACTIVE('deploying', 'suppressed'));
  });

  it('scales down highest index first through the decommission plan', async () => {
    const rig = fw({ ...HDFS_INPUT, podInstances: [...HDFS_INPUT.podInstances, { podType: 'data', index: 2 }] });
    await toActive(rig);
    rig.actor.send({ type: 'PLAN_FORCE_COMPLETE', plan: 'deploy' });
    rig.actor.send({ type: 'SCALE', podType: 'data', count: 1 });
    expect(rig.state()).toBe(ACTIVE('complete', 'suppressed', 'idle', 'decommissioning'));
    expect(starts(rig).slice(2)).toEqual(['decommissionPod data-2']);
    podState(rig, 'data', 2, 'stopping.killing');
    podState(rig, 'data', 2, 'decommissioned');
    expect(starts(rig).slice(3)).toEqual(['decommissionPod data-1']);
    podState(rig, 'data', 1, 'decommissioned');
    expect(rig.state()).toBe(ACTIVE('complete', 'suppressed'));
    expect(rig.ctx().pods.filter((p) => p.podType === 'data')).toEqual([{ podType: 'data', index: 0 }]);
    expect(rig.ctx().decommission.phases[0]?.steps).toEqual([]);
  });

  it('drops instances the deploy plan never started instead of decommissioning them', async () => {
    const rig = fw();
    await toActive(rig);
    rig.actor.send({ type: 'SCALE', podType: 'data', count: 0 });
    expect(rig.ctx().pods.some((p) => p.podType === 'data')).toBe(false);
    expect(starts(rig).some((a) => a.startsWith('decommissionPod'))).toBe(false);
  });

  it('rejects scaling an unknown pod type or to a negative count', async () => {
    const rig = fw();
    await toActive(rig);
    rig.actor.send({ type: 'SCALE', podType: 'zookeeper', count: 3 });
    expect(rig.ctx().rejected).toEqual({ event: 'SCALE', reason: 'unknown pod type or invalid count' });
    rig.actor.send({ type: 'SCALE', podType: 'data', count: -1 });
    expect(rig.ctx().pods).toHaveLength(6);
  });
});

uninstallCases(fw, coverage);
tombstoneCases(fw);
scaleBackCases(fw);

describe('framework: coverage', () => {
  it('visited every state of the machine', () => {
    expect(coverage.missingStates(frameworkMachine)).toEqual([]);
  });

  it('took every transition of the machine', () => {
    expect(coverage.missingTransitions(frameworkMachine)).toEqual([]);
  });
});
