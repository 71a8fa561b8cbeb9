import { describe, expect, it } from 'vitest';
import { POD_TAGS, recoveryStage, replacementPhase } from '../../machines/pod-instance.logic';
import { podInput, startPod, toRunning, VOLUME_IDS, type PodRig } from './pod-harness';

/** Where a pod stands, as the runtime reads it: tags, the governor's phase, the recovery stage. */
function reading(rig: PodRig) {
  const snap = rig.actor.getSnapshot();
  const has = (t: string) => snap.hasTag(t);
  return { tags: Object.values(POD_TAGS).filter(has), phase: replacementPhase(has, snap.context), stage: recoveryStage(has, snap.context) };
}

const auto = () => startPod({ input: podInput({ failurePolicy: { permanentFailureTimeoutMs: 120_000, autoReplace: true } }) });

async function hostDown(rig: PodRig): Promise<void> {
  await toRunning(rig);
  rig.actor.send({ type: 'HOST_DOWN', hostname: 'h1', source: 'portworx', reason: 'OFFLINE' });
}

describe('pod state tags, governor phase and recovery stage', () => {
  it('running: a live task, nothing to recover', async () => {
    const rig = auto();
    await toRunning(rig);
    expect(reading(rig)).toEqual({ tags: ['task-live', 'running', 'ready'], phase: 'done', stage: null });
  });

  it('on probation', async () => {
    const rig = auto();
    await hostDown(rig);
    expect(reading(rig)).toEqual({ tags: ['task-live', 'probation', 'running'], phase: 'done', stage: 'probation' });
  });

  it('waiting for a slot, then replacing until the new task runs', async () => {
    const rig = auto();
    await hostDown(rig);
    rig.clock.increment(10_000);
    await rig.effects.resolve('confirmHostDown', { down: true, reason: 'down' });
    expect(reading(rig)).toEqual({ tags: ['awaiting-slot'], phase: 'waiting', stage: 'waiting' });
    rig.actor.send({ type: 'REPLACE_GRANTED' });
    expect(reading(rig)).toEqual({ tags: ['re-attaching'], phase: 'replacing', stage: 'replacing' });
    await rig.effects.resolve('fence');
    await rig.effects.resolve('checkVolumes', { replicaHosts: ['h2'] });
    expect(reading(rig)).toEqual({ tags: ['awaiting-offer'], phase: 'replacing', stage: 'replacing' });
    rig.actor.send({ type: 'PLACE', taskId: 't2', agentId: 'a2', hostname: 'h2', offerId: 'o' });
    expect(reading(rig).phase).toBe('replacing');
    rig.actor.send({ type: 'TASK_UPDATE', taskId: 't2', state: 'TASK_RUNNING' });
    expect(reading(rig)).toEqual({ tags: ['task-live', 'running', 'ready'], phase: 'done', stage: null });
  });

  it('relaunching in place (crash, lost task) is recovery but no replacement', async () => {
    const rig = auto();
    await toRunning(rig);
    rig.actor.send({ type: 'TASK_UPDATE', taskId: 't1', state: 'TASK_LOST' });
    expect(reading(rig)).toEqual({ tags: ['relaunching'], phase: 'done', stage: 'relaunching' });
  });

  it('blocked, waiting for the operator', async () => {
    const rig = startPod();
    await toRunning(rig);
    rig.actor.send({ type: 'TASK_UPDATE', taskId: 't1', state: 'TASK_UNKNOWN' });
    expect(reading(rig)).toMatchObject({ tags: ['blocked'], phase: 'done' });
  });

  it('a stop ends any replacement for the governor', async () => {
    const rig = auto();
    await rig.effects.resolve('ensureVolumes', VOLUME_IDS);
    rig.actor.send({ type: 'REPLACE' });
    rig.actor.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o' });
    rig.actor.send({ type: 'REPLACE' });
    expect(reading(rig).phase).toBe('replacing');
    rig.actor.send({ type: 'STOP' });
    expect(reading(rig)).toEqual({ tags: ['stopping'], phase: 'done', stage: null });
    await rig.effects.resolve('killTask', { terminal: true });
    await rig.effects.resolve('releaseVolumes');
    expect(rig.state()).toBe('stopped');
    expect(reading(rig)).toEqual({ tags: ['stopped'], phase: 'done', stage: null });
  });
});
