import { createPrivateKey, type KeyObject } from 'node:crypto';
import got from 'got';
import { SignJWT, decodeJwt } from 'jose';
import { z } from 'zod';
import { ValidationError } from '../errors';
import { childLogger, type Logger } from '../log/logger';
import { parseJson, stringifyJson } from '../util/lossless-json';
import { DcosLoginError } from './errors';
import { parseOrThrow } from './validate';

/**
 * Optional authentication towards the Mesos master.
 * - basic: HTTP Basic with the framework principal and secret (Mesos' own authenticator).
 * - dcos-service-account: DC/OS IAM. A login JWT {uid, exp} signed RS256 with the account's
 *   private key is exchanged at `/acs/api/v1/auth/login` for an auth token, sent as
 *   `Authorization: token=<token>` (the DC/OS form, not "Bearer").
 */
export const mesosAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('basic'), principal: z.string().min(1), secret: z.string().min(1) }),
  z.object({
    type: z.literal('dcos-service-account'),
    uid: z.string().min(1),
    privateKeyPem: z.string().includes('PRIVATE KEY', { message: 'expected a PEM private key' }),
    loginEndpoint: z.url(),
    /** Lifetime of the login JWT we sign; IAM only checks it at login time. */
    loginTokenTtlSeconds: z.number().int().positive().optional(),
    /** Renew this long before the auth token expires (capped at half its lifetime). */
    refreshMarginSeconds: z.number().nonnegative().optional(),
  }),
]);
export type MesosAuth = z.input<typeof mesosAuthSchema>;

export interface AuthProvider {
  /** The Authorization header value to send now. */
  header(): Promise<string>;
  /** Forget a cached token (the master answered 401); the next header() logs in again. */
  invalidate(): void;
  /** True when invalidate() can produce a different credential. */
  readonly refreshable: boolean;
}

export function createAuthProvider(auth: MesosAuth, opts: { logger?: Logger; now?: () => number } = {}): AuthProvider {
  const parsed = parseOrThrow(mesosAuthSchema, auth, 'auth');
  if (parsed.type === 'basic') {
    const value = `Basic ${Buffer.from(`${parsed.principal}:${parsed.secret}`).toString('base64')}`;
    return { header: async () => value, invalidate: () => undefined, refreshable: false };
  }
  return new DcosServiceAccountAuth(parsed, opts.logger ?? childLogger({ module: 'mesos-auth' }), opts.now ?? Date.now);
}

type ServiceAccount = Extract<z.output<typeof mesosAuthSchema>, { type: 'dcos-service-account' }>;

const loginResponseSchema = z.object({ token: z.string().min(1) });

/** DC/OS issues auth tokens valid for 5 days unless told otherwise. */
const DEFAULT_TOKEN_LIFETIME_S = 5 * 24 * 3600;

class DcosServiceAccountAuth implements AuthProvider {
  readonly refreshable = true;
  private token: { value: string; refreshAtMs: number } | undefined;
  private inflight: Promise<string> | undefined;
  private readonly key: KeyObject;

  constructor(
    private readonly account: ServiceAccount,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {
    try {
      // createPrivateKey reads PKCS#1 ("RSA PRIVATE KEY") and PKCS#8 alike; jose's importer only PKCS#8.
      this.key = createPrivateKey(account.privateKeyPem);
    } catch (cause) {
      throw new ValidationError('auth.privateKeyPem: not a readable PEM private key', [
        { path: 'auth.privateKeyPem', message: 'not a readable PEM private key' },
      ], { cause });
    }
  }

  async header(): Promise<string> {
    if (this.token && this.now() < this.token.refreshAtMs) return `token=${this.token.value}`;
    this.inflight ??= this.login().finally(() => {
      this.inflight = undefined;
    });
    return `token=${await this.inflight}`;
  }

  invalidate(): void {
    this.token = undefined;
  }

  private async login(): Promise<string> {
    const nowS = Math.floor(this.now() / 1000);
    const loginJwt = await new SignJWT({ uid: this.account.uid })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setExpirationTime(nowS + (this.account.loginTokenTtlSeconds ?? 300))
      .sign(this.key);
    const res = await this.post({ uid: this.account.uid, token: loginJwt });
    if (res.statusCode !== 200) {
      throw new DcosLoginError(
        `DC/OS login for service account '${this.account.uid}' at ${this.account.loginEndpoint} failed with HTTP ${res.statusCode}: ${res.body.slice(0, 200)}`,
        res.statusCode,
      );
    }
    let body: unknown;
    try {
      body = parseJson(res.body);
    } catch (cause) {
      throw new DcosLoginError(`DC/OS login answered non-JSON: ${res.body.slice(0, 200)}`, res.statusCode, { cause });
    }
    const { token } = parseOrThrow(loginResponseSchema, body, 'DC/OS login response', (msg, issues) =>
      new DcosLoginError(msg, res.statusCode, { cause: issues }),
    );
    this.token = { value: token, refreshAtMs: this.refreshAt(token, nowS) };
    this.log.info({ uid: this.account.uid, refreshAt: new Date(this.token.refreshAtMs).toISOString() }, 'DC/OS login succeeded');
    return token;
  }

  private async post(body: object): Promise<{ statusCode: number; body: string }> {
    try {
      return await got.post(this.account.loginEndpoint, {
        body: stringifyJson(body),
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        throwHttpErrors: false,
        retry: { limit: 0 },
        timeout: { request: 15_000 },
      });
    } catch (cause) {
      throw new DcosLoginError(`cannot reach the DC/OS login endpoint ${this.account.loginEndpoint}`, undefined, { cause });
    }
  }

  /** When to renew: the token's own exp if it is a JWT, else the DC/OS default lifetime. */
  private refreshAt(token: string, issuedS: number): number {
    let expS = issuedS + DEFAULT_TOKEN_LIFETIME_S;
    try {
      const claims = decodeJwt(token);
      if (typeof claims.exp === 'number') expS = claims.exp;
    } catch (err) {
      this.log.debug({ err }, 'DC/OS auth token is not a JWT; assuming the default lifetime');
    }
    const lifetimeS = Math.max(0, expS - issuedS);
    const marginS = Math.min(this.account.refreshMarginSeconds ?? 300, lifetimeS / 2);
    return (expS - marginS) * 1000;
  }
}
