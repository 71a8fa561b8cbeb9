import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { expectConformantRecordings } from '../conformance/recordings';
import { eventually, podTags } from './helpers';
import { podsThatAwaitedSlot, probationMs, recordedKills, recordedUpdates, replacementWindows, sleep, startDeployed } from './helpers-faults';
import { dataVolume, eventuallyPod, liveTasks, podTasks, recordedForcedDetaches, recordedLaunches, runningTask, SafetyWatch } from './helpers-recovery';
import { POD_TAGS } from '../../machines/pod-instance.logic';

/**
 * The shipped Cassandra spec, unchanged. An agent restart is not a host failure: the agent
 * process comes back and re-registers. Without a new id its tasks kept running; with a new id
 * (the host rebooted) they died with it and Mesos says so (TASK_LOST / TASK_GONE, a plain
 * terminal state from a live agent): the pod relaunches where its volume is, without a move.
 * An agent whose executors did not re-register kills them and reports TASK_GONE: a plain terminal
 * state, relaunched in place as dcos-commons does.
 */
describe('an agent restart moves nothing', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;

  beforeAll(async () => {
    ({ sb, record, name } = await startDeployed('cassandra'));
  });

  afterAll(async () => {
    await sb?.stop();
  });

  const volumeOf = (pod: string) => dataVolume(sb, name, pod);

  it('without a new id: the task keeps running, and nothing is launched, killed or detached', async () => {
    const victim = runningTask(sb, name, 'node-0');
    const launchesBefore = recordedLaunches(record, `${name}__`).length;
    const watch = new SafetyWatch(sb, name, 'node-0', volumeOf('node-0').name);
    sb.mesos.restartAgent(victim.hostname);
    await eventually('the agent re-registered with the same id', () =>
      sb.mesos.agents().some((a) => a.id === victim.agentId && a.state === 'registered'),
    );
    await sleep(probationMs(sb) * 1.5);
    expect(watch.stop()).toEqual([]);
    expect(podTasks(sb, name, 'node-0').map((t) => [t.taskId, t.hostname, t.state])).toEqual([[victim.taskId, victim.hostname, 'TASK_RUNNING']]);
    expect(recordedLaunches(record, `${name}__`)).toHaveLength(launchesBefore);
    expect(recordedKills(record, victim.taskId)).toEqual([]);
    expect(recordedForcedDetaches(record, volumeOf('node-0').id)).toEqual([]);
    expect(podTags(sb.scheduler.runtime, 'node-0')).toContain(POD_TAGS.ready);
  });

  it('losing its executors (TASK_GONE from the live agent): the pod relaunches in place, same agent, no fence', async () => {
    const victim = runningTask(sb, name, 'node-1');
    const volume = volumeOf('node-1');
    const watch = new SafetyWatch(sb, name, 'node-1', volume.name);
    sb.mesos.restartAgent(victim.hostname, { loseExecutors: true });
    const relaunched = await eventuallyPod(
      sb,
      'node-1',
      'node-1 running again',
      () => podTasks(sb, name, 'node-1').find((t) => t.taskId !== victim.taskId && t.state === 'TASK_RUNNING'),
      10_000,
    );
    expect(watch.stop()).toEqual([]);
    expect(recordedUpdates(record, victim.taskId).map((u) => u.state)).toContain('TASK_GONE');
    expect([relaunched.hostname, relaunched.agentId]).toEqual([victim.hostname, victim.agentId]);
    expect(sb.portworx.volumes().find((v) => v.id === volume.id)?.attachedOn).toEqual([victim.hostname]);
    expect(recordedForcedDetaches(record, volume.id)).toEqual([]);
  });

  it('with a new id (a reboot): the old task ends as Mesos reports it and the pod relaunches on the same host, same volume', async () => {
    const victim = runningTask(sb, name, 'node-2');
    const volume = volumeOf('node-2');
    const watch = new SafetyWatch(sb, name, 'node-2', volume.name);
    sb.mesos.restartAgent(victim.hostname, { newId: true });
    const relaunched = await eventuallyPod(
      sb,
      'node-2',
      'node-2 running again',
      () => podTasks(sb, name, 'node-2').find((t) => t.taskId !== victim.taskId && t.state === 'TASK_RUNNING'),
      10_000,
    );
    expect(watch.stop()).toEqual([]);
    const ended = recordedUpdates(record, victim.taskId).map((u) => u.state);
    expect(ended.some((s) => s === 'TASK_LOST' || s === 'TASK_GONE'), `updates of the old task: ${ended.join(', ')}`).toBe(true);
    expect(relaunched.hostname).toBe(victim.hostname);
    expect(relaunched.agentId).not.toBe(victim.agentId);
    const after = sb.portworx.volumes().find((v) => v.id === volume.id)!;
    expect(after.attachedOn).toEqual([victim.hostname]);
    // Not a replacement: the task died with the agent (LOST / GONE), no host is down.
    expect(podsThatAwaitedSlot(record)).toEqual([]);
    expect(replacementWindows(record)).toEqual([]);
    expect(liveTasks(podTasks(sb, name, 'node-2'), sb)).toHaveLength(1);
  });

  it('leaves the other pods alone', () => {
    for (const pod of ['node-0', 'node-1', 'node-2']) {
      expect(podTasks(sb, name, pod).filter((t) => t.state === 'TASK_RUNNING'), pod).toHaveLength(1);
    }
    expect(replacementWindows(record)).toEqual([]);
  });

  it('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});
