import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors';
import {
  DcosLoginError,
  MesosAuthError,
  MesosOperatorClient,
  MesosSchedulerClient,
  createAuthProvider,
  type SchedulerClientEvent,
} from '../../src/mesos';
import { FakeMaster, accepted, eventStream, reply, until } from './helpers/fake-master';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pkcs8Pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const pkcs1Pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const issuerSecret = new TextEncoder().encode('iam-test-secret-that-is-long-enough');

/**
 * A stand-in for DC/OS IAM's login endpoint: verifies the service login JWT with the account's
 * public key (RS256, uid claim, exp set) and issues an auth token that expires in `ttlSeconds`.
 */
class FakeIam {
  logins: { uid: string; exp: number }[] = [];
  issued: string[] = [];
  rejections = 0;
  private constructor(
    private readonly server: Server,
    private readonly verifyKey: KeyObject,
    public ttlSeconds: number,
  ) {}

  static async start(verifyKey: KeyObject = publicKey, ttlSeconds = 3600): Promise<FakeIam> {
    let self: FakeIam | undefined;
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => void self!.handle(req.url ?? '', text, res));
    });
    self = new FakeIam(server, verifyKey, ttlSeconds);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    return self;
  }

  get loginEndpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/acs/api/v1/auth/login`;
  }

  private async handle(path: string, text: string, res: import('node:http').ServerResponse): Promise<void> {
    try {
      if (path !== '/acs/api/v1/auth/login') throw new Error(`unexpected path ${path}`);
      const body = JSON.parse(text) as { uid: string; token: string };
      const { payload, protectedHeader } = await jwtVerify(body.token, this.verifyKey, { algorithms: ['RS256'] });
      if (payload.uid !== body.uid || typeof payload.exp !== 'number') throw new Error('bad claims');
      expect(protectedHeader.alg).toBe('RS256');
      this.logins.push({ uid: body.uid, exp: payload.exp });
      const token = await new SignJWT({ uid: body.uid, n: this.logins.length })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(Math.floor(Date.now() / 1000) + this.ttlSeconds)
        .sign(issuerSecret);
      this.issued.push(token);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
    } catch (err) {
      this.rejections += 1;
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ title: String(err) }));
    }
  }
}

async function master(handler: Parameters<typeof FakeMaster.start>[0]): Promise<FakeMaster> {
  const m = await FakeMaster.start(handler);
  cleanups.push(() => m.close());
  return m;
}

describe('Mesos authentication', () => {
  it('sends HTTP Basic credentials on SUBSCRIBE and on every call', async () => {
    const m = await master((req, res) => {
      if (req.body.type !== 'SUBSCRIBE') return accepted(res);
      eventStream(res, 's1').send({ type: 'SUBSCRIBED', subscribed: { framework_id: { value: 'fw' } } });
    });
    const c = new MesosSchedulerClient({
      master: m.url,
      framework: { name: 'x', roles: ['r'] },
      auth: { type: 'basic', principal: 'pxfw', secret: 's3cret' },
    });
    const events: SchedulerClientEvent[] = [];
    c.onEvent((e) => events.push(e));
    cleanups.push(() => c.stop());
    c.start();
    await until(() => events.length === 1);
    await c.revive();
    const expected = `Basic ${Buffer.from('pxfw:s3cret').toString('base64')}`;
    expect(m.requests.map((r) => r.headers.authorization)).toEqual([expected, expected]);
  });

  it('logs a service account in with an RS256 JWT and sends "Authorization: token=<token>"', async () => {
    const iam = await FakeIam.start();
    const m = await master((req, res) => {
      const ok = req.headers.authorization === `token=${iam.issued.at(-1)}`;
      return ok ? reply(res, 200, '{"type":"GET_AGENTS","get_agents":{}}') : reply(res, 401, 'bad token');
    });
    const op = new MesosOperatorClient({
      master: m.url,
      auth: { type: 'dcos-service-account', uid: 'pxfw-sa', privateKeyPem: pkcs8Pem, loginEndpoint: iam.loginEndpoint },
    });
    await op.getAgents();
    await op.getAgents();
    expect(iam.logins).toHaveLength(1);
    expect(iam.logins[0]!.uid).toBe('pxfw-sa');
    expect(iam.rejections).toBe(0);
  });

  it('accepts a PKCS#1 ("RSA PRIVATE KEY") PEM as well', async () => {
    const iam = await FakeIam.start();
    const auth = createAuthProvider({
      type: 'dcos-service-account',
      uid: 'sa',
      privateKeyPem: pkcs1Pem,
      loginEndpoint: iam.loginEndpoint,
    });
    expect(await auth.header()).toBe(`token=${iam.issued[0]}`);
  });

  it('renews the token before it expires', async () => {
    const iam = await FakeIam.start(publicKey, 600);
    let now = Date.now();
    const auth = createAuthProvider(
      {
        type: 'dcos-service-account',
        uid: 'sa',
        privateKeyPem: pkcs8Pem,
        loginEndpoint: iam.loginEndpoint,
        refreshMarginSeconds: 60,
      },
      { now: () => now },
    );
    const first = await auth.header();
    now += 500_000; // 100 s before expiry: still outside the 60 s margin
    expect(await auth.header()).toBe(first);
    now += 50_000; // 50 s before expiry: inside the margin
    const second = await auth.header();
    expect(second).not.toBe(first);
    expect(iam.logins).toHaveLength(2);
  });

  it('logs in again and retries once when the master answers 401', async () => {
    const iam = await FakeIam.start();
    let rejectNext = true;
    const m = await master((req, res) => {
      if (rejectNext) {
        rejectNext = false;
        return reply(res, 401, 'token expired');
      }
      expect(req.headers.authorization).toBe(`token=${iam.issued[1]}`);
      reply(res, 200, '{"type":"GET_TASKS","get_tasks":{}}');
    });
    const op = new MesosOperatorClient({
      master: m.url,
      auth: { type: 'dcos-service-account', uid: 'sa', privateKeyPem: pkcs8Pem, loginEndpoint: iam.loginEndpoint },
    });
    await op.getTasks();
    expect(iam.logins).toHaveLength(2);
    expect(m.requests).toHaveLength(2);
  });

  it('gives a terminal MesosAuthError when the master keeps refusing', async () => {
    const iam = await FakeIam.start();
    const m = await master((_req, res) => reply(res, 403, 'principal not authorized'));
    const op = new MesosOperatorClient({
      master: m.url,
      auth: { type: 'dcos-service-account', uid: 'sa', privateKeyPem: pkcs8Pem, loginEndpoint: iam.loginEndpoint },
    });
    const err = await op.getAgents().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MesosAuthError);
    expect(err).toMatchObject({ retryable: false, status: 403 });
  });

  it('reports a login the IAM rejects (wrong key) as a non-retryable DcosLoginError', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const iam = await FakeIam.start(other.publicKey);
    const auth = createAuthProvider({
      type: 'dcos-service-account',
      uid: 'sa',
      privateKeyPem: pkcs8Pem,
      loginEndpoint: iam.loginEndpoint,
    });
    const err = await auth.header().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DcosLoginError);
    expect(err).toMatchObject({ retryable: false, status: 401 });
  });

  it('rejects an unreadable private key and a missing field up front, naming the field', () => {
    expect(() =>
      createAuthProvider({
        type: 'dcos-service-account',
        uid: 'sa',
        privateKeyPem: '-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----',
        loginEndpoint: 'http://127.0.0.1:1/acs/api/v1/auth/login',
      }),
    ).toThrow(/auth\.privateKeyPem/);
    expect(() => createAuthProvider({ type: 'basic', principal: 'p', secret: '' })).toThrow(ValidationError);
    expect(() => createAuthProvider({ type: 'basic', principal: 'p', secret: '' })).toThrow(/auth\.secret/);
  });
});
