import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { errors, type NatsConnection } from '@nats-io/transport-node';
import { Svcm } from '@nats-io/services';
import { startCommandService, type CommandService } from '../../src/api/command-service';
import type { AuditRecord } from '../../src/api/audit';
import { VERBS } from '../../src/api/verbs';
import { connectNats } from '../../src/nats/connect';
import { ServiceStateStore } from '../../src/state/state-store';
import { StateUnavailableError } from '../../src/state/errors';
import { PrivateNatsServer } from '../helpers/nats-server';
import { FakeOperations } from './fake-operations';
import { memoryLogger, runCli } from './helpers';

const CONFIG = resolve(__dirname, '../../deploy/nats/pxfw-auth.conf');
const PASSWORDS = {
  PXFW_SCHEDULER_PASSWORD: 'scheduler-secret',
  PXFW_BRIDGE_PASSWORD: 'bridge-secret',
  PXFW_OPERATOR_PASSWORD: 'operator-secret',
  PXFW_VIEWER_PASSWORD: 'viewer-secret',
};

describe('NATS access control with deploy/nats/pxfw-auth.conf', () => {
  let server: PrivateNatsServer;
  let scheduler: NatsConnection;
  let commands: CommandService;
  const ops = new FakeOperations('cassandra');
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    // nats-server reads the passwords from its environment ($PXFW_*_PASSWORD in the config).
    for (const [k, v] of Object.entries(PASSWORDS)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    server = await PrivateNatsServer.start(['-c', CONFIG]);
    scheduler = await connectNats({ url: server.url, user: 'pxfw-cassandra', password: PASSWORDS.PXFW_SCHEDULER_PASSWORD });
    commands = await startCommandService(scheduler, ops, { logger: memoryLogger().logger, audit: { logger: memoryLogger().logger } });
  });

  afterAll(async () => {
    await commands?.stop();
    await scheduler?.close();
    await server?.dispose();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const as = (user: 'viewer' | 'operator', args: string[]) =>
    runCli(undefined, 'cassandra', ['--nats', server.url, ...args], {
      NATS_USER: user,
      NATS_PASSWORD: user === 'viewer' ? PASSWORDS.PXFW_VIEWER_PASSWORD : PASSWORDS.PXFW_OPERATOR_PASSWORD,
    });

  it('grants the viewer exactly the verbs marked read-only', () => {
    const conf = readFileSync(CONFIG, 'utf8');
    const viewerBlock = conf.slice(conf.indexOf('user: "viewer"'));
    const granted = [...viewerBlock.matchAll(/"pxfw\.\*\.([a-z.-]+)"/g)].map((m) => m[1]).sort();
    expect(granted).toEqual(VERBS.filter((v) => v.readOnly).map((v) => v.verb).sort());
  });

  it('lets the viewer run read-only verbs', async () => {
    for (const args of [['pod', 'list'], ['plan', 'status'], ['pod', 'info', 'node-0'], ['snapshot', 'list'], ['endpoints'], ['debug', 'offers'], ['config', 'show']]) {
      const r = await as('viewer', args);
      expect(r.err, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
  });

  it('denies the viewer a destructive verb at the server, before the scheduler sees it', async () => {
    const before = ops.mutations;
    const r = await as('viewer', ['pod', 'replace', 'node-1', '--yes']);
    expect(r).toEqual({
      code: 1,
      out: '',
      err: 'pxfw: NATS denied the request on pxfw.cassandra.pod.replace: your NATS user may not run this command (see docs/access-control.md)\n',
    });
    expect((await as('viewer', ['scale', 'node', '5', '--yes'])).code).toBe(1);
    expect((await as('viewer', ['plan', 'pause'])).code).toBe(1);
    expect(ops.mutations).toBe(before);
    expect(ops.pods.get('node-1')?.state).toBe('running');
  });

  it('lets the operator run a destructive verb, audited under its NATS user', async () => {
    const operator = await connectNats({ url: server.url, user: 'operator', password: PASSWORDS.PXFW_OPERATOR_PASSWORD });
    try {
      const sub = operator.subscribe('pxfw.cassandra.events.audit', { max: 1 });
      await operator.flush();
      const r = await as('operator', ['pod', 'replace', 'node-1', '--yes']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^pod node-1 is being replaced/);
      expect(ops.pods.get('node-1')?.state).toBe('re-attaching');
      for await (const m of sub) expect(m.json<AuditRecord>()).toMatchObject({ verb: 'pod.replace', user: 'operator', result: 'ok' });
    } finally {
      await operator.close();
    }
  });

  it('lets both roles discover schedulers through $SRV', async () => {
    const viewer = await connectNats({ url: server.url, user: 'viewer', password: PASSWORDS.PXFW_VIEWER_PASSWORD });
    try {
      const found = [];
      for await (const p of await new Svcm(viewer as unknown as ConstructorParameters<typeof Svcm>[0]).client().ping('pxfw')) found.push(p.id);
      expect(found).toEqual([commands.id]);
    } finally {
      await viewer.close();
    }
  });

  it('does not let the operator forge audit events', async () => {
    const operator = await connectNats({ url: server.url, user: 'operator', password: PASSWORDS.PXFW_OPERATOR_PASSWORD });
    try {
      const denied = (async () => {
        for await (const s of operator.status()) {
          if (s.type === 'error') return s.error;
        }
        return undefined;
      })();
      operator.publish('pxfw.cassandra.events.audit', JSON.stringify({ verb: 'forged' }));
      const err = await denied;
      expect(err).toBeInstanceOf(errors.PermissionViolationError);
      expect((err as InstanceType<typeof errors.PermissionViolationError>).subject).toBe('pxfw.cassandra.events.audit');
    } finally {
      await operator.close();
    }
  });

  it('lets the scheduler keep its state in its own KV bucket, and no other', async () => {
    const store = await ServiceStateStore.open(scheduler, 'cassandra');
    try {
      const rev = await store.put('pods.node-0', { state: 'running' }, 0);
      await store.put('pods.node-0', { state: 'failed' }, rev);
      expect((await store.get('pods.node-0'))?.value).toEqual({ state: 'failed' });
      await store.modify<number>('counter', (n) => (n ?? 0) + 1);
      expect(await store.keys('pods.')).toEqual(['pods.node-0']);
      await store.delete('pods.node-0');
    } finally {
      await store.destroy();
    }
    await expect(ServiceStateStore.open(scheduler, 'kafka')).rejects.toBeInstanceOf(StateUnavailableError);
  });

  it('refuses a wrong password with a clear connection error', async () => {
    const r = await runCli(undefined, 'cassandra', ['--nats', server.url, 'pod', 'list'], { NATS_USER: 'viewer', NATS_PASSWORD: 'wrong' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^pxfw: cannot connect to NATS at .*: .*(Authorization Violation|authorization)/i);
  });
});
