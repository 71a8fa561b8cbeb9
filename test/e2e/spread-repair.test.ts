import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { SimTaskSummary } from '../../src/sim/mesos';
import type { SimVolumeView } from '../../src/sim/portworx';
import { expectConformantRecordings } from '../conformance/recordings';
import { eventually } from './helpers';
import { simMs, startDeployed } from './helpers-faults';
import { liveTasks, patchSpec, readRecords } from './helpers-recovery';
import { zoneOf } from './spread-helpers';

/** failure_policy.permanent_failure_timeout for this test: a node OFFLINE this long is lost for good. */
const LOST_AFTER_S = 30;

/**
 * The shipped Cassandra spec with a short permanent failure timeout. A host that runs no pod but
 * holds the second replica of some volumes dies for good: its Portworx node stays OFFLINE past
 * the timeout. Each affected volume is brought back to its `repl` (2) on a healthy node in a zone
 * that holds no live replica of it, and the lost replica is dropped; no pod moves.
 */
describe('after a node is lost for good, each volume with a replica there gets back to repl in another domain', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;
  let lost: string;
  let affected: SimVolumeView[];
  let tasksBefore: SimTaskSummary[];
  let repaired: SimVolumeView[];
  let crashedAt: number;
  let repairedAt: number;

  beforeAll(async () => {
    ({ sb, record, name } = await startDeployed(
      'cassandra',
      patchSpec((doc) => {
        (doc.failure_policy as Record<string, unknown>).permanent_failure_timeout = LOST_AFTER_S;
      }),
    ));
    tasksBefore = liveTasks(sb.mesos.tasks(), sb).filter((t) => t.taskId.startsWith(`${name}__`));
    const podHosts = new Set(tasksBefore.map((t) => t.hostname));
    const volumes = sb.portworx.volumes().filter((v) => !v.parentId && v.name.startsWith(`${name}-`));
    lost = volumes.flatMap((v) => v.replicaHosts).find((h) => !podHosts.has(h))!;
    affected = volumes.filter((v) => v.replicaHosts.includes(lost));
    crashedAt = Date.now();
    sb.mesos.crashAgent(lost);
    repaired = await eventually(
      'every affected volume back to 2 replicas without the lost host',
      () => {
        const now = affected.map((a) => sb.portworx.volumes().find((v) => v.id === a.id)!);
        return now.every((v) => v.replicaHosts.length === 2 && !v.replicaHosts.includes(lost) && v.status === 'VOLUME_STATUS_UP') && now;
      },
      simMs(LOST_AFTER_S) + 30_000,
    );
    repairedAt = Date.now();
  });

  afterAll(async () => {
    await sb?.stop();
  });

  it('starts from a host with no pod that holds a replica of at least one volume', () => {
    expect(lost).toBeDefined();
    expect(affected.length).toBeGreaterThan(0);
  });

  it('waits out the permanent failure timeout before it touches a replica (the node may come back)', () => {
    const updates = readRecords(record, 'portworx').filter((r) => r.method === 'PUT' && affected.some((a) => r.path === `/v1/volumes/${a.id}`));
    expect(updates.length).toBeGreaterThan(0);
    expect(Date.parse(updates[0]!.ts) - crashedAt).toBeGreaterThanOrEqual(simMs(LOST_AFTER_S) - 100);
    expect(repairedAt).toBeGreaterThan(crashedAt);
  });

  it('each affected volume has repl (2) replicas, on live hosts, in two different zones', () => {
    for (const v of repaired) {
      expect(v.replicaHosts).toHaveLength(2);
      expect(v.replicaHosts).not.toContain(lost);
      for (const h of v.replicaHosts) expect(sb.portworx.nodes().find((n) => n.hostname === h)!.online).toBe(true);
      expect(new Set(v.replicaHosts.map((h) => zoneOf(sb, h))).size).toBe(2);
    }
  });

  it('added the new replica first (ha_level 3, pinned), then dropped the lost one (ha_level 2 keeping the others)', () => {
    for (const a of affected) {
      const levels = readRecords(record, 'portworx')
        .filter((r) => r.method === 'PUT' && r.path === `/v1/volumes/${a.id}`)
        .map((r) => (r.request as { spec?: { ha_level?: string } }).spec?.ha_level);
      expect(levels).toEqual(['3', '2']);
    }
  });

  it('moved no pod', () => {
    const now = liveTasks(sb.mesos.tasks(), sb).filter((t) => t.taskId.startsWith(`${name}__`));
    expect(now.map((t) => t.taskId).sort()).toEqual(tasksBefore.map((t) => t.taskId).sort());
  });

  it('publishes each repair step as an event', () => {
    const events = readRecords(record, 'transitions').filter((t) => t.actor.startsWith('replicas/') && t.event === 'REPLICA_REPAIR');
    expect(events.length).toBeGreaterThanOrEqual(affected.length * 2);
    expect(events[0]!.reason).toMatch(/OFFLINE for \d+ s/);
  });

  it('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});
