import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortworxSimulator } from '../../src/sim/portworx';
import { PortworxClient } from '../../src/portworx';
import { readPortworxSdkVersion } from '../../src/mesos/version-check';
import { checkPortworxExchange } from '../conformance/portworx-openapi-checker';
import { call } from './sdk-http';

/** OpenStorageIdentity.Version: what pxfw's startup check asks Portworx (docs/install.md, "Minimum versions"). */
describe('GET /v1/identities/version', () => {
  let sim: PortworxSimulator;
  beforeAll(async () => {
    sim = await PortworxSimulator.start({ hosts: 'a,b', detectDelaySeconds: 0, bootSeconds: 0 });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('answers the SDK version the simulator implements (0.186.0) and the storage driver, as the OpenAPI document describes', async () => {
    const r = await call(sim.url, 'GET', '/v1/identities/version');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      sdk_version: { major: 0, minor: 186, patch: 0, version: '0.186.0' },
      version: { driver: 'pxd', version: expect.stringMatching(/^\d+\.\d+\.\d+/) },
    });
    expect(checkPortworxExchange({ method: 'GET', path: '/v1/identities/version', status: 200, request: undefined, response: r.body })).toEqual([]);
  });

  it('is what the startup check reads', async () => {
    expect(await readPortworxSdkVersion(new PortworxClient({ url: sim.url, legacyUrl: sim.url }))).toBe('0.186.0');
  });
});
