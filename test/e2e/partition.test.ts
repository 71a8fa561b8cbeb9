import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { SimTaskSummary } from '../../src/sim/mesos';
import { expectConformantRecordings } from '../conformance/recordings';
import { eventually, frameworkYaml, startSandbox } from './helpers';
import { eventuallyPod, patchSpec, podTasks, recordedForcedDetaches, recordedLaunches, SafetyWatch } from './helpers-recovery';

/** 30 s of simulated time: 3 s real at speed 10. */
const PERMANENT_FAILURE_TIMEOUT_S = 30;

/**
 * The shipped Cassandra spec (constraints and fixed ports included) with automatic replacement
 * and a short permanent failure timeout.
 */
function partitionSpec() {
  return frameworkYaml(
    'cassandra',
    patchSpec((doc) => {
      doc.failure_policy = { permanent_failure_timeout: PERMANENT_FAILURE_TIMEOUT_S, auto_replace: true };
    }),
  );
}

/** The timeout the pod actors really use (the runtime scales spec times by the sandbox speed). */
function realTimeoutMs(sb: Sandbox): number {
  return sb.scheduler.runtime.registry.inputFor('node', 0).failurePolicy.permanentFailureTimeoutMs;
}

describe('a partition shorter than the permanent failure timeout relaunches nothing', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;
  let victim: SimTaskSummary;
  let launchesBefore: number;
  let timeoutMs: number;
  let partitionedFor: number;

  beforeAll(async () => {
    const spec = partitionSpec();
    name = spec.name;
    const started = await startSandbox(spec.yaml);
    sb = started.sandbox;
    record = started.record!;
    await sb.scheduler.waitDeployed(60_000);
    timeoutMs = realTimeoutMs(sb);
    victim = podTasks(sb, name, 'node-1').find((t) => t.state === 'TASK_RUNNING')!;
    launchesBefore = recordedLaunches(record, `${name}__`).length;

    const start = Date.now();
    sb.mesos.partitionAgent(victim.hostname);
    await eventually('the master to report node-1 unreachable', () => podTasks(sb, name, 'node-1')[0]?.masterState === 'TASK_UNREACHABLE', 5_000);
    await new Promise((r) => setTimeout(r, timeoutMs / 2));
    partitionedFor = Date.now() - start;
    sb.mesos.healAgent(victim.hostname);
    await eventuallyPod(sb, 'node-1', 'node-1 running again after the heal', () => sb.scheduler.runtime.registry.get('node-1')?.state === 'running.up', 10_000);
    // Give a wrongly armed timer (or a late alert) the time to misbehave.
    await new Promise((r) => setTimeout(r, timeoutMs));
  });

  afterAll(async () => {
    await sb?.stop();
  });

  it('uses a permanent failure timeout of a few seconds and heals well within it', () => {
    expect(timeoutMs).toBeGreaterThanOrEqual(1_000);
    expect(timeoutMs).toBeLessThanOrEqual(5_000);
    expect(partitionedFor).toBeLessThan(timeoutMs);
  });

  it('keeps the same task, running, on the same agent', () => {
    const tasks = podTasks(sb, name, 'node-1');
    expect(tasks.map((t) => [t.taskId, t.hostname, t.state, t.masterState])).toEqual([[victim.taskId, victim.hostname, 'TASK_RUNNING', 'TASK_RUNNING']]);
    const ctx = sb.scheduler.runtime.registry.context(sb.scheduler.runtime.registry.get('node-1')!);
    expect(ctx.task?.taskId).toBe(victim.taskId);
  });

  it('records no new launch', () => {
    expect(recordedLaunches(record, `${name}__`)).toHaveLength(launchesBefore);
  });

  it('keeps the volume attached where the task runs', () => {
    const vol = sb.portworx.volumes().find((v) => v.name === `${name}-node-1-data`)!;
    expect(vol.attachedOn).toEqual([victim.hostname]);
  });

  it('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});

describe('a partition longer than the permanent failure timeout relaunches the pod elsewhere, fenced first', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;
  let victim: SimTaskSummary;
  let replacement: SimTaskSummary;
  let volumeId: string;
  let partitionedAt: number;
  let violations: string[];

  beforeAll(async () => {
    const spec = partitionSpec();
    name = spec.name;
    const started = await startSandbox(spec.yaml);
    sb = started.sandbox;
    record = started.record!;
    await sb.scheduler.waitDeployed(60_000);
    victim = podTasks(sb, name, 'node-1').find((t) => t.state === 'TASK_RUNNING')!;
    volumeId = sb.portworx.volumes().find((v) => v.name === `${name}-node-1-data`)!.id;
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
      realTimeoutMs(sb) + 10_000,
    );
    violations = watch.stop();
  });

  afterAll(async () => {
    await sb?.stop();
  });

  it('relaunches only after the permanent failure timeout', () => {
    const launch = recordedLaunches(record, replacement.taskId)[0]!;
    expect(Date.parse(launch.ts) - partitionedAt).toBeGreaterThanOrEqual(realTimeoutMs(sb) - 50);
  });

  it('relaunches on another agent with the same volume', () => {
    expect(replacement.hostname).not.toBe(victim.hostname);
    const vol = sb.portworx.volumes().find((v) => v.id === volumeId)!;
    expect(vol.attachedOn).toEqual([replacement.hostname]);
    expect(vol.replicaHosts).toContain(replacement.hostname);
  });

  it('force-detached the volume from the partitioned node before the new launch', () => {
    const launch = recordedLaunches(record, replacement.taskId)[0]!;
    const fences = recordedForcedDetaches(record, volumeId);
    expect(fences.length).toBeGreaterThan(0);
    expect(Date.parse(fences[0]!.ts)).toBeLessThanOrEqual(Date.parse(launch.ts));
  });

  it('never had the volume attached on two hosts', () => {
    expect(violations).toEqual([]);
  });

  it('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});
