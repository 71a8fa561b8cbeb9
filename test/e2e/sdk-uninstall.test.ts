import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SimulatedCluster } from '../../src/sandbox/simulated-cluster';
import { freePort, SHARED_NATS_URL } from '../helpers/nats-server';
import { eventually, PxfwProcess } from '../run/cli-process';
import { frameworkYaml } from './helpers';
import { cli, kvKeys } from './helpers-ops';

const SPEED = 10;
const LIVE = new Set(['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING']);

/**
 * `dcos package uninstall` of a package labelled DCOS_COMMONS_API_VERSION v1: Cosmos restarts the
 * scheduler app with SDK_UNINSTALL=true and waits for the framework to go away. `pxfw run` then
 * uninstalls as `pxfw <service> uninstall --yes` does (volumes by volume_policy), and stays
 * `uninstalled` with its tombstone, as after the verb.
 */
describe('pxfw run with SDK_UNINSTALL (dcos-commons uninstall mode)', () => {
  let nc: NatsConnection;
  let cluster: SimulatedCluster;
  const procs: PxfwProcess[] = [];
  let spec: { path: string; name: string };

  beforeAll(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
    cluster = await SimulatedCluster.start({ agents: 4, racks: 2, speed: SPEED, nc });
    const { yaml, name } = frameworkYaml('cassandra');
    const path = join(mkdtempSync(join(tmpdir(), 'pxfw-sdk-uninstall-')), `${name}.yml`);
    writeFileSync(path, yaml);
    spec = { path, name };
  });
  afterAll(async () => {
    for (const p of procs) await p.kill();
    await cluster?.stop().catch(() => undefined);
    await nc?.close();
  });

  function run(http: number, env: Record<string, string> = {}): PxfwProcess {
    const p = new PxfwProcess(
      ['run', '--spec', spec.path, '--mesos', cluster.mesos.url, '--portworx', cluster.portworx.url, '--portworx-legacy', cluster.portworx.url, '--nats', SHARED_NATS_URL, '--http', String(http)],
      { env: { PXFW_TIME_SCALE: String(SPEED), ...env }, killAfterMs: 120_000 },
    );
    procs.push(p);
    return p;
  }
  const live = () => cluster.mesos.tasks().filter((t) => LIVE.has(t.state));
  const volumes = () => cluster.portworx.volumes().filter((v) => !v.parentId && v.name.startsWith(`${spec.name}-`));
  const framework = async (port: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
    return res ? ((await res.json()) as { details: { framework: string } }).details.framework : undefined;
  };

  it('restarted with SDK_UNINSTALL=true, it kills the pods, keeps the volumes (volume_policy retain), tears the framework down and stays uninstalled', async () => {
    const first = run(await freePort());
    await eventually('three pods running', () => live().length === 3 && cluster.mesos.tasks().every((t) => t.state === 'TASK_RUNNING'), 60_000);
    const before = volumes().map((v) => v.id).sort();
    expect(before).toHaveLength(3);
    // Cosmos' restart: Marathon stops the old task (SIGTERM) and starts the app with the new env.
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    expect(live()).toHaveLength(3);

    const port = await freePort();
    const uninstalling = run(port, { SDK_UNINSTALL: 'true' });
    await eventually('uninstalled', async () => (await framework(port)) === 'uninstalled', 90_000);
    expect(live()).toEqual([]);
    // What Cosmos waits for: the framework is gone from the master.
    expect(cluster.mesos.frameworks().filter((f) => f.name === spec.name)).toEqual([]);
    expect(volumes().map((v) => v.id).sort()).toEqual(before);
    expect(volumes().every((v) => v.attachedOn.length === 0)).toBe(true);
    const status = await cli(spec.name, 'status');
    expect(status.out).toMatch(new RegExp(`^${spec.name} is uninstalled`, 'm'));
    uninstalling.child.kill('SIGTERM');
    expect((await uninstalling.exited).code).toBe(0);
    expect(await kvKeys(spec.name)).toEqual(['meta.owner', 'tombstone']);
  }, 180_000);

  it('started again with SDK_UNINSTALL on the tombstone, it deploys nothing and sends no second uninstall', async () => {
    const tasksBefore = cluster.mesos.tasks().length;
    const port = await freePort();
    const again = run(port, { SDK_UNINSTALL: 'true' });
    await eventually('uninstalled', async () => (await framework(port)) === 'uninstalled', 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(cluster.mesos.tasks().length).toBe(tasksBefore);
    expect(cluster.mesos.frameworks().filter((f) => f.name === spec.name)).toEqual([]);
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
    expect(await kvKeys(spec.name)).toEqual(['meta.owner', 'tombstone']);
  }, 60_000);
});
