import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { SimTaskSummary } from '../../src/sim/mesos';
import { expectConformantRecordings } from '../conformance/recordings';
import { eventually, podTags } from './helpers';
import { MESOS_UNREACHABLE_MS, probationMs, recordedKills, recordedUpdates, simMs, sleep, startDeployed } from './helpers-faults';
import { dataVolumeId, eventuallyPod, podTasks, recordedForcedDetaches, recordedLaunches, runningTask, SafetyWatch } from './helpers-recovery';
import { POD_TAGS } from '../../machines/pod-instance.logic';

// The scenarios below each have a sandbox of their own and wait mostly on simulated time: they run
// side by side (describe.concurrent); the checks of one scenario run in order (it.sequential).
/**
 * The shipped Cassandra spec, unchanged: a partitioned agent is suspect for the probation (10 s),
 * then its pods move (Mesos reports it unreachable: evidence that the host is out of reach).
 * A partition marks the agent unreachable at once in the simulator ("as today"); the Portworx
 * mirror takes its node offline after the detect delay.
 */
describe.concurrent('a partition shorter than the probation moves nothing', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;
  let victim: SimTaskSummary;
  let volumeId: string;
  let launchesBefore: number;
  let probation: number;
  let partitionedFor: number;

  beforeAll(async () => {
    ({ sb, record, name } = await startDeployed('cassandra'));
    probation = probationMs(sb);
    victim = runningTask(sb, name, 'node-1');
    volumeId = dataVolumeId(sb, name, 'node-1');
    launchesBefore = recordedLaunches(record, `${name}__`).length;

    const start = Date.now();
    sb.mesos.partitionAgent(victim.hostname);
    await eventually('the master to report node-1 unreachable', () => podTasks(sb, name, 'node-1')[0]?.masterState === 'TASK_UNREACHABLE', 5_000);
    // Long enough for Portworx to take the node offline too (detect delay 3 s of the 10 s probation).
    await sleep(probation * 0.4);
    partitionedFor = Date.now() - start;
    sb.mesos.healAgent(victim.hostname);
    await eventuallyPod(sb, 'node-1', 'node-1 running again after the heal', () => podTags(sb.scheduler.runtime, 'node-1').includes(POD_TAGS.ready), 10_000);
    // Give a wrongly armed timer (or a late alert) the time to misbehave.
    await sleep(probation * 2);
  });

  afterAll(async () => {
    await sb?.stop();
  });

  it.sequential('heals well within the probation', () => {
    expect(probation).toBeGreaterThanOrEqual(500);
    expect(probation).toBeLessThanOrEqual(5_000);
    expect(partitionedFor).toBeLessThan(probation);
  });

  it.sequential('keeps the same task, running, on the same agent', () => {
    const tasks = podTasks(sb, name, 'node-1');
    expect(tasks.map((t) => [t.taskId, t.hostname, t.state, t.masterState])).toEqual([[victim.taskId, victim.hostname, 'TASK_RUNNING', 'TASK_RUNNING']]);
    const ctx = sb.scheduler.runtime.registry.context(sb.scheduler.runtime.registry.get('node-1')!);
    expect(ctx.task?.taskId).toBe(victim.taskId);
  });

  it.sequential('records no new launch, no kill and no forced detach', () => {
    expect(recordedLaunches(record, `${name}__`)).toHaveLength(launchesBefore);
    expect(recordedKills(record, victim.taskId)).toEqual([]);
    expect(recordedForcedDetaches(record, volumeId)).toEqual([]);
  });

  it.sequential('keeps the volume attached where the task runs', () => {
    const vol = sb.portworx.volumes().find((v) => v.id === volumeId)!;
    expect(vol.attachedOn).toEqual([victim.hostname]);
  });

  it.sequential('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});

describe.concurrent('a partition longer than the probation moves the pod after confirmation, fenced first, and the old task never comes back', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;
  let victim: SimTaskSummary;
  let replacement: SimTaskSummary;
  let volumeId: string;
  let partitionedAt: number;
  let violations: string[];

  beforeAll(async () => {
    ({ sb, record, name } = await startDeployed('cassandra'));
    victim = runningTask(sb, name, 'node-1');
    volumeId = dataVolumeId(sb, name, 'node-1');
    // The old task keeps running behind the partition (that is the point of fencing), so only
    // the volume's attachments are watched here.
    const watch = new SafetyWatch(sb, name, 'node-1', `${name}-node-1-data`, { liveTasks: false });
    partitionedAt = Date.now();
    sb.mesos.partitionAgent(victim.hostname);
    replacement = await eventuallyPod(
      sb,
      'node-1',
      'node-1 running on another agent',
      () => podTasks(sb, name, 'node-1').find((t) => t.taskId !== victim.taskId && t.state === 'TASK_RUNNING'),
      MESOS_UNREACHABLE_MS,
    );
    violations = watch.stop();
  });

  afterAll(async () => {
    await sb?.stop();
  });

  it.sequential('relaunches only after the probation, long before the permanent failure timeout (20 min)', () => {
    const launch = recordedLaunches(record, replacement.taskId)[0]!;
    const after = Date.parse(launch.ts) - partitionedAt;
    expect(after).toBeGreaterThanOrEqual(probationMs(sb) - 50);
    expect(after).toBeLessThan(simMs(1200) / 10);
  });

  it.sequential('relaunches within the probation plus an offer round and slack (no wait beyond the confirmation)', () => {
    const launch = recordedLaunches(record, replacement.taskId)[0]!;
    expect(Date.parse(launch.ts) - partitionedAt).toBeLessThan(probationMs(sb) + 3_000);
  });

  it.sequential('relaunches on another agent with the same volume', () => {
    expect(replacement.hostname).not.toBe(victim.hostname);
    const vol = sb.portworx.volumes().find((v) => v.id === volumeId)!;
    expect(vol.attachedOn).toEqual([replacement.hostname]);
    expect(vol.replicaHosts).toContain(replacement.hostname);
  });

  it.sequential('force-detached the volume from the partitioned node before the new launch', () => {
    const launch = recordedLaunches(record, replacement.taskId)[0]!;
    const fences = recordedForcedDetaches(record, volumeId);
    expect(fences.length).toBeGreaterThan(0);
    expect(Date.parse(fences[0]!.ts)).toBeLessThanOrEqual(Date.parse(launch.ts));
  });

  it.sequential('never had the volume attached on two hosts', () => {
    expect(violations).toEqual([]);
  });

  it.sequential('kills the old task as soon as its agent is back, and the volume stays with the new task', async () => {
    const watch = new SafetyWatch(sb, name, 'node-1', `${name}-node-1-data`, { liveTasks: false });
    sb.mesos.healAgent(victim.hostname);
    const healedAt = Date.now();
    const killed = await eventuallyPod(
      sb,
      'node-1',
      'the old task killed after the heal',
      () => recordedUpdates(record, victim.taskId).find((u) => u.state === 'TASK_KILLED'),
      5_000,
    );
    // At once: well within a kill timeout (30 s) of the heal, not after one.
    expect(Date.parse(killed.ts) - healedAt).toBeLessThan(simMs(10));
    await sleep(probationMs(sb));
    expect(watch.stop()).toEqual([]);
    const vol = sb.portworx.volumes().find((v) => v.id === volumeId)!;
    expect(vol.attachedOn).toEqual([replacement.hostname]);
    const running = podTasks(sb, name, 'node-1').filter((t) => t.state === 'TASK_RUNNING');
    expect(running.map((t) => t.taskId)).toEqual([replacement.taskId]);
    expect(recordedKills(record, victim.taskId).length).toBeGreaterThan(0);
  });

  it.sequential('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});


/**
 * The shipped Cassandra spec, unchanged: three of the six agents are cut off at once for longer
 * than the probation (a switch failure). Three Portworx nodes offline within a minute pause
 * automatic replacement; when the partition heals, the tasks report in again and every pod
 * keeps its task: nothing moved.
 */
describe.concurrent('three agents partitioned at once, longer than the probation, then healed: replacement pauses and nothing moves', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;
  let victims: SimTaskSummary[];
  let pausedSeen: boolean;
  const pods = ['node-0', 'node-1', 'node-2'];

  beforeAll(async () => {
    ({ sb, record, name } = await startDeployed('cassandra'));
    victims = pods.map((p) => runningTask(sb, name, p));
    for (const v of victims) sb.mesos.partitionAgent(v.hostname);
    pausedSeen = await eventually('replacement paused', () => sb.scheduler.runtime.governor.status().paused, probationMs(sb) * 3).catch(() => false);
    await sleep(probationMs(sb) * 2);
    for (const v of victims) sb.mesos.healAgent(v.hostname);
    await eventually('every pod running again', () => pods.every((p) => podTags(sb.scheduler.runtime, p).includes(POD_TAGS.ready)), 10_000).catch(() => undefined);
    await sleep(probationMs(sb));
  });

  afterAll(async () => {
    await sb?.stop();
  });

  it.sequential('paused automatic replacement while half of the Portworx nodes were offline', () => {
    expect(pausedSeen).toBe(true);
  });

  it.sequential('keeps every pod on its task and host: no launch, no forced detach, no replacement', () => {
    pods.forEach((p, i) => {
      const v = victims[i]!;
      expect(sb.scheduler.runtime.registry.get(p)?.state, p).toBe('running.up');
      expect(podTasks(sb, name, p).map((t) => [t.taskId, t.hostname, t.state]), p).toEqual([[v.taskId, v.hostname, 'TASK_RUNNING']]);
      expect(recordedForcedDetaches(record, sb.portworx.volumes().find((x) => x.name === `${name}-${p}-data`)!.id), p).toEqual([]);
    });
    expect(recordedLaunches(record, `${name}__`)).toHaveLength(3);
  });

  it.sequential('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});
