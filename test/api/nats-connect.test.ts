import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys, type Authenticator, type NatsConnection } from '@nats-io/nats-core';
import { ValidationError } from '../../src/errors';
import { connectionOptions, connectNats, NatsUnreachableError, natsSettingsFromEnv } from '../../src/nats/connect';
import { PrivateNatsServer } from '../helpers/nats-server';

const dir = mkdtempSync(join(tmpdir(), 'pxfw-nats-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Sign a server nonce the way the client will during CONNECT. */
function authWith(authenticator: Authenticator | Authenticator[] | undefined, nonce = 'abc123'): Record<string, unknown> {
  const fn = Array.isArray(authenticator) ? authenticator[0] : authenticator;
  if (!fn) throw new Error('no authenticator');
  return fn(nonce) as unknown as Record<string, unknown>;
}

function verifies(publicKey: unknown, sig: unknown, nonce = 'abc123'): boolean {
  const kp = nkeys.fromPublic(String(publicKey));
  return kp.verify(new TextEncoder().encode(nonce), Buffer.from(String(sig), 'base64url'));
}

describe('NATS credentials (src/nats/connect.ts)', () => {
  it('reads every setting from its environment twin, --nats taking precedence over NATS_URL', () => {
    const env = {
      NATS_URL: 'nats://env:4222',
      NATS_CREDS: '/c',
      NATS_NKEY: '/n',
      NATS_TOKEN: 't',
      NATS_USER: 'u',
      NATS_PASSWORD: 'p',
      NATS_TLS_CA: '/ca',
      NATS_TLS_CERT: '/cert',
      NATS_TLS_KEY: '/key',
    };
    expect(natsSettingsFromEnv(env, 'nats://flag:4222')).toEqual({
      url: 'nats://flag:4222',
      credsFile: '/c',
      nkeySeedFile: '/n',
      token: 't',
      user: 'u',
      password: 'p',
      tlsCaFile: '/ca',
      tlsCertFile: '/cert',
      tlsKeyFile: '/key',
    });
    expect(natsSettingsFromEnv({}).url).toBe('nats://127.0.0.1:4222');
  });

  it('passes user and password', () => {
    const opts = connectionOptions({ url: 'nats://a:4222,nats://b:4222', user: 'viewer', password: 'pw' });
    expect(opts).toMatchObject({ servers: ['nats://a:4222', 'nats://b:4222'], user: 'viewer', pass: 'pw', maxReconnectAttempts: -1 });
    expect(opts.token).toBeUndefined();
    expect(opts.authenticator).toBeUndefined();
  });

  it('passes a token', () => {
    expect(connectionOptions({ token: 's3cret' })).toMatchObject({ token: 's3cret' });
  });

  it('signs the server nonce with an nkey seed file', () => {
    const user = nkeys.createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    const opts = connectionOptions({ nkeySeedFile: file('user.nk', `${seed}\n`) });
    const auth = authWith(opts.authenticator);
    expect(auth.nkey).toBe(user.getPublicKey());
    expect(verifies(auth.nkey, auth.sig)).toBe(true);
  });

  it('presents the JWT and signs the nonce with a .creds file', () => {
    const user = nkeys.createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    const jwt = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJ0ZXN0In0.c2ln';
    const creds = [
      '-----BEGIN NATS USER JWT-----',
      jwt,
      '------END NATS USER JWT------',
      '',
      '-----BEGIN USER NKEY SEED-----',
      seed,
      '------END USER NKEY SEED------',
      '',
    ].join('\n');
    const opts = connectionOptions({ credsFile: file('user.creds', creds) });
    const auth = authWith(opts.authenticator);
    expect(auth.jwt).toBe(jwt);
    expect(verifies(user.getPublicKey(), auth.sig)).toBe(true);
  });

  it('passes TLS files, the client cert only with its key', () => {
    expect(connectionOptions({ tlsCaFile: '/ca.pem' }).tls).toEqual({ caFile: '/ca.pem', certFile: undefined, keyFile: undefined });
    expect(connectionOptions({ tlsCaFile: '/ca.pem', tlsCertFile: '/c.pem', tlsKeyFile: '/k.pem', user: 'u' }).tls).toEqual({
      caFile: '/ca.pem',
      certFile: '/c.pem',
      keyFile: '/k.pem',
    });
    expect(() => connectionOptions({ tlsCertFile: '/c.pem' })).toThrow(/TLS client cert and key go together/);
  });

  it('refuses two credentials at once, naming the environment variables', () => {
    const pairs = [
      { token: 't', user: 'u' },
      { credsFile: '/c', nkeySeedFile: '/n' },
      { credsFile: '/c', token: 't' },
    ];
    for (const settings of pairs) {
      let thrown: unknown;
      try {
        connectionOptions(settings);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ValidationError);
      expect((thrown as ValidationError).message).toMatch(/choose one NATS credential: .*NATS_CREDS.*NATS_NKEY.*NATS_TOKEN.*NATS_USER/);
      expect((thrown as ValidationError).issues[0]?.path).toBe('credentials');
    }
  });

  it('refuses a password without a user', () => {
    expect(() => connectionOptions({ password: 'p' })).toThrow('NATS_PASSWORD needs NATS_USER');
  });

  it('names an unreadable credential file', () => {
    expect(() => connectionOptions({ credsFile: join(dir, 'missing.creds') })).toThrow(/cannot read NATS_CREDS file .*missing\.creds: ENOENT/);
    expect(() => connectionOptions({ nkeySeedFile: join(dir, 'missing.nk') })).toThrow(/cannot read NATS_NKEY file/);
  });

  describe('against a server that requires a token', () => {
    let server: PrivateNatsServer | undefined;
    afterAll(async () => server?.dispose());

    it('connects with the right token and reports NATS_UNREACHABLE with the wrong one', async () => {
      server = await PrivateNatsServer.start(['--auth', 'tok-123']);
      const nc: NatsConnection = await connectNats({ url: server.url, token: 'tok-123' });
      await nc.flush();
      await nc.close();
      await expect(connectNats({ url: server.url, token: 'wrong' })).rejects.toBeInstanceOf(NatsUnreachableError);
    });
  });
});
