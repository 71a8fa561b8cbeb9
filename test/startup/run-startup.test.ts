import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { MesosSimulator } from '../../src/sim/mesos';
import { PortworxSimulator } from '../../src/sim/portworx';
import { UnsupportedVersionError } from '../../src/mesos/version-check';
import { frameworkPrincipal } from '../../src/mesos/service-account-env';
import { checkVersionsBeforeSubscribe, mesosIdentityFromEnv, uninstallOnceLeading, uninstallOptions, uninstallRequested, type UninstallTarget } from '../../src/cli/run-startup';
import type { FrameworkSnapshot } from '../../src/controller/ports/supervisor';
import { startSim } from '../sim-mesos/helpers';
import { SHARED_NATS_URL, freePort } from '../helpers/nats-server';
import { PxfwProcess } from '../run/cli-process';

const quiet = pino({ level: 'silent' });
const key = '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----';

describe('who the scheduler is to Mesos (strict mode)', () => {
  it('is principal = the service name and no login, when the package sets no service account', () => {
    expect(mesosIdentityFromEnv({}, 'cassandra')).toEqual({ auth: undefined, principal: 'cassandra' });
    // An empty option renders an empty variable: unset.
    expect(frameworkPrincipal({ PXFW_MESOS_PRINCIPAL: ' ' }, 'cassandra')).toBe('cassandra');
  });

  it('is the service account login and its principal when the package sets them', () => {
    const env = {
      PXFW_SERVICE_ACCOUNT_CREDENTIAL: JSON.stringify({ uid: 'pxfw-sa', private_key: key, login_endpoint: 'https://leader.mesos/acs/api/v1/auth/login' }),
      PXFW_MESOS_PRINCIPAL: 'pxfw-sa',
    };
    expect(mesosIdentityFromEnv(env, 'cassandra')).toEqual({
      auth: { type: 'dcos-service-account', uid: 'pxfw-sa', privateKeyPem: key, loginEndpoint: 'https://leader.mesos/acs/api/v1/auth/login' },
      principal: 'pxfw-sa',
    });
  });
});

describe('the version check before SUBSCRIBE, against the simulators', () => {
  let mesos: MesosSimulator | undefined;
  let px: PortworxSimulator | undefined;
  let stub: Server | undefined;
  afterEach(async () => {
    await mesos?.stop();
    await px?.stop();
    await new Promise<void>((r) => (stub ? stub.close(() => r()) : r()));
    [mesos, px, stub] = [undefined, undefined, undefined];
  });

  /** A master that answers the operator API as Mesos `version` would (GET_VERSION, GET_AGENTS). */
  async function oldMaster(master: string, agent: string): Promise<string> {
    stub = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const type = (JSON.parse(body) as { type: string }).type;
        const answer =
          type === 'GET_VERSION'
            ? { type, get_version: { version_info: { version: master } } }
            : { type, get_agents: { agents: [{ agent_info: { hostname: 'old-host', resources: [] }, active: true, version: agent }] } };
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((r) => stub!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  }

  it('reads the master, every agent (GET_AGENTS version) and the Portworx SDK, and lets the start go on', async () => {
    mesos = await startSim({ agents: 2 });
    px = await PortworxSimulator.start({ hosts: 'agent-1,agent-2', detectDelaySeconds: 0, bootSeconds: 0 });
    const report = await checkVersionsBeforeSubscribe({ mesosUrl: mesos.url, portworxUrl: px.url, portworxLegacyUrl: px.url, logger: quiet });
    expect(report?.mesos.master).toBe('1.5.0');
    expect(Object.values(report!.mesos.agents)).toEqual(['1.5.0', '1.5.0']);
    expect(report?.portworxSdk).toBe('0.186.0');
  });

  it('refuses an agent older than Mesos 1.5 with UnsupportedVersionError', async () => {
    px = await PortworxSimulator.start({ hosts: 'a', detectDelaySeconds: 0, bootSeconds: 0 });
    const master = await oldMaster('1.5.0', '1.4.2');
    const check = checkVersionsBeforeSubscribe({ mesosUrl: master, portworxUrl: px.url, portworxLegacyUrl: px.url, logger: quiet });
    await expect(check).rejects.toBeInstanceOf(UnsupportedVersionError);
    await expect(check).rejects.toThrow(/Mesos agent on old-host runs 1\.4\.2, pxfw needs 1\.5\.0/);
  });

  it('skips the check (the start goes on) when the master cannot be asked now', async () => {
    px = await PortworxSimulator.start({ hosts: 'a', detectDelaySeconds: 0, bootSeconds: 0 });
    const nobody = `http://127.0.0.1:${await freePort()}`;
    await expect(checkVersionsBeforeSubscribe({ mesosUrl: nobody, portworxUrl: px.url, portworxLegacyUrl: px.url, logger: quiet })).resolves.toBeUndefined();
  }, 60_000);

  it('pxfw run against a Mesos 1.4 master exits non-zero with the UnsupportedVersionError message', async () => {
    px = await PortworxSimulator.start({ hosts: 'a', detectDelaySeconds: 0, bootSeconds: 0 });
    const master = await oldMaster('1.4.0', '1.4.0');
    const spec = join(mkdtempSync(join(tmpdir(), 'pxfw-version-')), 'svc.yml');
    writeFileSync(spec, 'name: ver-check\npods:\n  node:\n    count: 1\n    cpus: 0.1\n    mem: 32\n    command: sleep 1000\n');
    const run = new PxfwProcess(
      ['run', '--spec', spec, '--mesos', master, '--portworx', px.url, '--portworx-legacy', px.url, '--nats', SHARED_NATS_URL, '--http', String(await freePort())],
      { killAfterMs: 30_000 },
    );
    const exited = await run.exited;
    expect(exited.killed).toBe(false);
    expect(exited.code).not.toBe(0);
    expect(exited.err).toMatch(/the Mesos master runs 1\.4\.0, pxfw needs 1\.5\.0 or later/);
  }, 40_000);
});

describe('uninstall mode (SDK_UNINSTALL, as `dcos package uninstall` restarts a DCOS_COMMONS_API_VERSION v1 app)', () => {

  it('is on when the variable is present, whatever its value (dcos-commons SchedulerConfig.isUninstallEnabled)', () => {
    expect(uninstallRequested({ SDK_UNINSTALL: 'true' })).toBe(true);
    expect(uninstallRequested({ SDK_UNINSTALL: 'anything' })).toBe(true);
    expect(uninstallRequested({})).toBe(false);
  });

  it('deletes volumes only when the spec says volume_policy: delete, and never snapshots', () => {
    expect(uninstallOptions({ volumePolicy: 'retain' })).toEqual({ deleteVolumes: false, deleteSnapshots: false });
    expect(uninstallOptions({ volumePolicy: 'delete' })).toEqual({ deleteVolumes: true, deleteSnapshots: false });
  });

  /** Supervisor snapshots in order, each with its tags and whether it takes an UNINSTALL. */
  function target(snaps: { tags: string[]; takes: boolean }[]): UninstallTarget & { sent: unknown[] } {
    const sent: unknown[] = [];
    const fake = snaps.map((s) => ({ hasTag: (t: string) => s.tags.includes(t), can: () => s.takes }) as unknown as FrameworkSnapshot);
    return {
      sent,
      runtime: {
        async waitForFramework(predicate) {
          const hit = fake.find(predicate);
          if (!hit) throw new Error('the supervisor stopped');
          return hit;
        },
      },
      operations: {
        async uninstall(opts) {
          sent.push(opts);
          return { message: 'uninstalling' };
        },
      },
    };
  }

  it('waits past starting/standby (not leading yet), then sends the uninstall the verb sends', async () => {
    const t = target([
      { tags: ['unsaved'], takes: false },
      { tags: ['unsaved'], takes: false },
      { tags: [], takes: true },
    ]);
    await expect(uninstallOnceLeading(t, { volumePolicy: 'delete' }, quiet)).resolves.toBe('sent');
    expect(t.sent).toEqual([{ deleteVolumes: true, deleteSnapshots: false }]);
  });

  it('leaves a service that is uninstalling (restart in the middle) or uninstalled (restart after) as it is', async () => {
    for (const tag of ['uninstalling', 'uninstalled']) {
      const t = target([{ tags: ['unsaved'], takes: false }, { tags: [tag], takes: true }]);
      await expect(uninstallOnceLeading(t, { volumePolicy: 'retain' }, quiet)).resolves.toBe('already');
      expect(t.sent).toEqual([]);
    }
  });
});
