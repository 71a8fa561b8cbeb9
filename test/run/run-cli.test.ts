import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type OnTestFinishedHandler } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SimulatedCluster } from '../../src/sandbox/simulated-cluster';
import { bucketExists, OWNER_KEY } from '../../src/state/bucket-owner';
import { ServiceStateStore } from '../../src/state/state-store';
import { freePort, PrivateNatsServer } from '../helpers/nats-server';
import { frameworkYaml } from '../e2e/helpers';
import { expectConformantRecordings } from '../conformance/recordings';
import { eventually, PxfwProcess } from './cli-process';

const SPEED = 10;

/**
 * `pxfw run` as Marathon runs it, against the simulators, with a NATS server of its own (these
 * tests kill NATS; the shared one on 4222 is never touched). Issue 10, problems 1 and 5.
 */
describe('pxfw run: busy ports, honest health, bounded SIGTERM, state that is not ours', () => {
  let nats: PrivateNatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await PrivateNatsServer.start();
    nc = await connect({ servers: nats.url });
  });
  afterAll(async () => {
    await nc?.close().catch(() => undefined);
    await nats?.dispose();
  });

  /** A test's own cleanup (its context's onTestFinished: tests marked it.concurrent run side by side). */
  type Cleanup = (fn: OnTestFinishedHandler) => void;

  /** A simulated cluster of the test's own, stopped when the test ends. */
  async function startCluster(cleanup: Cleanup, on: NatsConnection = nc): Promise<SimulatedCluster> {
    const c = await SimulatedCluster.start({ agents: 3, racks: 3, speed: SPEED, nc: on });
    cleanup(() => c.stop().catch(() => undefined));
    return c;
  }

  function specFile(): { path: string; name: string } {
    const { yaml, name } = frameworkYaml('cassandra');
    const path = join(mkdtempSync(join(tmpdir(), 'pxfw-run-')), `${name}.yml`);
    writeFileSync(path, yaml);
    return { path, name };
  }

  /** `pxfw run` against the cluster, killed when the test ends (registered after its cluster: killed first). */
  function run(cleanup: Cleanup, spec: string, c: SimulatedCluster, http: number, extra: string[] = [], instance = 'run-a'): PxfwProcess {
    const p = new PxfwProcess(
      ['run', '--spec', spec, '--mesos', c.mesos.url, '--portworx', c.portworx.url, '--portworx-legacy', c.portworx.url, '--nats', nats.url, '--http', String(http), ...extra],
      { env: { PXFW_TIME_SCALE: String(SPEED), MESOS_TASK_ID: instance }, killAfterMs: 40_000 },
    );
    cleanup(() => p.kill());
    return p;
  }

  async function health(port: number): Promise<{ status: number; body: { healthy: boolean; checks: Record<string, Record<string, unknown>>; details: { reasons: string[]; subscribed: boolean } } }> {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    return { status: res.status, body: (await res.json()) as never };
  }

  // Alone (not it.concurrent): it bounds how fast the process gives up.
  it('exits 1 at once with a one-line reason when its HTTP port is taken (before: ran on without HTTP)', async ({ onTestFinished }) => {
    const cluster = await startCluster(onTestFinished);
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '0.0.0.0', () => r()));
    onTestFinished(() => new Promise<void>((r) => blocker.close(() => r())));
    const taken = (blocker.address() as { port: number }).port;
    const spec = specFile();
    const r = await run(onTestFinished, spec.path, cluster, taken).exited;
    expect(r.killed, `still running after 40 s: ${r.err}`).toBe(false);
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(15_000);
    const lines = r.err.trim().split('\n');
    expect(lines, r.err).toHaveLength(1);
    expect(lines[0]).toBe(
      `pxfw: HttpPortUnavailableError: cannot serve HTTP on port ${taken}: it is in use by another process; free it or choose another port with --http PORT (PXFW_HTTP_PORT)`,
    );
    // It stopped before it touched anything: no framework registered, no state bucket made.
    expect(cluster.mesos.tasks()).toEqual([]);
    expect(await bucketExists(nc, spec.name)).toBe(false);
  });

  // The next four wait mostly on the simulators and the lease; each has its own cluster, service
  // name and ports, so they run side by side.
  it.concurrent('/health reports Mesos, Portworx and the lease separately, and answers 503 once Portworx is unreachable past the grace (before: 200)', async ({ onTestFinished }) => {
    const cluster = await startCluster(onTestFinished);
    const spec = specFile();
    const port = await freePort();
    const record = mkdtempSync(join(tmpdir(), 'pxfw-run-rec-'));
    run(onTestFinished, spec.path, cluster, port, ['--record', record]);
    const ok = await eventually('healthy', async () => {
      const h = await health(port);
      return h.status === 200 && h;
    }, 30_000);
    expect(ok.body.checks).toMatchObject({ mesos: { ok: true, subscribed: true }, portworx: { ok: true, reachable: true }, lease: { ok: true, leading: true } });

    await cluster.portworx.stop();
    // The grace is 30 s divided by the time scale: 3 s here.
    const down = await eventually('503 for Portworx', async () => {
      const h = await health(port);
      return h.status === 503 && h;
    }, 20_000);
    expect(down.body.healthy).toBe(false);
    expect(down.body.checks.portworx).toMatchObject({ ok: false, reachable: false });
    expect(down.body.checks.mesos).toMatchObject({ ok: true });
    expect(down.body.checks.lease).toMatchObject({ ok: true });
    expect(down.body.details.reasons.join('; ')).toMatch(/^Portworx unreachable for \d+ s: /);
    // The probe is an ordinary SDK call: recorded, and conformant to the OpenAPI document.
    const probes = readFileSync(join(record, 'portworx.jsonl'), 'utf8').split('\n').filter((l) => l.includes('/v1/clusters/inspectcurrent'));
    expect(probes.length).toBeGreaterThan(0);
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });

  it.concurrent('a standby instance answers 503 and names the lease holder', async ({ onTestFinished }) => {
    const cluster = await startCluster(onTestFinished);
    const spec = specFile();
    const [a, b] = [await freePort(), await freePort()];
    run(onTestFinished, spec.path, cluster, a, [], 'leader-1');
    await eventually('leader healthy', async () => (await health(a)).status === 200, 30_000);
    run(onTestFinished, spec.path, cluster, b, [], 'standby-2');
    const standby = await eventually('standby health', async () => {
      const h = await health(b).catch(() => undefined);
      // Until it has tried the lease, it does not know the holder yet.
      return h?.body.checks?.lease?.holder ? h : undefined;
      // As long as the leader may take: a second process starting beside three other tests' clusters on 2 cores.
    }, 30_000);
    expect(standby.status).toBe(503);
    expect(standby.body.checks.lease).toMatchObject({ ok: false, leading: false, holder: 'leader-1' });
    expect((await health(a)).status).toBe(200);
  });

  it.concurrent('SIGTERM with its dependencies up stops cleanly, exit status 0, and releases the lease', async ({ onTestFinished }) => {
    const cluster = await startCluster(onTestFinished);
    const spec = specFile();
    const port = await freePort();
    const p = run(onTestFinished, spec.path, cluster, port, ['--shutdown-grace', '10'], 'clean-1');
    await eventually('healthy', async () => (await health(port)).status === 200, 30_000);
    p.child.kill('SIGTERM');
    const r = await p.exited;
    expect(r.killed).toBe(false);
    expect(r.code, r.err).toBe(0);
    const store = await ServiceStateStore.open(nc, spec.name);
    expect(await store.get('lease')).toBeUndefined();
  });

  it.concurrent('refuses a state bucket that belongs to another service: exit 1, one line, the bucket untouched (before: used it)', async ({ onTestFinished }) => {
    const cluster = await startCluster(onTestFinished);
    const spec = specFile();
    const store = await ServiceStateStore.open(nc, spec.name);
    const owner = { service: 'kafka-prod', kind: 'scheduler', createdAt: '2026-12-01T00:00:00.000Z', createdBy: 'agent-7/4242' };
    await store.put(OWNER_KEY, owner, 0);
    const fw = await store.put('framework', { frameworkId: 'kafka-framework-id' }, 0);
    const r = await run(onTestFinished, spec.path, cluster, await freePort()).exited;
    expect(r.killed, `still running after 40 s: ${r.err}`).toBe(false);
    expect(r.code).toBe(1);
    const lines = r.err.trim().split('\n');
    expect(lines, r.err).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^pxfw: StateOwnershipError: state bucket pxfw-${spec.name} belongs to service 'kafka-prod', made by the scheduler of 'kafka-prod' \\(agent-7/4242, .*\\), not to '${spec.name}'; pick another service name\\. pxfw never deletes state it did not create: .*\\(nats kv rm pxfw-${spec.name}\\)$`));
    expect(await store.get('framework')).toEqual({ value: { frameworkId: 'kafka-framework-id' }, revision: fw });
    expect(await store.get('lease')).toBeUndefined();
    expect(cluster.mesos.tasks()).toEqual([]);
  });

  // Alone (not it.concurrent): it bounds how long the process takes after SIGTERM.
  it('SIGTERM while Mesos, Portworx and NATS are gone ends it within the grace period, status 1 naming what it abandoned (before: ran on)', async ({ onTestFinished }) => {
    const own = await PrivateNatsServer.start();
    const ownNc = await connect({ servers: own.url, maxReconnectAttempts: -1 });
    try {
      const cluster = await startCluster(onTestFinished, ownNc);
      const spec = specFile();
      const port = await freePort();
      const p = new PxfwProcess(
        ['run', '--spec', spec.path, '--mesos', cluster.mesos.url, '--portworx', cluster.portworx.url, '--portworx-legacy', cluster.portworx.url, '--nats', own.url, '--http', String(port)],
        { env: { PXFW_TIME_SCALE: String(SPEED), MESOS_TASK_ID: 'sigterm-1', PXFW_SHUTDOWN_GRACE: '4' }, killAfterMs: 40_000 },
      );
      onTestFinished(() => p.kill());
      await eventually('healthy', async () => (await health(port)).status === 200, 30_000);
      // Everything it depends on goes away: NATS first, so the state writes the loss of Mesos
      // causes can never land.
      await own.stop();
      await cluster.stop();
      await eventually('it notices Mesos is gone', async () => (await health(port)).body.details.subscribed === false, 20_000);
      const signalled = Date.now();
      p.child.kill('SIGTERM');
      const r = await p.exited;
      expect(r.killed, `still running 40 s after SIGTERM: ${r.err}`).toBe(false);
      expect(Date.now() - signalled).toBeLessThan(4000 + 2500);
      expect(r.code).toBe(1);
      expect(r.err.trim()).toMatch(/^pxfw: stopped after the 4 s shutdown grace period; abandoned: .*scheduler \(state writes, lease release\)$/);
    } finally {
      await ownNc.close().catch(() => undefined);
      await own.dispose();
    }
  });
});
