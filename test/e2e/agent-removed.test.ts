import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { expectConformantRecordings } from '../conformance/recordings';
import { podsThatAwaitedSlot, recordedUpdates, startDeployed } from './helpers-faults';
import { dataVolume, eventuallyPod, liveTasks, podTasks, recordedForcedDetaches, recordedLaunches, runningTask, SafetyWatch } from './helpers-recovery';

/**
 * The shipped Cassandra spec, unchanged. The operator takes an agent out of the cluster: marking
 * it gone (MARK_AGENT_GONE: the operator's statement that the host is dead, TASK_GONE_BY_OPERATOR)
 * or removing it (the agent unregisters: TASK_LOST, REASON_AGENT_REMOVED). Either way the pod
 * cannot stay, and it comes back elsewhere with the same volume, fenced first.
 */
describe('the operator takes an agent out of the cluster: its pod comes back elsewhere with the same volume', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;

  beforeAll(async () => {
    ({ sb, record, name } = await startDeployed('cassandra'));
  });

  afterAll(async () => {
    await sb?.stop();
  });

  async function takeOut(pod: string, how: (host: string) => void) {
    const victim = runningTask(sb, name, pod);
    const volume = dataVolume(sb, name, pod);
    const watch = new SafetyWatch(sb, name, pod, volume.name);
    how(victim.hostname);
    const replacement = await eventuallyPod(
      sb,
      pod,
      `${pod} running on another host`,
      () => podTasks(sb, name, pod).find((t) => t.state === 'TASK_RUNNING' && t.hostname !== victim.hostname),
      10_000,
    );
    const launch = recordedLaunches(record, replacement.taskId)[0]!;
    const fences = recordedForcedDetaches(record, volume.id);
    return { victim, volume, replacement, launch, fences, violations: watch.stop() };
  }

  it('MARK_AGENT_GONE: TASK_GONE_BY_OPERATOR, then a replacement on another host, fenced first', async () => {
    const r = await takeOut('node-0', (host) => sb.mesos.markAgentGone(host));
    expect(recordedUpdates(record, r.victim.taskId).map((u) => u.state)).toContain('TASK_GONE_BY_OPERATOR');
    expect(podsThatAwaitedSlot(record)).toContain('node-0');
    expect(r.replacement.volumes.map((v) => v.name)).toEqual([r.volume.name]);
    expect(sb.portworx.volumes().find((v) => v.id === r.volume.id)?.attachedOn).toEqual([r.replacement.hostname]);
    expect(r.fences.length).toBeGreaterThan(0);
    expect(Date.parse(r.fences[0]!.ts)).toBeLessThanOrEqual(Date.parse(r.launch.ts));
    expect(r.violations).toEqual([]);
  });

  it('agent removed (killAgent): TASK_LOST, then a relaunch on another host with the same volume', async () => {
    const r = await takeOut('node-1', (host) => sb.mesos.killAgent(host));
    const states = recordedUpdates(record, r.victim.taskId).map((u) => u.state);
    expect(states).toContain('TASK_LOST');
    expect(r.replacement.volumes.map((v) => v.name)).toEqual([r.volume.name]);
    expect(sb.portworx.volumes().find((v) => v.id === r.volume.id)?.attachedOn).toEqual([r.replacement.hostname]);
    expect(r.violations).toEqual([]);
  });

  it('ends with one live task per pod', () => {
    for (const pod of ['node-0', 'node-1', 'node-2']) expect(liveTasks(podTasks(sb, name, pod), sb), pod).toHaveLength(1);
  });

  it('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});
