import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SimulatedCluster } from '../../src/sandbox/simulated-cluster';
import { SchedulerService } from '../../src/controller/scheduler-service';
import type { PlanView } from '../../src/api/operations';
import { parseSpec } from '../../src/service-spec';
import { configId } from '../../src/controller/config-update-plan';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { eventually, frameworkYaml } from './helpers';
import { cli, cliJson } from './helpers-ops';

interface ConfigShowJson {
  yaml: string;
  target: string;
  previous: string | null;
  pods: { name: string; configId: string | null }[];
}

/**
 * Configurations are stored by id (`configs.<id>`) and `config.target` names the one the service
 * converges to. `config show` gives the target and each pod's; `config rollback` makes the
 * previous configuration the target again and rolls the pods back to it.
 */
describe('config target, show and rollback', () => {
  let nc: NatsConnection;
  let cluster: SimulatedCluster;
  let scheduler: SchedulerService | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'pxfw-config-rollback-'));

  beforeAll(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
    cluster = await SimulatedCluster.start({ agents: 6, racks: 3, speed: 10, nc });
  });
  afterAll(async () => {
    await scheduler?.stop();
    await cluster.stop();
    await nc.close();
  });

  it('rollback is refused with no previous configuration; after an update it rolls the pods back, and the target survives a restart', { timeout: 180_000 }, async () => {
    const { yaml, name } = frameworkYaml('cassandra');
    const start = () =>
      SchedulerService.start({
        spec: parseSpec(yaml),
        specYaml: yaml,
        mesosUrl: cluster.mesos.url,
        portworxUrl: cluster.portworx.url,
        portworxLegacyUrl: cluster.portworx.url,
        nc,
        instanceId: `config-rollback-${Date.now()}`,
        agentUrl: (id) => cluster.mesos.agentUrl(id),
        speed: 10,
      });
    scheduler = await start();
    await scheduler.waitDeployed(60_000);
    const original = configId(yaml);
    const first = await cliJson<ConfigShowJson>(name, 'config', 'show');
    expect(first).toMatchObject({ target: original, previous: null });

    const refused = await cli(name, 'config', 'rollback', '--yes');
    expect(refused.code).not.toBe(0);
    expect(refused.err).toMatch(/409 NO_PREVIOUS_CONFIG: no previous configuration of .* to roll back to/);

    const updated = yaml.replace('MAX_HEAP_SIZE: 2G', 'MAX_HEAP_SIZE: 3G');
    const file = join(dir, 'updated.yml');
    writeFileSync(file, updated);
    expect((await cli(name, 'config', 'update', file, '--yes')).code).toBe(0);
    const planComplete = async () => (await cliJson<PlanView>(name, 'plan', 'status', 'update')).status === 'COMPLETE';
    await eventually('update plan complete', planComplete, 60_000);
    const shown = await cliJson<ConfigShowJson>(name, 'config', 'show');
    expect(shown).toMatchObject({ target: configId(updated), previous: original });
    // Each restart step completed only once its pod ran, ready, with the target configuration.
    expect(shown.pods.map((p) => p.configId)).toEqual([configId(updated), configId(updated), configId(updated)]);

    // The target is in KV: a scheduler started again with the original file adopts it.
    await scheduler.stop();
    scheduler = await start();
    await scheduler.waitDeployed(60_000);
    expect(await cliJson<ConfigShowJson>(name, 'config', 'show')).toMatchObject({ target: configId(updated), previous: original });

    const back = await cli(name, 'config', 'rollback', '--yes');
    expect(back.code, back.err).toBe(0);
    expect(back.out).toMatch(/^rolling back to configuration [0-9a-f]{12}: rolling restart of 3 pods/m);
    await eventually('rollback plan complete', planComplete, 60_000);
    const after = await cliJson<ConfigShowJson>(name, 'config', 'show');
    expect(after).toMatchObject({ target: original, previous: null });
    expect(after.yaml).toBe(yaml);
    expect(after.pods.map((p) => p.configId)).toEqual([original, original, original]);
    expect((await cli(name, 'config', 'show')).out).toMatch(/^\s+MAX_HEAP_SIZE: 2G$/m);
  });
});
