import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { PortworxClient } from '../../src/portworx';
import type { MesosSimulator } from '../../src/sim/mesos';
import { PortworxSimulator } from '../../src/sim/portworx';
import {
  assertSupportedVersions,
  checkVersionsAtStartup,
  compareVersions,
  readMesosVersions,
  UnsupportedVersionError,
} from '../../src/mesos/version-check';
import { startSim } from './helpers';

const quiet = pino({ level: 'silent' });
const report = (master: string, agents: Record<string, string>, portworxSdk: string | undefined) => ({ mesos: { master, agents }, portworxSdk });

describe('minimum versions', () => {
  it('compares dotted versions numerically, ignoring pre-release suffixes', () => {
    expect(compareVersions('1.10.0', '1.5.0')).toBe(1);
    expect(compareVersions('1.5.0-rc1', '1.5.0')).toBe(0);
    expect(compareVersions('0.51.3', '0.59.0')).toBe(-1);
  });

  it('refuses a Mesos 1.4 master or agent: no docker volumes in task groups before 1.5', () => {
    expect(() => assertSupportedVersions(report('1.4.3', {}, '0.186.0'), quiet)).toThrow(UnsupportedVersionError);
    const err = (() => {
      try {
        assertSupportedVersions(report('1.9.0', { h1: '1.9.0', h2: '1.4.0' }, '0.186.0'), quiet);
      } catch (e) {
        return e as UnsupportedVersionError;
      }
      throw new Error('expected a refusal');
    })();
    expect(err).toMatchObject({ code: 'UNSUPPORTED_VERSION', component: 'the Mesos agent on h2', found: '1.4.0', minimum: '1.5.0', retryable: false });
    expect(err.message).toMatch(/docs\/install\.md/);
  });

  it('refuses a Portworx SDK older than 0.59 (nodes/filters) and accepts one that does not tell', () => {
    expect(() => assertSupportedVersions(report('1.5.0', {}, '0.51.0'), quiet)).toThrow(/Portworx SDK runs 0\.51\.0, pxfw needs 0\.59\.0.*nodes\/filters/);
    expect(() => assertSupportedVersions(report('1.5.0', {}, undefined), quiet)).not.toThrow();
    expect(() => assertSupportedVersions(report('1.11.0', { h: '1.11.0' }, '0.186.0'), quiet)).not.toThrow();
  });
});

describe('reading the versions at startup', () => {
  let mesos: MesosSimulator | undefined;
  let px: PortworxSimulator | undefined;
  afterEach(async () => {
    await mesos?.stop();
    await px?.stop();
  });

  it('reads the master version with GET_VERSION and checks it with the Portworx SDK version', async () => {
    mesos = await startSim({ agents: 2 });
    px = await PortworxSimulator.start({ hosts: 'agent-1,agent-2', detectDelaySeconds: 0, bootSeconds: 0 });
    const versions = await readMesosVersions({ master: mesos.url, logger: quiet });
    expect(compareVersions(versions.master, '1.5.0')).toBeGreaterThanOrEqual(0);
    const checked = await checkVersionsAtStartup({ master: mesos.url, px: new PortworxClient({ url: px.url, legacyUrl: px.url }), logger: quiet });
    expect(checked.mesos.master).toBe(versions.master);
  });
});

describe('the strict-mode credential from the environment', async () => {
  const { mesosAuthFromEnv } = await import('../../src/mesos/service-account-env');
  const key = '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----';

  it('is a DC/OS service-account login when the package set the secret, nothing otherwise', () => {
    expect(mesosAuthFromEnv({})).toBeUndefined();
    const env = { PXFW_SERVICE_ACCOUNT_CREDENTIAL: JSON.stringify({ scheme: 'RS256', uid: 'pxfw', private_key: key, login_endpoint: 'https://leader.mesos/acs/api/v1/auth/login' }) };
    expect(mesosAuthFromEnv(env)).toEqual({ type: 'dcos-service-account', uid: 'pxfw', privateKeyPem: key, loginEndpoint: 'https://leader.mesos/acs/api/v1/auth/login' });
  });

  it('names what is wrong with a bad credential', () => {
    expect(() => mesosAuthFromEnv({ PXFW_SERVICE_ACCOUNT_CREDENTIAL: '{"uid": "pxfw"}' })).toThrow(/private_key.*PEM/);
    expect(() => mesosAuthFromEnv({ PXFW_SERVICE_ACCOUNT_CREDENTIAL: 'nope' })).toThrow(/not JSON/);
  });
});
