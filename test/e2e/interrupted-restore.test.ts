import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SimulatedCluster } from '../../src/sandbox/simulated-cluster';
import { SchedulerService } from '../../src/controller/scheduler-service';
import { parseSpec } from '../../src/service-spec';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { eventually, frameworkYaml } from './helpers';

describe('a scheduler restarted while a snapshot restore had its pods stopped', () => {
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

  it('starts the stopped pods again instead of leaving the service down', async () => {
    const { yaml } = frameworkYaml('cassandra');
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
    const registry = scheduler.runtime.registry;
    // The first half of a restore: every pod stopped (tasks killed, volumes released) …
    for (const e of registry.all()) registry.send(e, { type: 'STOP' });
    await eventually('pods stopped', () => registry.all().every((e) => e.state === 'stopped'));
    // … then the scheduler goes away before starting them again.
    await scheduler.stop();
    scheduler = await start();
    await eventually(
      'pods running again',
      () => scheduler!.runtime.registry.all().length === 3 && scheduler!.runtime.registry.all().every((e) => e.state === 'running.up'),
      60_000,
    );
    expect(cluster.mesos.tasks().filter((t) => t.state === 'TASK_RUNNING')).toHaveLength(3);
  });
});
