import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { PlanView } from '../../src/api/operations';
import { expectConformantRecordings } from '../conformance/recordings';
import { eventually, frameworkYaml, startSandbox } from './helpers';
import { cli, cliJson, runningTasks } from './helpers-ops';
import { readRecords } from './helpers-recovery';

const GiB = 1024 ** 3;

/**
 * Issue 10 problem 3: `config update` accepted a size change (20Gi -> 30Gi here) and a repl change
 * (2 -> 3) and the volumes stayed at 20 GiB with 2 replicas. Both are now applied online through
 * the SDK as steps of the `update` plan, while the pods keep running.
 */
describe('config update grows volumes and adds replicas online, through the update plan', () => {
  let sb: Sandbox;
  let name: string;
  let yaml: string;
  let record: string | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'pxfw-config-volumes-'));

  beforeAll(async () => {
    const spec = frameworkYaml('cassandra');
    name = spec.name;
    yaml = spec.yaml;
    ({ sandbox: sb, record } = await startSandbox(spec.yaml));
    await sb.scheduler.waitDeployed(60_000);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  const dataVolumes = () => sb.portworx.volumes().filter((v) => v.labels['pxfw/service'] === name && !v.parentId);
  const rackOf = (host: string) => sb.mesos.agents().find((a) => a.hostname === host)?.rack;

  async function update(label: string, text: string) {
    const file = join(dir, `${label}.yml`);
    writeFileSync(file, text);
    return cli(name, 'config', 'update', file, '--yes');
  }

  it('growth 20Gi -> 30Gi: every data volume is 30 GiB in Portworx, grown online, and no pod restarted', async () => {
    const tasks = runningTasks(sb).map((t) => t.taskId).sort();
    expect(dataVolumes().map((v) => v.size)).toEqual([20 * GiB, 20 * GiB, 20 * GiB]);
    yaml = yaml.replace('size: 20Gi', 'size: 30Gi');
    const r = await update('grow', yaml);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    await eventually('every data volume at 30 GiB in Portworx', () => dataVolumes().every((v) => v.size === 30 * GiB), 30_000);
    expect(r.out).toMatch(/^configuration [0-9a-f]{12}: node volume data: size 20 -> 30 GiB \(online, pods keep running\); progress: pxfw \S+ plan status update$/m);
    expect(r.out).toMatch(/^pods to update: node-0, node-1, node-2$/m);
    await eventually('update plan complete', async () => (await cliJson<PlanView>(name, 'plan', 'status', 'update')).status === 'COMPLETE', 30_000);
    expect(dataVolumes().map((v) => v.size)).toEqual([30 * GiB, 30 * GiB, 30 * GiB]);
    // The pods kept running on the same tasks: nothing was restarted for a resize.
    expect(runningTasks(sb).map((t) => t.taskId).sort()).toEqual(tasks);
    const plan = await cliJson<PlanView>(name, 'plan', 'status', 'update');
    expect(plan.phases.map((p) => p.name)).toEqual(['volumes']);
    for (const s of plan.phases[0]!.steps) expect(s).toMatchObject({ status: 'COMPLETE', message: '30 GiB, filesystem grown online' });
    // On the wire: one VolumeUpdate of spec.size per volume.
    const puts = readRecords(record!, 'portworx').filter((x) => x.method === 'PUT' && x.path.startsWith('/v1/volumes/'));
    expect(puts.map((x) => (x.request as { spec: unknown }).spec)).toEqual([{ size: String(30 * GiB) }, { size: String(30 * GiB) }, { size: String(30 * GiB) }]);
    expect((await cli(name, 'config', 'show')).out).toMatch(/^\s+size: 30Gi$/m);
  });

  it('repl 2 -> 3: each volume gets a replica in a failure domain it had none in, and plan status shows the resync until it ends', async () => {
    const before = new Map(dataVolumes().map((v) => [v.name, v.replicaHosts]));
    const tasks = runningTasks(sb).map((t) => t.taskId).sort();
    yaml = yaml.replace('repl: 2', 'repl: 3');
    const r = await update('repl', yaml);
    expect(r.code, r.err).toBe(0);
    await eventually('a data volume with 3 replicas in Portworx', () => dataVolumes().some((v) => v.haLevel === 3 && v.replicaHosts.length === 3), 30_000);
    expect(r.out).toMatch(/node volume data: repl 2 -> 3 \(online, pods keep running\)/);
    // Progress while the new replica resyncs: the step is STARTING and says so.
    const resyncing = await eventually(
      'a step showing the resync',
      async () => {
        const plan = await cliJson<PlanView>(name, 'plan', 'status', 'update');
        return plan.phases[0]?.steps.find((s) => s.status === 'STARTING' && /^resync of the new replica on \S+: \d+% \(volume VOLUME_STATUS_DEGRADED\)$/.test(s.message ?? ''));
      },
      20_000,
    );
    expect(resyncing.name).toMatch(/^node-\d-data-repl$/);
    const human = await cli(name, 'plan', 'status', 'update');
    expect(human.out).toMatch(/^plan update: IN_PROGRESS$/m);
    expect(human.out).toMatch(/resync of the new replica on/);
    await eventually('update plan complete', async () => (await cliJson<PlanView>(name, 'plan', 'status', 'update')).status === 'COMPLETE', 60_000);
    for (const v of dataVolumes()) {
      const old = before.get(v.name)!;
      expect(v.haLevel).toBe(3);
      expect(v.replicaHosts.slice(0, 2)).toEqual(old);
      const added = v.replicaHosts[2]!;
      expect(old).not.toContain(added);
      // The new replica is in a failure domain (rack) that held none of the volume's replicas.
      expect(old.map(rackOf)).not.toContain(rackOf(added));
      expect(v.status).toBe('VOLUME_STATUS_UP');
    }
    const plan = await cliJson<PlanView>(name, 'plan', 'status', 'update');
    for (const s of plan.phases[0]!.steps) expect(s.message).toMatch(/^3 replicas in sync \(new replica on \S+\)$/);
    expect(runningTasks(sb).map((t) => t.taskId).sort()).toEqual(tasks);
    // On the wire: ha_level with the full replica set, the new node pinned.
    const puts = readRecords(record!, 'portworx').filter((x) => x.method === 'PUT' && (x.request as { spec?: { ha_level?: string } }).spec?.ha_level);
    expect(puts).toHaveLength(3);
    for (const p of puts) expect((p.request as { spec: { ha_level: string; replica_set: { nodes: string[] } } }).spec).toMatchObject({ ha_level: '3', replica_set: { nodes: expect.arrayContaining([expect.any(String)]) } });
  });

  it('a volume kept by a scale-down (volume_policy: retain) grows too, so a scale-up reuses it at the new size', async () => {
    expect((await cli(name, 'scale', 'node', '2', '--yes', '--wait')).code).toBe(0);
    const kept = dataVolumes().find((v) => v.name === `${name}-node-2-data`)!;
    expect(kept).toMatchObject({ size: 30 * GiB, attachedOn: [] });
    yaml = yaml.replace('size: 30Gi', 'size: 40Gi').replace(/^(\s+)count: 3$/m, '$1count: 2');
    const r = await update('grow-kept', yaml);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/size 30 -> 40 GiB \(online, pods keep running\) \(also the volumes kept for node-2\)/);
    expect(r.out).toMatch(/^pods to update: node-0, node-1$/m);
    await eventually('every data volume at 40 GiB, the kept one included', () => dataVolumes().length === 3 && dataVolumes().every((v) => v.size === 40 * GiB), 30_000);
    await eventually('update plan complete', async () => (await cliJson<PlanView>(name, 'plan', 'status', 'update')).status === 'COMPLETE', 30_000);
    const plan = await cliJson<PlanView>(name, 'plan', 'status', 'update');
    // Detached: Portworx grows its filesystem when it is next attached.
    expect(plan.phases[0]!.steps.find((s) => s.name === 'node-2-data-size')?.message).toBe('40 GiB; the filesystem grows when the volume is next attached');
    expect((await cli(name, 'scale', 'node', '3', '--yes', '--wait')).code).toBe(0);
    const back = dataVolumes().find((v) => v.name === `${name}-node-2-data`)!;
    expect(back).toMatchObject({ id: kept.id, size: 40 * GiB, haLevel: 3 });
    expect(back.attachedOn).toHaveLength(1);
  });

  it('every Portworx and Mesos exchange was conformant', () => {
    expectConformantRecordings(record!, { require: ['mesos', 'portworx'] });
  });
});
