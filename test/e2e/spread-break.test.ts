import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { SimTaskSummary } from '../../src/sim/mesos';
import type { SimVolumeView } from '../../src/sim/portworx';
import { expectConformantRecordings } from '../conformance/recordings';
import { eventually } from './helpers';
import { MESOS_UNREACHABLE_MS, startDeployed } from './helpers-faults';
import { eventuallyMovedOff, explainPod, podTasks, readRecords, recordedLaunches, runningTask } from './helpers-recovery';
import { moveFailoverReplicaToAnotherZone, zoneOf } from './spread-helpers';

/**
 * The same layout and crash as spread-keep (node-1's failover replica moved to the free host of
 * another zone before the crash), under the `break` spread policy: the pod follows its data onto
 * the surviving replica holder although its zone already runs a pod, and says so.
 *
 * The test sets the policy on the running scheduler's spec, which is where the scheduler reads
 * it from (`failurePolicy.spread`, per pod type, as the spec's `failure_policy.spread: break`
 * parses).
 */
describe('a replacement under @zone:GROUP_BY with spread policy break: it goes to the holder and says which constraint it broke', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;
  let victim: SimTaskSummary;
  let volumeBefore: SimVolumeView;
  let holder: string;
  let replacement: SimTaskSummary;
  let explained: string;

  beforeAll(async () => {
    ({ sb, record, name } = await startDeployed('cassandra'));
    const rt = sb.scheduler.runtime;
    const spread = Object.fromEntries(Object.keys(rt.spec.pods).map((type) => [type, 'break' as const]));
    rt.spec = { ...rt.spec, failurePolicy: { ...rt.spec.failurePolicy, spread } as typeof rt.spec.failurePolicy };
    victim = runningTask(sb, name, 'node-1');
    ({ holder, volume: volumeBefore } = await moveFailoverReplicaToAnotherZone(sb, name, 'node-1', victim));
    sb.mesos.crashAgent(victim.hostname);
    replacement = await eventuallyMovedOff(sb, name, 'node-1', victim, MESOS_UNREACHABLE_MS + 10_000);
    explained = await explainPod(sb, 'node-1');
  });

  afterAll(async () => {
    await sb?.stop();
  });

  it('relaunches the pod on the surviving replica holder, in a zone that already runs a pod', () => {
    expect(replacement.hostname).toBe(holder);
    const others = ['node-0', 'node-2'].flatMap((p) => podTasks(sb, name, p).filter((t) => t.state === 'TASK_RUNNING'));
    expect(others.map((t) => zoneOf(sb, t.hostname))).toContain(zoneOf(sb, holder));
  });

  it('adds no replica: the data stays where it was', () => {
    const updates = readRecords(record, 'portworx').filter((r) => r.method === 'PUT' && r.path === `/v1/volumes/${volumeBefore.id}`);
    expect(updates).toEqual([]);
    expect(Date.parse(recordedLaunches(record, replacement.taskId)[0]!.ts)).toBeGreaterThan(0);
  });

  it('debug offers marks the chosen offer with the constraint it breaks', () => {
    expect(explained).toMatch(new RegExp(`${holder}.*CHOSEN .*BREAKS @zone:GROUP_BY`));
    expect(explained).toMatch(/spread \(broken\): placed on .*breaking @zone:GROUP_BY.*spread policy break/);
  });

  it('publishes the broken constraint as an event (transition of spread/node-1)', async () => {
    const events = await eventually('a spread event', () => {
      const list = readRecords(record, 'transitions').filter((t) => t.actor === 'spread/node-1');
      return list.length > 0 && list;
    });
    expect(events.map((e) => e.event)).toEqual(['SPREAD_BROKEN']);
    expect(events[0]!.to).toBe('constraints-broken');
    expect(events[0]!.reason).toMatch(new RegExp(`placed on ${holder}.*breaking @zone:GROUP_BY`));
  });

  it('keeps the broken constraint on record for plan status (the placement memory lists it)', () => {
    const notes = sb.scheduler.runtime.memory.spreadNotes();
    expect(notes.map((n) => [n.pod, n.kind, n.constraints])).toEqual([['node-1', 'broken', ['@zone:GROUP_BY']]]);
  });

  it('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});
