import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { SimTaskSummary } from '../../src/sim/mesos';
import type { SimVolumeView } from '../../src/sim/portworx';
import { expectConformantRecordings } from '../conformance/recordings';
import { eventually } from './helpers';
import { MESOS_UNREACHABLE_MS, startDeployed } from './helpers-faults';
import { eventuallyMovedOff, explainPod, liveTasks, readRecords, recordedLaunches, runningTask, SafetyWatch } from './helpers-recovery';
import { moveFailoverReplicaToAnotherZone, zoneOf, ZoneWatch } from './spread-helpers';

/**
 * The shipped Cassandra spec (hostname UNIQUE, @zone GROUP_BY, repl 2) on six agents in three
 * zones: one pod per zone. Replica pinning puts each volume's failover replica on the other host
 * of the pod's zone; before the crash the test moves node-1's failover replica (Portworx SDK, as
 * an operator would) to the free host of another zone. When node-1's host dies, its surviving
 * replica holder then sits in a zone that already runs a pod. Under the default spread policy
 * (keep) the pod does not follow its data there: a replica is added on a host of the dead host's
 * zone, synced, and the pod goes there.
 */
describe('a replacement under @zone:GROUP_BY keeps one pod per zone (spread policy keep, the default)', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;
  let victim: SimTaskSummary;
  let volumeBefore: SimVolumeView;
  let holder: string;
  let replacement: SimTaskSummary;
  let zones: ZoneWatch;
  let violations: string[];
  let explained: string;

  beforeAll(async () => {
    ({ sb, record, name } = await startDeployed('cassandra'));
    victim = runningTask(sb, name, 'node-1');
    ({ holder, volume: volumeBefore } = await moveFailoverReplicaToAnotherZone(sb, name, 'node-1', victim));
    zones = new ZoneWatch(sb, name);
    const watch = new SafetyWatch(sb, name, 'node-1', volumeBefore.name);
    sb.mesos.crashAgent(victim.hostname);
    replacement = await eventuallyMovedOff(sb, name, 'node-1', victim, MESOS_UNREACHABLE_MS + 10_000);
    explained = await explainPod(sb, 'node-1');
    violations = watch.stop();
  });

  afterAll(async () => {
    zones?.stop();
    await sb?.stop();
  });

  it("starts where following the data would break the spread: the surviving holder's zone already runs a pod", () => {
    const others = liveTasks(sb.mesos.tasks(), sb).filter((t) => t.taskId !== replacement.taskId && t.taskId.startsWith(`${name}__`));
    expect(others.map((t) => zoneOf(sb, t.hostname))).toContain(zoneOf(sb, holder));
  });

  it('places the replacement in a zone no other pod runs in: three pods, three zones', () => {
    const live = liveTasks(sb.mesos.tasks(), sb).filter((t) => t.taskId.startsWith(`${name}__`) && t.state === 'TASK_RUNNING');
    expect(live).toHaveLength(3);
    expect(new Set(live.map((t) => zoneOf(sb, t.hostname))).size).toBe(3);
    expect(replacement.hostname).not.toBe(holder);
    expect(zoneOf(sb, replacement.hostname)).toBe(zoneOf(sb, victim.hostname));
  });

  it('never had two live pods in one zone, nor two live tasks of the pod, nor the volume on two hosts', () => {
    expect(zones.violations()).toEqual([]);
    expect(violations).toEqual([]);
  });

  it('added a replica on the new host (VolumeUpdate ha_level 3, pinned) and launched only once Portworx had synced it', () => {
    const newNode = sb.portworx.nodes().find((n) => n.hostname === replacement.hostname)!.id;
    const px = readRecords(record, 'portworx');
    const update = px.find((r) => r.method === 'PUT' && r.path === `/v1/volumes/${volumeBefore.id}` && JSON.stringify(r.request).includes(newNode));
    expect(update, 'recorded VolumeUpdate adding the replica').toBeDefined();
    expect((update!.request as { spec: { ha_level: string } }).spec.ha_level).toBe('3');
    const launch = recordedLaunches(record, replacement.taskId).at(0)!;
    expect(Date.parse(update!.ts)).toBeLessThan(Date.parse(launch.ts));
    // The last inspection of the volume before the launch shows the new replica in sync.
    const inspections = px.filter((r) => r.path === `/v1/volumes/inspect/${volumeBefore.id}` && r.method === 'GET' && Date.parse(r.ts) <= Date.parse(launch.ts));
    const last = inspections.at(-1)!.response as { volume: { replica_sets: { nodes: string[] }[]; runtime_state?: { runtime_state?: Record<string, string> }[] } };
    expect(last.volume.replica_sets[0]!.nodes).toContain(newNode);
    expect(JSON.stringify(last.volume.runtime_state ?? [])).not.toMatch(/resync/i);
    expect(sb.portworx.volumes().find((v) => v.id === volumeBefore.id)!.replicaHosts).toContain(replacement.hostname);
  });

  it('debug offers names the constraint the holder would break and the replica added to keep it', () => {
    expect(explained).toMatch(new RegExp(`${holder}.*FAIL constraints: @zone:GROUP_BY fails`));
    expect(explained).toMatch(/spread \(kept\): .*@zone:GROUP_BY.*spread policy keep/);
  });

  it('publishes the decision as an event (transition of spread/node-1)', async () => {
    const events = await eventually('a spread event', () => {
      const list = readRecords(record, 'transitions').filter((t) => t.actor === 'spread/node-1');
      return list.length > 0 && list;
    });
    expect(events[0]!.event).toBe('SPREAD_KEPT');
    expect(events[0]!.reason).toMatch(/@zone:GROUP_BY/);
  });

  it('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});
