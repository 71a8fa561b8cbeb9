import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import type { ConnectionOptions } from '@nats-io/nats-core';
import { z } from 'zod';
import { PxfwError, ValidationError } from '../errors';

export class NatsUnreachableError extends PxfwError {
  readonly code = 'NATS_UNREACHABLE';
  readonly retryable = true;
}

/** How pxfw authenticates to NATS: at most one of creds / nkey / token / user+password, plus TLS. */
export const natsAuthSchema = z
  .object({
    url: z.string().min(1).default('nats://127.0.0.1:4222'),
    credsFile: z.string().min(1).optional(),
    nkeySeedFile: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    password: z.string().optional(),
    tlsCaFile: z.string().min(1).optional(),
    tlsCertFile: z.string().min(1).optional(),
    tlsKeyFile: z.string().min(1).optional(),
    name: z.string().optional(),
  })
  .refine((o) => [o.credsFile, o.nkeySeedFile, o.token, o.user].filter(Boolean).length <= 1, {
    message:
      'choose one NATS credential: a .creds file (NATS_CREDS), an nkey seed (NATS_NKEY), a token (NATS_TOKEN), or user/password (NATS_USER/NATS_PASSWORD)',
    path: ['credentials'],
  })
  .refine((o) => !o.password || o.user, { message: 'NATS_PASSWORD needs NATS_USER', path: ['password'] })
  .refine((o) => !!o.tlsCertFile === !!o.tlsKeyFile, {
    message: 'TLS client cert and key go together (NATS_TLS_CERT and NATS_TLS_KEY)',
    path: ['tlsCertFile'],
  });

export type NatsSettings = z.input<typeof natsAuthSchema>;

/** NATS settings from the environment twins of the CLI flags. */
export function natsSettingsFromEnv(env: NodeJS.ProcessEnv = process.env, url?: string): NatsSettings {
  return {
    url: url ?? env.NATS_URL ?? 'nats://127.0.0.1:4222',
    credsFile: env.NATS_CREDS || undefined,
    nkeySeedFile: env.NATS_NKEY || undefined,
    token: env.NATS_TOKEN || undefined,
    user: env.NATS_USER || undefined,
    password: env.NATS_PASSWORD || undefined,
    tlsCaFile: env.NATS_TLS_CA || undefined,
    tlsCertFile: env.NATS_TLS_CERT || undefined,
    tlsKeyFile: env.NATS_TLS_KEY || undefined,
  };
}

/** Read a credential file, naming the setting when it cannot be read. */
function readCredentialFile(path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new ValidationError(`cannot read ${setting} file ${path}: ${(cause as Error).message}`, [{ path: setting, message: 'unreadable' }], { cause });
  }
}

export function connectionOptions(settings: NatsSettings): ConnectionOptions {
  const parsed = natsAuthSchema.safeParse(settings);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.') || 'nats', message: i.message }));
    throw new ValidationError(`bad NATS settings: ${issues.map((i) => i.message).join('; ')}`, issues);
  }
  const s = parsed.data;
  const opts: ConnectionOptions = {
    servers: s.url.split(','),
    name: s.name ?? 'pxfw',
    maxReconnectAttempts: -1,
    // With async traces on, nats.js builds two Errors (a stack capture each) per request, KV put
    // and get included, in case it fails: ~10% of the status-update path's CPU. Off, a failure
    // still comes typed (TimeoutError, NoRespondersError, JetStreamApiError as the RequestError's
    // cause) and every caller wraps it in a pxfw error made where it awaited (the state key, the
    // subject; V8's async stack names the caller chain).
    noAsyncTraces: true,
  };
  if (s.credsFile) opts.authenticator = credsAuthenticator(readCredentialFile(s.credsFile, 'NATS_CREDS'));
  if (s.nkeySeedFile) {
    const seed = readCredentialFile(s.nkeySeedFile, 'NATS_NKEY').toString('utf8').trim();
    opts.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  if (s.token) opts.token = s.token;
  if (s.user) {
    opts.user = s.user;
    opts.pass = s.password ?? '';
  }
  if (s.tlsCaFile || s.tlsCertFile) {
    opts.tls = { caFile: s.tlsCaFile, certFile: s.tlsCertFile, keyFile: s.tlsKeyFile };
  }
  return opts;
}

export async function connectNats(settings: NatsSettings): Promise<NatsConnection> {
  const opts = connectionOptions(settings);
  try {
    return await connect(opts);
  } catch (cause) {
    throw new NatsUnreachableError(`cannot connect to NATS at ${String(opts.servers)}: ${(cause as Error).message}`, { cause });
  }
}
