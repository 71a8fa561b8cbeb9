import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
 * Issue 10, problem 2, as Marathon runs it: `pxfw run` processes against the simulators. The
 * uninstall removes the scheduler's own Marathon app (a tiny local Marathon answers the DELETE and,
 * as Marathon does, stops the app's task with SIGTERM); a scheduler started again on that state
 * (before the fix: it exited 0, Marathon restarted it, and it deployed again) stays uninstalled.
 */
describe('pxfw run --marathon: uninstall removes the app, and a restarted scheduler stays uninstalled', () => {
  let nc: NatsConnection;
  let cluster: SimulatedCluster;
  let marathon: Server;
  let marathonUrl: string;
  const deletes: string[] = [];
  /** The task Marathon runs for the app: what a DELETE of the app stops. */
  let appTask: PxfwProcess | undefined;
  const procs: PxfwProcess[] = [];
  let spec: { path: string; name: string };

  beforeAll(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
    cluster = await SimulatedCluster.start({ agents: 4, racks: 2, speed: SPEED, nc });
    marathon = createServer((req, res) => {
      if (req.method === 'DELETE' && req.url?.startsWith('/v2/apps/')) {
        deletes.push(req.url);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ version: '2026-12-07T10:00:00.000Z', deploymentId: 'dep-7' }));
        // Marathon's deployment then kills the app's tasks (SIGTERM first).
        setTimeout(() => appTask?.child.kill('SIGTERM'), 100);
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => marathon.listen(0, '127.0.0.1', r));
    marathonUrl = `http://127.0.0.1:${(marathon.address() as AddressInfo).port}`;
    const { yaml, name } = frameworkYaml('cassandra');
    const path = join(mkdtempSync(join(tmpdir(), 'pxfw-tombstone-')), `${name}.yml`);
    writeFileSync(path, yaml);
    spec = { path, name };
  });
  afterAll(async () => {
    for (const p of procs) await p.kill();
    await cluster?.stop().catch(() => undefined);
    await new Promise<void>((r) => marathon?.close(() => r()));
    await nc?.close();
  });

  function run(http: number, extra: string[], env: Record<string, string>): PxfwProcess {
    const p = new PxfwProcess(
      ['run', '--spec', spec.path, '--mesos', cluster.mesos.url, '--portworx', cluster.portworx.url, '--portworx-legacy', cluster.portworx.url, '--nats', SHARED_NATS_URL, '--http', String(http), ...extra],
      { env: { PXFW_TIME_SCALE: String(SPEED), ...env }, killAfterMs: 90_000 },
    );
    procs.push(p);
    return p;
  }

  const health = async (port: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    return { status: res.status, body: (await res.json()) as { healthy: boolean; details: { framework: string; reasons: string[] } } };
  };
  const live = () => cluster.mesos.tasks().filter((t) => LIVE.has(t.state));

  it('uninstall --yes --wait removes the Marathon app last (DELETE /v2/apps/<MARATHON_APP_ID>?force=true); SIGTERM then ends pxfw run with status 0', async () => {
    const port = await freePort();
    appTask = run(port, ['--marathon', marathonUrl], { MARATHON_APP_ID: `/${spec.name}`, MARATHON_APP_VERSION: '2026-12-07T09:00:00.000Z', MESOS_TASK_ID: 'app-task-1' });
    await eventually('three pods running', () => live().length === 3 && cluster.mesos.tasks().every((t) => t.state === 'TASK_RUNNING'), 60_000);
    const r = await cli(spec.name, 'uninstall', '--yes', '--wait', '--timeout', '60');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const exited = await appTask.exited;
    expect(exited.killed).toBe(false);
    expect(exited.code).toBe(0);
    expect(deletes).toEqual([`/v2/apps/${spec.name}?force=true`]);
    expect(live()).toEqual([]);
    // The clean stop released the lease: what is left is the owner record and the tombstone.
    expect(await kvKeys(spec.name)).toEqual(['meta.owner', 'tombstone']);
  });

  it('pxfw run started again on that state deploys nothing: /health 200 uninstalled, the CLI says so, SIGTERM exits 0', async () => {
    const tasksBefore = cluster.mesos.tasks().length;
    const port = await freePort();
    const again = run(port, ['--marathon', marathonUrl], { MARATHON_APP_ID: `/${spec.name}`, MARATHON_APP_VERSION: '2026-12-07T11:00:00.000Z', MESOS_TASK_ID: 'app-task-2' });
    const h = await eventually('healthy', async () => {
      const x = await health(port).catch(() => undefined);
      return x?.status === 200 && x;
    }, 30_000);
    expect(h.body.details.framework).toBe('uninstalled');
    await new Promise((res) => setTimeout(res, 2000));
    expect(cluster.mesos.tasks().length).toBe(tasksBefore);
    expect(cluster.mesos.frameworks().filter((f) => f.name === spec.name)).toEqual([]);
    // Its app (a later version, installed again) is not removed: the step was done by the first one.
    expect(deletes).toHaveLength(1);
    const status = await cli(spec.name, 'status');
    expect(status.out).toMatch(new RegExp(`^${spec.name} is uninstalled \\(since .*removed Marathon app /${spec.name} \\(deployment dep-7\\)\\): \`pxfw ${spec.name} reinstall --yes\` deploys it again$`, 'm'));
    again.child.kill('SIGTERM');
    const exited = await again.exited;
    expect(exited.code).toBe(0);
  });
});
