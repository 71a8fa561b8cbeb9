import { z } from 'zod';
import { ValidationError } from '../errors';
import type { MesosAuth } from './auth';

/**
 * The DC/OS strict-mode credential the package hands the scheduler (option
 * service.service_account_secret → env secret PXFW_SERVICE_ACCOUNT_CREDENTIAL): the JSON that
 * `dcos security org service-accounts keypair`/`secrets create-sa-secret` stores, with `uid`,
 * `private_key` and `login_endpoint`.
 */
const credentialSchema = z.looseObject({
  uid: z.string({ error: 'uid: expected the service account id' }).min(1, { error: 'uid: expected the service account id' }),
  private_key: z.string({ error: 'private_key: expected the PEM private key' }).includes('PRIVATE KEY', { error: 'private_key: expected a PEM private key' }),
  login_endpoint: z.url({ error: 'login_endpoint: expected the IAM login URL, e.g. https://leader.mesos/acs/api/v1/auth/login' }),
});

export const SERVICE_ACCOUNT_ENV = 'PXFW_SERVICE_ACCOUNT_CREDENTIAL';
export const MESOS_PRINCIPAL_ENV = 'PXFW_MESOS_PRINCIPAL';

/** The Mesos authentication the environment asks for, or undefined when none is configured. */
export function mesosAuthFromEnv(env: NodeJS.ProcessEnv = process.env): MesosAuth | undefined {
  const raw = env[SERVICE_ACCOUNT_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ValidationError(`${SERVICE_ACCOUNT_ENV} is not JSON: expected the service account credential {"uid", "private_key", "login_endpoint"}`, [
      { path: SERVICE_ACCOUNT_ENV, message: 'not JSON' },
    ]);
  }
  const parsed = credentialSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: `${SERVICE_ACCOUNT_ENV}.${i.path.join('.')}`, message: i.message }));
    throw new ValidationError(`${SERVICE_ACCOUNT_ENV}: ${issues.map((i) => i.message).join('; ')}`, issues);
  }
  const c = parsed.data;
  return { type: 'dcos-service-account', uid: c.uid, privateKeyPem: c.private_key, loginEndpoint: c.login_endpoint };
}

/**
 * FrameworkInfo.principal: PXFW_MESOS_PRINCIPAL (in strict mode the service account id the package
 * passes), else the service name. An empty value means unset, as a package renders an empty option.
 */
export function frameworkPrincipal(env: NodeJS.ProcessEnv, service: string): string {
  const raw = env[MESOS_PRINCIPAL_ENV]?.trim();
  return raw ? raw : service;
}
