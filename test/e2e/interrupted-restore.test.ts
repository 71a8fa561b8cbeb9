import { POD_TAGS } from '../../machines/pod-instance.logic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SimulatedCluster } from '../../src/sandbox/simulated-cluster';
import { SchedulerService } from '../../src/controller/scheduler-service';
import { parseSpec } from '../../src/service-spec';
import { buildRestorePlan } from '../../src/workflows/restore-workflow';
import type { PlanView } from '../../src/api/operations';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { eventually, frameworkYaml } from './helpers';
import { cli, cliJson } from './helpers-ops';

/**
 * A snapshot restore is the persisted `restore` plan (stop pods → restore volumes → start pods).
 * A scheduler killed after the pods stopped comes back with the plan as it was stored and resumes
 * it at that step: the volumes are restored and the pods started again (no special case at
 * start-up starting stopped pods any more).
 */
describe('a scheduler killed while a snapshot restore had its pods stopped', () => {
  let nc: NatsConnection;
  let cluster: SimulatedCluster;
  let scheduler: SchedulerService | undefined;

  beforeAll(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
    cluster = await SimulatedCluster.start({ agents: 6, racks: 3, speed: 10, nc });
  });
  afterAll(async () => {
    await scheduler?.stop();
    await cluster.stop();
    await nc.close();
  });

  it('resumes the restore plan from KV: restores every volume once and starts the pods again', async () => {
    const { yaml, name } = frameworkYaml('cassandra');
    const start = () =>
      SchedulerService.start({
        spec: parseSpec(yaml),
        specYaml: yaml,
        mesosUrl: cluster.mesos.url,
        portworxUrl: cluster.portworx.url,
        portworxLegacyUrl: cluster.portworx.url,
        nc,
        instanceId: `restore-${Date.now()}`,
        agentUrl: (id) => cluster.mesos.agentUrl(id),
        speed: 10,
      });
    scheduler = await start();
    await scheduler.waitDeployed(60_000);
    const volumes = () => cluster.portworx.volumes().filter((v) => v.labels['pxfw/service'] === name && !v.parentId);
    for (const v of volumes()) cluster.portworx.setMarker(v.id, 'v1');
    expect((await cli(name, 'snapshot', 'create', '--name', 's1')).code).toBe(0);
    for (const v of volumes()) cluster.portworx.setMarker(v.id, 'v2');
    const rt = scheduler.runtime;
    const snap = (await rt.snapshots.find('s1'))!;
    const pods = rt.registry.all().map((e) => e.name);
    // What KV holds when the scheduler dies right after the stop phase: pods stopped, the plan
    // stored with its first volume step STARTING.
    for (const e of rt.registry.all()) rt.registry.send(e, { type: 'STOP' });
    await eventually('pods stopped', () => rt.registry.all().every((e) => e.actor.getSnapshot().hasTag(POD_TAGS.stopped)));
    const plan = buildRestorePlan(snap, pods, new Date());
    plan.phases[0]!.steps.forEach((s) => (s.status = 'COMPLETE'));
    plan.phases[1]!.steps[0]!.status = 'STARTING';
    await rt.store.put('plans.restore', plan, 0);
    await scheduler.stop();

    scheduler = await start();
    await eventually(
      'pods running again',
      () => scheduler!.runtime.registry.all().length === 3 && scheduler!.runtime.registry.all().every((e) => e.actor.getSnapshot().hasTag(POD_TAGS.ready)),
      60_000,
    );
    expect(cluster.mesos.tasks().filter((t) => t.state === 'TASK_RUNNING' && t.taskId.startsWith(`${name}__`))).toHaveLength(3);
    for (const v of volumes()) expect(cluster.portworx.marker(v.id), v.name).toBe('v1');
    const status = await cliJson<PlanView>(name, 'plan', 'status', 'restore');
    expect(status.status).toBe('COMPLETE');
    expect(status.phases.map((p) => p.name)).toEqual(['stop-pods', 'restore-volumes', 'start-pods']);
  });
});
