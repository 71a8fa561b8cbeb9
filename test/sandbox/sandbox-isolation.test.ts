import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Sandbox } from '../../src/sandbox/sandbox';
import { resolveNats } from '../../src/sandbox/nats-resolve';
import { PrerequisiteError } from '../../src/errors';
import { bucketExists, OWNER_KEY } from '../../src/state/bucket-owner';
import { StateOwnershipError } from '../../src/state/errors';
import { ServiceStateStore } from '../../src/state/state-store';
import { DEFAULT_SANDBOX_HTTP_PORT } from '../../src/cli/sandbox.command';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { frameworkYaml } from '../e2e/helpers';
import { PxfwProcess } from '../run/cli-process';

/** No NATS_URL, no PXFW_HTTP_PORT: what a person typing `npm start` has. */
const FRESH_ENV = { NATS_URL: undefined, PXFW_HTTP_PORT: undefined, PXFW_RECORD_DIR: undefined };

function specFile(): { path: string; name: string; yaml: string } {
  const { yaml, name } = frameworkYaml('cassandra');
  const path = join(mkdtempSync(join(tmpdir(), 'pxfw-sbx-')), `${name}.yml`);
  writeFileSync(path, yaml);
  return { path, name, yaml };
}

function sandbox(args: string[]): PxfwProcess {
  return new PxfwProcess(['sandbox', '--until', 'deployed', '--speed', '10', ...args], { env: FRESH_ENV, killAfterMs: 45_000 });
}

/** A real service's state on the shared NATS: owner record, framework id and a held lease. */
async function realServiceState(nc: NatsConnection, service: string) {
  const store = await ServiceStateStore.open(nc, service);
  await store.put(OWNER_KEY, { service, kind: 'scheduler', createdAt: '2026-12-01T00:00:00.000Z', createdBy: 'agent-3/77' }, 0);
  const framework = await store.put('framework', { frameworkId: 'real-framework-0001' }, 0);
  const lease = await store.put('lease', { holder: 'real-scheduler', expiresAt: Date.now() + 3_600_000 }, 0);
  return {
    store,
    async expectUntouched() {
      expect(await store.get('framework')).toEqual({ value: { frameworkId: 'real-framework-0001' }, revision: framework });
      expect((await store.get<{ holder: string }>('lease'))?.revision).toBe(lease);
      expect((await store.get<{ holder: string }>('lease'))?.value.holder).toBe('real-scheduler');
    },
  };
}

describe('the sandbox owns its world (issue 10, problem 1)', () => {
  let nc: NatsConnection;
  const cleanup: string[] = [];
  beforeAll(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
  });
  afterAll(async () => {
    // Only the buckets these tests made.
    for (const n of cleanup) if (await bucketExists(nc, n)) await (await ServiceStateStore.open(nc, n)).destroy();
    await nc.close();
  });

  it('two sandboxes run side by side, each with its own NATS; a taken default console port falls back to a free one and says so', async () => {
    // Hold the default port (if nobody else does already), so both must fall back.
    let held: Server | undefined = createServer();
    await new Promise<void>((r) => {
      held!.once('error', () => {
        held = undefined;
        r();
      });
      held!.listen(DEFAULT_SANDBOX_HTTP_PORT, '0.0.0.0', () => r());
    });
    try {
      const spec = specFile();
      const [a, b] = [sandbox(['--framework', spec.path]), sandbox(['--framework', spec.path])];
      const [ra, rb] = await Promise.all([a.exited, b.exited]);
      for (const r of [ra, rb]) {
        expect(r.killed, r.err).toBe(false);
        expect(r.code, r.err).toBe(0);
        expect(r.out).toContain(`deploy plan complete for ${spec.name}`);
        expect(r.out).toContain(`port ${DEFAULT_SANDBOX_HTTP_PORT} is taken: the console is on port `);
      }
      const natsOf = (out: string) => /nats (nats:\/\/\S+)/.exec(out)?.[1];
      const dashOf = (out: string) => /console (http:\/\/\S+)\//.exec(out)?.[1];
      expect(natsOf(ra.out)).not.toBe(natsOf(rb.out));
      for (const r of [ra, rb]) expect(natsOf(r.out)).not.toBe('nats://127.0.0.1:4222');
      expect(dashOf(ra.out)).not.toBe(dashOf(rb.out));
      // Nothing of theirs is on the shared server.
      expect(await bucketExists(nc, spec.name)).toBe(false);
    } finally {
      await new Promise<void>((r) => (held ? held.close(() => r()) : r()));
    }
  });

  it('with --nats it runs namespaced by its sandbox id: a real service of the same name keeps its state and lease; it removes only its own bucket', async () => {
    const spec = specFile();
    cleanup.push(spec.name);
    const real = await realServiceState(nc, spec.name);
    const r = await sandbox(['--framework', spec.path, '--nats', SHARED_NATS_URL, '--http', '0']).exited;
    expect(r.killed, r.err).toBe(false);
    expect(r.code, r.err).toBe(0);
    const ns = new RegExp(`the service runs as (${spec.name}-sb[0-9a-f]{6}) \\(sandbox sb[0-9a-f]{6}\\)`).exec(r.out)?.[1];
    expect(ns, r.out).toBeDefined();
    expect(r.out).toContain(`try: pxfw ${ns} pod list --nats ${SHARED_NATS_URL}`);
    await real.expectUntouched();
    expect(await bucketExists(nc, ns!)).toBe(false);
  });

  it('without a namespace it refuses a bucket it did not create and deletes nothing', async () => {
    const spec = specFile();
    cleanup.push(spec.name);
    const real = await realServiceState(nc, spec.name);
    const err = await Sandbox.start({ specYaml: spec.yaml, nats: SHARED_NATS_URL, agents: 3, racks: 3, speed: 10 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateOwnershipError);
    expect((err as Error).message).toMatch(/already exists, made by the scheduler of .*the sandbox never uses or deletes state it did not create/);
    await real.expectUntouched();
  });

  it('an explicit --http port that is taken ends the sandbox at once: status 1, one line; --until deployed does not hang', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '0.0.0.0', () => r()));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const r = await sandbox(['--framework', specFile().path, '--http', String(taken)]).exited;
      expect(r.killed, 'still running after 45 s').toBe(false);
      expect(r.code).toBe(1);
      expect(r.ms).toBeLessThan(15_000);
      expect(r.err.trim().split('\n')).toEqual([
        `pxfw: HttpPortUnavailableError: cannot serve HTTP on port ${taken}: it is in use by another process; free it or choose another port with --http PORT (PXFW_HTTP_PORT)`,
      ]);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  it('SIGTERM stops it and everything it started: status 0, its own NATS server gone', async () => {
    const p = new PxfwProcess(['sandbox', '--speed', '10', '--http', '0', '--framework', specFile().path], { env: FRESH_ENV, killAfterMs: 45_000 });
    await p.waitForOutput('console http://', 30_000);
    const url = /nats (nats:\/\/\S+)/.exec(p.out)![1]!;
    p.child.kill('SIGTERM');
    const r = await p.exited;
    expect(r.killed).toBe(false);
    expect(r.code, r.err).toBe(0);
    await expect(connect({ servers: url, reconnect: false, timeout: 1000 })).rejects.toThrow();
  });

  it('without nats-server installed, says which Debian package to install', async () => {
    const err = await resolveNats(undefined, () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrerequisiteError);
    expect((err as PrerequisiteError).packageName).toBe('nats-server');
    expect((err as Error).message).toContain("apt-get install nats-server");
  });
});
