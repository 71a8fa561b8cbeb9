import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { podInstanceMachine } from '../../machines/pod-instance.machine';
import { canAcceptPlacement, isStrayTask } from '../../machines/pod-instance.logic';
import { effectFailure, EffectHarness, flush } from './effect-harness';
import { podInput, startPod, toRunning, VOLUME_IDS, type PodRig } from './pod-harness';
import { allStatePaths, StateCoverage } from './state-coverage';
import { CLASSIFICATION_ROWS, rowInput } from './failure-classification.cases';

const coverage = new StateCoverage();
const pod = (input = podInput()) => startPod({ input, coverage });
const ctx = (rig: PodRig) => rig.actor.getSnapshot().context;
const update = (rig: PodRig, state: string, taskId = 't1', extra: Record<string, unknown> = {}) =>
  rig.actor.send({ type: 'TASK_UPDATE', taskId, state: state as never, ...extra });

async function toPermanent(rig: PodRig, trigger: 'REPLACE' | 'UNKNOWN' = 'REPLACE'): Promise<void> {
  await toRunning(rig);
  if (trigger === 'REPLACE') rig.actor.send({ type: 'REPLACE' });
  else update(rig, 'TASK_UNKNOWN');
}

/** Put the running pod on probation (Portworx says its host is offline) and confirm the host down. */
async function toHostDown(rig: PodRig): Promise<void> {
  await toRunning(rig);
  rig.actor.send({ type: 'HOST_DOWN', hostname: 'h1', source: 'portworx', reason: 'Portworx node offline' });
  rig.clock.increment(10_000);
  await rig.effects.resolve('confirmHostDown', { down: true, reason: 'agent does not answer; Portworx node offline' });
}

describe('pod instance: provisioning', () => {
  it('creates every volume by its deterministic name, then waits for placement', async () => {
    const rig = pod();
    expect(rig.state()).toBe('pending.provisioning');
    expect(rig.effects.lastInput('ensureVolumes')).toEqual({
      service: 'cassandra', podType: 'node', index: 1,
      volumes: [{ name: 'cassandra-node-1-data', id: null }, { name: 'cassandra-node-1-commitlog', id: null }],
    });
    await rig.effects.resolve('ensureVolumes', VOLUME_IDS);
    expect(rig.state()).toBe('volume-provisioned.awaiting-holder');
    expect(ctx(rig).volumes.map((v) => v.id)).toEqual(['v1', 'v2']);
    expect(ctx(rig).reason).toBe('waiting for placement');
  });

  it('retries a failed create with doubling backoff and parks terminal errors until RETRY', async () => {
    const rig = pod();
    await rig.effects.reject('ensureVolumes', effectFailure('portworx unavailable', true));
    expect(rig.state()).toBe('pending.backoff');
    rig.clock.increment(999);
    expect(rig.effects.count('ensureVolumes')).toBe(1);
    rig.clock.increment(1);
    expect(rig.effects.count('ensureVolumes')).toBe(2);
    await rig.effects.reject('ensureVolumes', new Error('socket hang up'));
    rig.clock.increment(1_999);
    expect(rig.effects.count('ensureVolumes')).toBe(2);
    rig.clock.increment(1);
    expect(rig.effects.count('ensureVolumes')).toBe(3);
    await rig.effects.reject('ensureVolumes', effectFailure('spec differs from the existing volume', false, 'CONFLICT'));
    expect(rig.state()).toBe('pending.blocked');
    expect(ctx(rig).reason).toContain('CONFLICT');
    rig.clock.increment(1_000_000);
    expect(rig.effects.count('ensureVolumes')).toBe(3);
    rig.actor.send({ type: 'RETRY' });
    expect(rig.state()).toBe('pending.provisioning');
    expect(ctx(rig).retries).toBe(0);
  });

  it('parks a pod whose goal is stopped after provisioning, and START sends it to placement', async () => {
    const rig = pod(podInput({ goal: 'stopped' }));
    await rig.effects.resolve('ensureVolumes', VOLUME_IDS);
    expect(rig.state()).toBe('stopped');
    rig.actor.send({ type: 'STOP' });
    expect(rig.state()).toBe('stopped');
    rig.actor.send({ type: 'START' });
    expect(rig.state()).toBe('volume-provisioned.awaiting-holder');
  });

  it('fails terminally with a clear reason when src/ forgot to bind an effect', async () => {
    const actor = createActor(podInstanceMachine, { input: podInput(), inspect: coverage.inspect }).start();
    await flush();
    expect(actor.getSnapshot().value).toEqual({ pending: 'blocked' });
    expect(actor.getSnapshot().context.reason).toContain('effect "ensureVolumes" is not provided');
    actor.stop();
  });
});

describe('pod instance: convergence and placement', () => {
  it('soft convergence allows any host after the bounded wait', async () => {
    const rig = pod();
    await rig.effects.resolve('ensureVolumes', VOLUME_IDS);
    rig.clock.increment(29_999);
    expect(ctx(rig).allowNonHolder).toBe(false);
    rig.clock.increment(1);
    expect(rig.state()).toBe('volume-provisioned.awaiting-any');
    expect(ctx(rig).allowNonHolder).toBe(true);
  });

  it('hard convergence keeps waiting for a replica holder', async () => {
    const rig = pod(podInput({ convergence: { mode: 'hard', maxWaitMs: 30_000 } }));
    await rig.effects.resolve('ensureVolumes', VOLUME_IDS);
    rig.clock.increment(10 * 30_000);
    expect(rig.state()).toBe('volume-provisioned.awaiting-holder');
    expect(ctx(rig).allowNonHolder).toBe(false);
  });

  it('accepts PLACE only while waiting for placement', async () => {
    const rig = pod();
    rig.actor.send({ type: 'PLACE', taskId: 't0', agentId: 'a1', hostname: 'h1', offerId: 'o' });
    expect(ctx(rig).task).toBeNull();
    await toRunning(rig);
    rig.actor.send({ type: 'PLACE', taskId: 't2', agentId: 'a2', hostname: 'h2', offerId: 'o2' });
    expect(ctx(rig).task?.taskId).toBe('t1');
    expect(canAcceptPlacement(ctx(rig))).toBe(false);
  });

  it('ignores updates for any task but the current one and exposes them as strays', async () => {
    const rig = pod();
    await rig.effects.resolve('ensureVolumes', VOLUME_IDS);
    rig.actor.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o1' });
    update(rig, 'TASK_STAGING');
    update(rig, 'TASK_STARTING');
    expect(rig.state()).toBe('placed');
    update(rig, 'TASK_RUNNING', 'old-task');
    update(rig, 'TASK_FAILED', 'old-task');
    expect(rig.state()).toBe('placed');
    expect(ctx(rig).taskState).toBe('TASK_STARTING');
    expect(isStrayTask(ctx(rig), 'old-task')).toBe(true);
    expect(isStrayTask(ctx(rig), 't1')).toBe(false);
    update(rig, 'TASK_RUNNING', 't1', { healthy: true });
    expect(rig.state()).toBe('running.up');
    expect(ctx(rig).healthy).toBe(true);
    update(rig, 'TASK_RUNNING', 't1', { healthy: false });
    expect(ctx(rig).healthy).toBe(false);
  });

  it('sends a launch failure back to placement with the reason, and fences after repeated ones', async () => {
    const rig = pod();
    await rig.effects.resolve('ensureVolumes', VOLUME_IDS);
    for (const [i, state] of (['TASK_ERROR', 'TASK_FAILED'] as const).entries()) {
      rig.actor.send({ type: 'PLACE', taskId: `t${i}`, agentId: 'a1', hostname: 'h1', offerId: 'o' });
      update(rig, state, `t${i}`, { reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: 'volume attached elsewhere' });
      expect(rig.state()).toBe('volume-provisioned.awaiting-holder');
      expect(ctx(rig).task).toBeNull();
      expect(ctx(rig).reason).toContain('REASON_CONTAINER_LAUNCH_FAILED');
    }
    rig.actor.send({ type: 'PLACE', taskId: 't3', agentId: 'a1', hostname: 'h1', offerId: 'o' });
    update(rig, 'TASK_DROPPED', 't3');
    expect(rig.state()).toBe('re-attaching.fencing');
    expect(ctx(rig).failure).toMatchObject({ trigger: 'launch-failures', excludeHost: null });
  });

  it('relaunches in place after a task that ran out during launch', async () => {
    const rig = pod();
    await rig.effects.resolve('ensureVolumes', VOLUME_IDS);
    rig.actor.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o' });
    update(rig, 'TASK_FAILED', 't1', { reason: 'REASON_COMMAND_EXECUTOR_FAILED' });
    expect(rig.state()).toBe('failed.transient');
    rig.clock.increment(500);
    expect(rig.state()).toBe('volume-provisioned.awaiting-holder');
    expect(ctx(rig).preferAgent).toBe('a1');
  });

  it('kills and re-places a launch that never reaches TASK_RUNNING', async () => {
    const rig = pod();
    await rig.effects.resolve('ensureVolumes', VOLUME_IDS);
    rig.actor.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o' });
    rig.clock.increment(60_000);
    expect(rig.state()).toBe('relaunching.killing');
    expect(rig.effects.lastInput('killTask')).toEqual({ taskId: 't1', agentId: 'a1' });
    await rig.effects.resolve('killTask', { terminal: false });
    expect(rig.state()).toBe('relaunching.awaiting-terminal');
    rig.clock.increment(10_000);
    expect(rig.effects.count('killTask')).toBe(2);
    await rig.effects.resolve('killTask', { terminal: false });
    update(rig, 'TASK_KILLED');
    expect(rig.state()).toBe('volume-provisioned.awaiting-holder');
    expect(ctx(rig).task).toBeNull();
  });

  it('puts a launch on probation on UNREACHABLE and relaunches in place on GONE', async () => {
    const a = pod();
    await a.effects.resolve('ensureVolumes', VOLUME_IDS);
    a.actor.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o' });
    update(a, 'TASK_UNREACHABLE');
    expect(a.state()).toBe('running.suspect.probation');
    a.actor.send({ type: 'HOST_UP', hostname: 'h1', source: 'mesos' });
    expect(a.state()).toBe('placed');
    const b = pod();
    await b.effects.resolve('ensureVolumes', VOLUME_IDS);
    b.actor.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o' });
    update(b, 'TASK_GONE');
    expect(b.state()).toBe('failed.transient');
  });

  it('honours operator and cluster signals while launching', async () => {
    for (const [event, expected] of [
      [{ type: 'AGENT_GONE', agentId: 'a1' }, 'failed.releasing'],
      [{ type: 'HOST_DOWN', hostname: 'h1', source: 'portworx', reason: 'offline' }, 'running.suspect.probation'],
      [{ type: 'REPLACE' }, 're-attaching.fencing'],
      [{ type: 'RESTART' }, 'relaunching.killing'],
    ] as const) {
      const rig = pod();
      await rig.effects.resolve('ensureVolumes', VOLUME_IDS);
      rig.actor.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o' });
      rig.actor.send(event);
      expect(rig.state()).toBe(expected);
    }
  });
});

describe('pod instance: failures while running', () => {
  it('moves nothing for a partition shorter than the probation', async () => {
    const rig = pod();
    await toRunning(rig);
    update(rig, 'TASK_UNREACHABLE');
    expect(rig.state()).toBe('running.suspect.probation');
    expect(ctx(rig).reason).toContain('Mesos reports the task unreachable');
    rig.clock.increment(9_999);
    update(rig, 'TASK_UNREACHABLE');
    update(rig, 'TASK_RUNNING');
    expect(rig.state()).toBe('running.up');
    expect(ctx(rig).suspicion).toEqual({ mesos: null, portworx: null });
    rig.clock.increment(1_000_000);
    expect(rig.state()).toBe('running.up');
    expect(ctx(rig).task?.taskId).toBe('t1');
    expect(rig.effects.count('fence') + rig.effects.count('killTask') + rig.effects.count('confirmHostDown')).toBe(0);
  });

  it('confirms the evidence at the end of the probation, and keeps waiting while the host is not down', async () => {
    const rig = pod();
    await toRunning(rig);
    update(rig, 'TASK_UNREACHABLE');
    rig.clock.increment(10_000);
    expect(rig.state()).toBe('running.suspect.confirming');
    expect(rig.effects.lastInput('confirmHostDown')).toEqual({
      taskId: 't1', agentId: 'a1', hostname: 'h1', suspicion: { mesos: 'Mesos reports the task unreachable', portworx: null },
    });
    await rig.effects.resolve('confirmHostDown', { down: false, reason: 'the agent answers' });
    expect(rig.state()).toBe('running.suspect.probation');
    expect(ctx(rig).reason).toContain('the agent answers');
    rig.clock.increment(10_000);
    await rig.effects.reject('confirmHostDown', effectFailure('portworx unavailable', false));
    expect(rig.state()).toBe('running.suspect.confirm-backoff');
    rig.clock.increment(1_000);
    await rig.effects.resolve('confirmHostDown', { down: true, reason: 'agent does not answer; Mesos: agent unreachable' });
    expect(rig.state()).toBe('failed.awaiting-replace');
    expect(ctx(rig).failure).toMatchObject({ kind: 'permanent', trigger: 'host-down', excludeHost: 'h1' });
    expect(ctx(rig).needsFence).toBe(true);
    update(rig, 'TASK_RUNNING');
    expect(rig.state()).toBe('running.up');
    expect(ctx(rig).needsFence).toBe(false);
  });

  it('waits for a replacement slot when auto-replace is on, and fences once granted', async () => {
    const rig = pod(podInput({ failurePolicy: { permanentFailureTimeoutMs: 120_000, autoReplace: true } }));
    await toHostDown(rig);
    expect(rig.state()).toBe('failed.awaiting-slot');
    expect(rig.actor.getSnapshot().hasTag('awaiting-slot')).toBe(true);
    expect(ctx(rig).reason).toContain('waiting for a replacement slot');
    rig.actor.send({ type: 'REPLACE_GRANTED' });
    expect(rig.state()).toBe('re-attaching.fencing');
    expect(ctx(rig).replacing).toBe(true);
  });

  it('returns to running when the same task comes back while waiting for a slot', async () => {
    const rig = pod(podInput({ failurePolicy: { permanentFailureTimeoutMs: 120_000, autoReplace: true } }));
    await toHostDown(rig);
    update(rig, 'TASK_KILLED', 'other');
    update(rig, 'TASK_RUNNING');
    expect(rig.state()).toBe('running.up');
    expect(ctx(rig)).toMatchObject({ failure: null, needsFence: false, replacing: false });
  });

  it('lets the operator replace a pod waiting for a slot at once', async () => {
    const rig = pod(podInput({ failurePolicy: { permanentFailureTimeoutMs: 120_000, autoReplace: true } }));
    await toHostDown(rig);
    rig.actor.send({ type: 'REPLACE' });
    expect(rig.state()).toBe('re-attaching.fencing');
    expect(ctx(rig).failure?.trigger).toBe('operator-replace');
  });

  it('fences before any new placement and keeps the old host out', async () => {
    const rig = pod();
    await toPermanent(rig);
    expect(rig.state()).toBe('re-attaching.fencing');
    rig.actor.send({ type: 'PLACE', taskId: 't2', agentId: 'a2', hostname: 'h2', offerId: 'o2' });
    expect(ctx(rig).task?.taskId).toBe('t1');
    expect(rig.effects.lastInput('fence')).toEqual({
      service: 'cassandra', pod: 'node-1', taskId: 't1', agentId: 'a1', hostname: 'h1', volumeIds: ['v1', 'v2'],
    });
    await rig.effects.resolve('fence');
    expect(rig.state()).toBe('re-attaching.checking');
    expect(ctx(rig).task).toBeNull();
    rig.actor.send({ type: 'PLACE', taskId: 't2', agentId: 'a2', hostname: 'h2', offerId: 'o2' });
    expect(ctx(rig).task).toBeNull();
    await rig.effects.resolve('checkVolumes', { replicaHosts: ['h2', 'h3'] });
    expect(rig.state()).toBe('volume-provisioned.awaiting-holder');
    expect(ctx(rig)).toMatchObject({ excludeHosts: ['h1'], replicaHosts: ['h2', 'h3'], preferAgent: null });
    rig.actor.send({ type: 'PLACE', taskId: 't2', agentId: 'a2', hostname: 'h2', offerId: 'o2' });
    expect(rig.state()).toBe('placed');
    expect(rig.effects.names()).toEqual(['ensureVolumes', 'fence', 'checkVolumes']);
  });

  it('retries fence and volume checks with backoff and parks terminal errors until RETRY', async () => {
    const rig = pod();
    await toPermanent(rig);
    await rig.effects.reject('fence', effectFailure('detach timed out', true));
    expect(rig.state()).toBe('re-attaching.fence-backoff');
    rig.clock.increment(1_000);
    await rig.effects.reject('fence', effectFailure('node not found', false));
    expect(rig.state()).toBe('re-attaching.blocked');
    rig.actor.send({ type: 'RETRY' });
    expect(rig.state()).toBe('re-attaching.fencing');
    await rig.effects.resolve('fence');
    await rig.effects.reject('checkVolumes', effectFailure('sdk unavailable', true));
    expect(rig.state()).toBe('re-attaching.check-backoff');
    rig.clock.increment(1_000);
    await rig.effects.reject('checkVolumes', effectFailure('no healthy replica of v1', false, 'DATA_UNAVAILABLE'));
    expect(rig.state()).toBe('re-attaching.blocked');
    expect(ctx(rig).reason).toContain('no healthy replica');
    rig.actor.send({ type: 'RETRY' });
    expect(rig.state()).toBe('re-attaching.checking');
    expect(rig.effects.count('fence')).toBe(3);
  });

  it('relaunches a crashed task in place after a crash-loop backoff', async () => {
    const rig = pod();
    await toRunning(rig);
    update(rig, 'TASK_FAILED');
    expect(rig.state()).toBe('failed.transient');
    expect(ctx(rig)).toMatchObject({ task: null, preferAgent: 'a1', consecutiveFailures: 1 });
    rig.clock.increment(500);
    await toRunning(rig, 't2');
    update(rig, 'TASK_KILLING', 't2');
    update(rig, 'TASK_FINISHED', 't2');
    expect(ctx(rig).consecutiveFailures).toBe(2);
    rig.clock.increment(999);
    expect(rig.state()).toBe('failed.transient');
    rig.clock.increment(1);
    await toRunning(rig, 't3');
    rig.clock.increment(300_000);
    expect(ctx(rig).consecutiveFailures).toBe(0);
  });

  it('lets a task on probation still end, or be written off, by its own updates', async () => {
    for (const [state, expected] of [
      ['TASK_STARTING', 'running.suspect.probation'],
      ['TASK_FAILED', 'failed.transient'],
      ['TASK_LOST', 'failed.releasing'],
      ['TASK_UNKNOWN', 'failed.awaiting-replace'],
    ] as const) {
      const rig = pod();
      await toRunning(rig);
      update(rig, 'TASK_UNREACHABLE');
      update(rig, state);
      expect(rig.state(), state).toBe(expected);
    }
  });

  it('records a terminal update of a pod waiting for a slot, and still replaces it', async () => {
    const rig = pod(podInput({ failurePolicy: { permanentFailureTimeoutMs: 120_000, autoReplace: true } }));
    await toHostDown(rig);
    update(rig, 'TASK_KILLED');
    expect(rig.state()).toBe('failed.awaiting-slot');
    expect(ctx(rig).taskState).toBe('TASK_KILLED');
  });

  it('replaces a launch whose agent the operator marked gone', async () => {
    const rig = pod();
    await rig.effects.resolve('ensureVolumes', VOLUME_IDS);
    rig.actor.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o' });
    update(rig, 'TASK_GONE_BY_OPERATOR');
    expect(rig.state()).toBe('failed.awaiting-slot');
  });

  it('ignores host signals about other hosts and agents', async () => {
    const rig = pod();
    await toRunning(rig);
    rig.actor.send({ type: 'AGENT_GONE', agentId: 'other' });
    rig.actor.send({ type: 'HOST_DOWN', hostname: 'other', source: 'portworx', reason: 'offline' });
    rig.actor.send({ type: 'HOST_UP', hostname: 'other' });
    expect(rig.state()).toBe('running.up');
    rig.actor.send({ type: 'HOST_DOWN', hostname: 'h1', source: 'portworx', reason: 'offline' });
    rig.actor.send({ type: 'HOST_UP', hostname: 'other' });
    expect(rig.state()).toBe('running.suspect.probation');
  });

  it('keeps the probation while one source still says the host is down', async () => {
    const rig = pod();
    await toRunning(rig);
    rig.actor.send({ type: 'HOST_DOWN', hostname: 'h1', source: 'portworx', reason: 'Portworx node offline' });
    rig.clock.increment(5_000);
    update(rig, 'TASK_UNREACHABLE');
    rig.actor.send({ type: 'HOST_DOWN', hostname: 'h1', source: 'portworx', reason: 'Portworx node offline' });
    expect(ctx(rig).suspicion).toEqual({ mesos: 'Mesos reports the task unreachable', portworx: 'Portworx node offline' });
    rig.actor.send({ type: 'HOST_UP', hostname: 'h1', source: 'portworx' });
    expect(rig.state()).toBe('running.suspect.probation');
    // The timer was not restarted by the extra evidence.
    rig.clock.increment(5_000);
    expect(rig.state()).toBe('running.suspect.confirming');
    rig.actor.send({ type: 'HOST_UP', hostname: 'h1' });
    expect(rig.state()).toBe('running.up');
  });

  it('replaces on the operator assertion that the agent is gone even with auto-replace off', async () => {
    const rig = pod();
    await toHostDown(rig);
    update(rig, 'TASK_FAILED');
    expect(rig.state()).toBe('failed.awaiting-replace');
    update(rig, 'TASK_GONE_BY_OPERATOR');
    expect(rig.state()).toBe('failed.awaiting-slot');
    expect(ctx(rig).failure?.trigger).toBe('gone-by-operator');
  });

  it('replaces a pod waiting for the operator when told to', async () => {
    const rig = pod();
    await toPermanent(rig, 'UNKNOWN');
    expect(rig.state()).toBe('failed.awaiting-replace');
    expect(rig.actor.getSnapshot().hasTag('blocked')).toBe(true);
    update(rig, 'TASK_UNKNOWN');
    expect(rig.state()).toBe('failed.awaiting-replace');
    rig.actor.send({ type: 'REPLACE' });
    expect(rig.state()).toBe('re-attaching.fencing');
  });

  it('relaunches after a lost task through a confirmed release, preferring the same agent, without a move', async () => {
    const rig = pod();
    await toHostDown(rig);
    update(rig, 'TASK_LOST');
    expect(rig.state()).toBe('failed.releasing');
    expect(rig.actor.getSnapshot().hasTag('relaunching')).toBe(true);
    expect(rig.effects.lastInput('fence')).toEqual({ service: 'cassandra', pod: 'node-1', taskId: null, agentId: null, hostname: 'h1', volumeIds: ['v1', 'v2'] });
    rig.actor.send({ type: 'PLACE', taskId: 't2', agentId: 'a1', hostname: 'h1', offerId: 'o2' });
    expect(ctx(rig).task).toBeNull();
    await rig.effects.reject('fence', effectFailure('detach timed out', true));
    expect(rig.state()).toBe('failed.release-backoff');
    rig.clock.increment(1_000);
    await rig.effects.reject('fence', effectFailure('forbidden', false));
    expect(rig.state()).toBe('failed.blocked');
    rig.actor.send({ type: 'RETRY' });
    await rig.effects.resolve('fence');
    expect(rig.state()).toBe('volume-provisioned.awaiting-holder');
    expect(ctx(rig)).toMatchObject({ excludeHosts: [], preferAgent: 'a1', needsFence: false, replacing: false });
    rig.actor.send({ type: 'PLACE', taskId: 't2', agentId: 'a1', hostname: 'h1', offerId: 'o2' });
    expect(rig.state()).toBe('placed');
  });

  it('restarts in place: kill, then relaunch preferring the same agent', async () => {
    const rig = pod();
    await toRunning(rig);
    rig.actor.send({ type: 'RESTART' });
    expect(rig.state()).toBe('relaunching.killing');
    await rig.effects.reject('killTask', effectFailure('master unreachable', true));
    expect(rig.state()).toBe('relaunching.backoff');
    rig.clock.increment(1_000);
    await rig.effects.reject('killTask', effectFailure('bad task id', false));
    expect(rig.state()).toBe('relaunching.blocked');
    rig.actor.send({ type: 'RETRY' });
    await rig.effects.resolve('killTask', { terminal: true });
    expect(rig.state()).toBe('volume-provisioned.awaiting-holder');
    expect(ctx(rig)).toMatchObject({ task: null, preferAgent: 'a1' });
  });

  it('hands a restart over to failure handling when the agent fails meanwhile', async () => {
    const cases: [(r: PodRig) => void, string][] = [
      [(r) => update(r, 'TASK_UNKNOWN'), 'failed.awaiting-replace'],
      [(r) => update(r, 'TASK_LOST'), 'failed.releasing'],
      [(r) => update(r, 'TASK_UNREACHABLE'), 'running.suspect.probation'],
      [(r) => r.actor.send({ type: 'AGENT_GONE', agentId: 'a1' }), 'failed.releasing'],
      [(r) => r.actor.send({ type: 'HOST_DOWN', hostname: 'h1', source: 'mesos', reason: 'agent lost' }), 'running.suspect.probation'],
      [(r) => r.actor.send({ type: 'REPLACE' }), 're-attaching.fencing'],
    ];
    for (const [send, expected] of cases) {
      const rig = pod();
      await toRunning(rig);
      rig.actor.send({ type: 'RESTART' });
      send(rig);
      expect(rig.state()).toBe(expected);
    }
  });
});

describe('pod instance: stop and decommission', () => {
  it('decommissions in order: kill, wait for the task to end, release, dispose', async () => {
    const rig = pod();
    await toRunning(rig);
    rig.actor.send({ type: 'DECOMMISSION', volumes: 'delete' });
    expect(rig.state()).toBe('stopping.killing');
    await rig.effects.resolve('killTask', { terminal: false });
    expect(rig.state()).toBe('stopping.awaiting-terminal');
    rig.clock.increment(10_000);
    expect(rig.state()).toBe('stopping.killing');
    await rig.effects.resolve('killTask', { terminal: false });
    update(rig, 'TASK_KILLED');
    expect(rig.state()).toBe('stopping.releasing');
    expect(rig.effects.lastInput('releaseVolumes')).toEqual({ volumeIds: ['v1', 'v2'], hostname: 'h1' });
    await rig.effects.resolve('releaseVolumes');
    expect(rig.effects.lastInput('disposeVolumes')).toEqual({ volumes: VOLUME_IDS.volumes, policy: 'delete' });
    await rig.effects.resolve('disposeVolumes');
    expect(rig.state()).toBe('decommissioned');
    expect(rig.actor.getSnapshot().status).toBe('done');
    expect(rig.effects.names()).toEqual(['ensureVolumes', 'killTask', 'killTask', 'releaseVolumes', 'disposeVolumes']);
    rig.actor.send({ type: 'START' });
    expect(rig.state()).toBe('decommissioned');
  });

  it('counts the task agent going away as the end of the task', async () => {
    for (const afterKill of [false, true]) {
      const rig = pod();
      await toRunning(rig);
      rig.actor.send({ type: 'DECOMMISSION', volumes: 'retain' });
      if (afterKill) await rig.effects.resolve('killTask', { terminal: false });
      rig.actor.send({ type: 'AGENT_GONE', agentId: 'a1' });
      expect(rig.state()).toBe('stopping.releasing');
    }
  });

  it('ends a kill in progress on a terminal update, or on the effect confirming it', async () => {
    const a = pod();
    await toRunning(a);
    a.actor.send({ type: 'STOP' });
    update(a, 'TASK_KILLED');
    expect(a.state()).toBe('stopping.releasing');
    const b = pod();
    await toRunning(b);
    b.actor.send({ type: 'STOP' });
    await b.effects.resolve('killTask', { terminal: true });
    expect(b.state()).toBe('stopping.releasing');
  });

  it('stops without disposing, upgrades a stop to a decommission, and decommissions from stopped', async () => {
    const rig = pod();
    await toRunning(rig);
    rig.actor.send({ type: 'STOP' });
    rig.actor.send({ type: 'STOP' });
    await rig.effects.resolve('killTask', { terminal: true });
    await rig.effects.resolve('releaseVolumes');
    expect(rig.state()).toBe('stopped');
    expect(ctx(rig).stop).toEqual({ mode: 'stop', volumes: 'retain' });
    rig.actor.send({ type: 'DECOMMISSION', volumes: 'retain' });
    expect(rig.state()).toBe('stopping.releasing');
    await rig.effects.resolve('releaseVolumes');
    expect(rig.effects.lastInput('disposeVolumes')).toMatchObject({ policy: 'retain' });

    const up = pod();
    await toRunning(up);
    up.actor.send({ type: 'STOP' });
    up.actor.send({ type: 'DECOMMISSION', volumes: 'delete' });
    await up.effects.resolve('killTask', { terminal: true });
    await up.effects.resolve('releaseVolumes');
    expect(up.state()).toBe('stopping.disposing');
  });

  it('provisions the volumes first when started after a stop that came before they existed', async () => {
    const rig = pod(podInput({ goal: 'stopped' }));
    rig.actor.send({ type: 'STOP' });
    await rig.effects.resolve('releaseVolumes');
    expect(rig.state()).toBe('stopped');
    rig.actor.send({ type: 'START' });
    expect(rig.state()).toBe('pending.provisioning');
    await rig.effects.resolve('ensureVolumes', VOLUME_IDS);
    expect(rig.state()).toBe('volume-provisioned.awaiting-holder');
  });

  it('skips the kill when no task exists', async () => {
    const rig = pod();
    rig.actor.send({ type: 'DECOMMISSION', volumes: 'delete' });
    expect(rig.state()).toBe('stopping.releasing');
  });

  it('retries every stopping effect with backoff and resumes from RETRY after terminal errors', async () => {
    const rig = pod();
    await toRunning(rig);
    rig.actor.send({ type: 'DECOMMISSION', volumes: 'delete' });
    await rig.effects.reject('killTask', effectFailure('timeout', true));
    expect(rig.state()).toBe('stopping.kill-backoff');
    rig.clock.increment(1_000);
    await rig.effects.reject('killTask', effectFailure('forbidden', false));
    expect(rig.state()).toBe('stopping.blocked');
    rig.actor.send({ type: 'RETRY' });
    expect(rig.state()).toBe('stopping.killing');
    await rig.effects.resolve('killTask', { terminal: true });
    await rig.effects.reject('releaseVolumes', effectFailure('busy', true));
    expect(rig.state()).toBe('stopping.release-backoff');
    rig.clock.increment(1_000);
    await rig.effects.reject('releaseVolumes', effectFailure('forbidden', false));
    rig.actor.send({ type: 'RETRY' });
    expect(rig.state()).toBe('stopping.releasing');
    await rig.effects.resolve('releaseVolumes');
    await rig.effects.reject('disposeVolumes', effectFailure('busy', true));
    expect(rig.state()).toBe('stopping.dispose-backoff');
    rig.clock.increment(1_000);
    await rig.effects.reject('disposeVolumes', effectFailure('forbidden', false));
    expect(rig.state()).toBe('stopping.blocked');
    rig.actor.send({ type: 'RETRY' });
    await rig.effects.resolve('releaseVolumes');
    await rig.effects.resolve('disposeVolumes');
    expect(rig.state()).toBe('decommissioned');
  });
});

describe('pod instance: persistence', () => {
  const roundTrip = (rig: PodRig) => JSON.parse(JSON.stringify(rig.actor.getPersistedSnapshot()));

  it('re-runs the in-flight effect with the same input when restored mid-effect', async () => {
    const rig = pod();
    const saved = roundTrip(rig);
    rig.actor.stop();
    const effects = new EffectHarness();
    const restored = startPod({ snapshot: saved, effects, coverage });
    expect(restored.state()).toBe('pending.provisioning');
    expect(effects.count('ensureVolumes')).toBe(1);
    expect(effects.lastInput('ensureVolumes')).toEqual(rig.effects.lastInput('ensureVolumes'));
    await effects.resolve('ensureVolumes', VOLUME_IDS);
    expect(restored.state()).toBe('volume-provisioned.awaiting-holder');
  });

  it('re-runs fencing after a crash mid-fence, and places only after it', async () => {
    const rig = pod();
    await toPermanent(rig);
    const saved = roundTrip(rig);
    rig.actor.stop();
    const restored = startPod({ snapshot: saved, coverage });
    expect(restored.effects.lastInput('fence')).toMatchObject({ taskId: 't1', hostname: 'h1' });
    restored.actor.send({ type: 'PLACE', taskId: 't2', agentId: 'a2', hostname: 'h2', offerId: 'o' });
    expect(restored.actor.getSnapshot().context.task?.taskId).toBe('t1');
    await restored.effects.resolve('fence');
    await restored.effects.resolve('checkVolumes', { replicaHosts: ['h2'] });
    restored.actor.send({ type: 'PLACE', taskId: 't2', agentId: 'a2', hostname: 'h2', offerId: 'o' });
    expect(restored.state()).toBe('placed');
  });

  it('re-arms the timer of a timed state on RESUMED after a restore', async () => {
    const rig = pod();
    await toRunning(rig);
    update(rig, 'TASK_UNREACHABLE');
    const saved = roundTrip(rig);
    rig.actor.stop();
    const restored = startPod({ snapshot: saved, coverage });
    restored.actor.send({ type: 'RESUMED' });
    restored.clock.increment(10_000);
    expect(restored.state()).toBe('running.suspect.confirming');
  });

  it('keeps the context plain JSON in every state', async () => {
    const rig = pod();
    await toPermanent(rig);
    const context = ctx(rig);
    expect(JSON.parse(JSON.stringify(context))).toEqual(context);
  });
});

describe('pod instance: RESUMED restarts the wait of each timed state', () => {
  const resumedCases: [string, (r: PodRig) => Promise<void>, number, string][] = [
    ['pending.backoff', async (r) => r.effects.reject('ensureVolumes', effectFailure('x', true)), 1_000, 'pending.provisioning'],
    ['volume-provisioned.awaiting-holder', async (r) => r.effects.resolve('ensureVolumes', VOLUME_IDS), 30_000, 'volume-provisioned.awaiting-any'],
    ['placed', async (r) => { await r.effects.resolve('ensureVolumes', VOLUME_IDS); r.actor.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o' }); }, 60_000, 'relaunching.killing'],
    ['running.up', async (r) => { await toRunning(r); update(r, 'TASK_FAILED'); r.clock.increment(500); await toRunning(r, 't2'); }, 300_000, 'running.up'],
    ['running.suspect.probation', async (r) => { await toRunning(r); update(r, 'TASK_UNREACHABLE'); }, 10_000, 'running.suspect.confirming'],
    ['running.suspect.confirm-backoff', async (r) => { await toRunning(r); update(r, 'TASK_UNREACHABLE'); r.clock.increment(10_000); await r.effects.reject('confirmHostDown', effectFailure('x', true)); }, 1_000, 'running.suspect.confirming'],
    ['failed.transient', async (r) => { await toRunning(r); update(r, 'TASK_FAILED'); }, 500, 'volume-provisioned.awaiting-holder'],
    ['relaunching.backoff', async (r) => { await toRunning(r); r.actor.send({ type: 'RESTART' }); await r.effects.reject('killTask', effectFailure('x', true)); }, 1_000, 'relaunching.killing'],
    ['relaunching.awaiting-terminal', async (r) => { await toRunning(r); r.actor.send({ type: 'RESTART' }); await r.effects.resolve('killTask', { terminal: false }); }, 10_000, 'relaunching.killing'],
    ['failed.release-backoff', async (r) => { await toRunning(r); update(r, 'TASK_LOST'); await r.effects.reject('fence', effectFailure('x', true)); }, 1_000, 'failed.releasing'],
    ['re-attaching.fence-backoff', async (r) => { await toPermanent(r); await r.effects.reject('fence', effectFailure('x', true)); }, 1_000, 're-attaching.fencing'],
    ['re-attaching.check-backoff', async (r) => { await toPermanent(r); await r.effects.resolve('fence'); await r.effects.reject('checkVolumes', effectFailure('x', true)); }, 1_000, 're-attaching.checking'],
    ['stopping.kill-backoff', async (r) => { await toRunning(r); r.actor.send({ type: 'STOP' }); await r.effects.reject('killTask', effectFailure('x', true)); }, 1_000, 'stopping.killing'],
    ['stopping.awaiting-terminal', async (r) => { await toRunning(r); r.actor.send({ type: 'STOP' }); await r.effects.resolve('killTask', { terminal: false }); }, 10_000, 'stopping.killing'],
    ['stopping.release-backoff', async (r) => { r.actor.send({ type: 'STOP' }); await r.effects.reject('releaseVolumes', effectFailure('x', true)); }, 1_000, 'stopping.releasing'],
    ['stopping.dispose-backoff', async (r) => { r.actor.send({ type: 'DECOMMISSION', volumes: 'delete' }); await r.effects.resolve('releaseVolumes'); await r.effects.reject('disposeVolumes', effectFailure('x', true)); }, 1_000, 'stopping.disposing'],
  ];
  it.each(resumedCases)('%s', async (state, reach, delay, after) => {
    const rig = pod();
    await reach(rig);
    expect(rig.state()).toBe(state);
    rig.clock.increment(delay - 1);
    rig.actor.send({ type: 'RESUMED' });
    expect(rig.state()).toBe(state);
    rig.clock.increment(delay - 1);
    expect(rig.state()).toBe(state);
    rig.clock.increment(1);
    expect(rig.state()).toBe(after);
  });
});

describe('pod instance: every row of the failure classification (for coverage)', () => {
  it('drives each row to its documented state', async () => {
    for (const row of CLASSIFICATION_ROWS) {
      const rig = pod(rowInput(row));
      await row.drive(rig);
      expect(rig.state(), row.id).toBe(row.state);
      rig.actor.stop();
    }
  });
});

describe('pod instance: readiness (details in pod-instance.readiness.test.ts)', () => {
  const checked = (rig: PodRig) => rig.actor.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o', readinessCheck: true });
  const check = (exit_code?: number) => ({ checkStatus: { type: 'COMMAND', command: exit_code === undefined ? {} : { exit_code } } });

  it('waits in running.unready until the check passes, goes back when it fails, and keeps its timers', async () => {
    const rig = pod();
    await rig.effects.resolve('ensureVolumes', VOLUME_IDS);
    checked(rig);
    update(rig, 'TASK_RUNNING', 't1', check());
    expect(rig.state()).toBe('running.unready');
    rig.actor.send({ type: 'RESUMED' });
    update(rig, 'TASK_RUNNING', 't1', check(1));
    expect(rig.state()).toBe('running.unready');
    rig.clock.increment(300_000);
    update(rig, 'TASK_RUNNING', 't1', check(0));
    expect(rig.state()).toBe('running.up');
    update(rig, 'TASK_RUNNING', 't1', check(1));
    expect(rig.state()).toBe('running.unready');
  });
});

describe('pod instance: coverage', () => {
  it('visited every state of the machine', () => {
    expect(allStatePaths(podInstanceMachine).length).toBeGreaterThan(30);
    expect(coverage.missingStates(podInstanceMachine)).toEqual([]);
  });

  it('took every transition of the machine', () => {
    expect(coverage.missingTransitions(podInstanceMachine)).toEqual([]);
  });
});
