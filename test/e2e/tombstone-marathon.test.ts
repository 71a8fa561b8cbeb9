import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { SchedulerService } from '../../src/controller/scheduler-service';
import { ServiceStateStore } from '../../src/state/state-store';
import { eventually, frameworkYaml, startSandbox } from './helpers';
import { cli, rawNats, startSchedulerOn } from './helpers-ops';
import { frameworkIn } from '../../src/controller/state-names';

/*
 * Issue 10, problem 2: the uninstall's last step removes the scheduler's own Marathon app. It must
 * never remove an app installed *after* the uninstall (same service name, a later
 * `dcos package install`), even when the step was left unrecorded; a restart of the very same app
 * version repeats a DELETE that did not go through.
 */

describe('remove-app left pending: repeated by the same app version, never done to a later install', () => {
  let sb: Sandbox;
  let name: string;
  let yaml: string;
  let nc: Awaited<ReturnType<typeof rawNats>>;
  let marathon: Server;
  let marathonUrl: string;
  /** What Marathon answers to DELETE /v2/apps/<id> right now. */
  let answer = 503;
  const deletes: string[] = [];
  const schedulers: SchedulerService[] = [];

  const startScheduler = async (appVersion: string, instanceId: string): Promise<SchedulerService> => {
    const s = await startSchedulerOn(sb, yaml, nc, instanceId, { marathon: { url: marathonUrl, appId: `/${name}`, appVersion } });
    schedulers.push(s);
    return s;
  };

  const tombstoneMarathon = async () => {
    const store = await ServiceStateStore.open(nc, name);
    return (await store.get<{ marathon: unknown; uninstall: { done: string[]; app?: string } }>('tombstone'))?.value;
  };

  beforeAll(async () => {
    marathon = createServer((req, res) => {
      if (req.method === 'DELETE') deletes.push(req.url ?? '');
      res.writeHead(req.method === 'DELETE' ? answer : 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer === 200 ? { version: 'x', deploymentId: 'dep-9' } : { message: 'no leader' }));
    });
    await new Promise<void>((r) => marathon.listen(0, '127.0.0.1', r));
    marathonUrl = `http://127.0.0.1:${(marathon.address() as AddressInfo).port}`;
    const spec = frameworkYaml('cassandra');
    name = spec.name;
    yaml = spec.yaml;
    ({ sandbox: sb } = await startSandbox(yaml, { record: false, marathon: { url: marathonUrl, appId: `/${name}`, appVersion: 'v1' } }));
    nc = await rawNats();
    await sb.scheduler.waitDeployed(60_000);
  });
  afterAll(async () => {
    for (const s of schedulers) await s.stop().catch(() => undefined);
    await sb?.stop();
    await nc?.close();
    await new Promise<void>((r) => marathon?.close(() => r()));
  });

  it('Marathon failing (503): the step retries with backoff, the app and version it asked to remove are in the tombstone', async () => {
    expect((await cli(name, 'uninstall', '--yes')).code).toBe(0);
    const rt = sb.scheduler.runtime;
    await eventually('two DELETEs tried', () => deletes.length >= 2 && /^uninstalling\.(removing-app|backoff)$/.test(rt.frameworkStateName), 20_000);
    expect(rt.frameworkContext.lastError).toMatchObject({ code: 'MARATHON_UNAVAILABLE', retryable: true });
    expect(await tombstoneMarathon()).toMatchObject({ marathon: { appId: `/${name}`, appVersion: 'v1' } });
    await sb.scheduler.stop();
  });

  it('a scheduler of a later install (app version v2) keeps its app and ends uninstalled, saying why', async () => {
    const before = deletes.length;
    answer = 200;
    const later = await startScheduler('v2', 'later-install');
    await later.runtime.waitForFramework((s) => frameworkIn(s, 'uninstalled'), 20_000);
    expect(deletes.length).toBe(before);
    expect(later.runtime.frameworkContext.uninstall?.app).toBe(
      `Marathon app /${name} was removed by an earlier run (app version v1); this app (/${name}, version v2) was installed after the uninstall and is kept`,
    );
    await later.stop();
  });

  it('the same app version restarted instead repeats the DELETE (nothing recorded it done)', async () => {
    // Put the step back as the crash left it: done up to delete-state, the request recorded.
    const store = await ServiceStateStore.open(nc, name);
    await store.modify<{ uninstall: { done: string[]; app?: string | null } }>('tombstone', (t) => ({
      ...t!,
      uninstall: { ...t!.uninstall, done: t!.uninstall.done.filter((s) => s !== 'remove-app'), app: null },
    }));
    const before = deletes.length;
    const same = await startScheduler('v1', 'same-app-restarted');
    await same.runtime.waitForFramework((s) => frameworkIn(s, 'uninstalled'), 20_000);
    expect(deletes.slice(before)).toEqual([`/v2/apps/${name}?force=true`]);
    expect(same.runtime.frameworkContext.uninstall?.app).toBe(`removed Marathon app /${name} (deployment dep-9)`);
  });
});
