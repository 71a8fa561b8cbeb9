import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { SchedulerService } from '../../src/controller/scheduler-service';
import type { MarathonSettings } from '../../src/marathon';
import { ServiceStateStore } from '../../src/state/state-store';
import { StateUnavailableError } from '../../src/state/errors';
import { eventually, frameworkYaml, startSandbox } from './helpers';
import { cli, kvKeys, rawNats, runningTasks, serviceVolumes, startSchedulerOn } from './helpers-ops';
import { frameworkIn } from '../../src/controller/state-names';

/*
 * Issue 10, problem 2: "A restart after uninstall deploys the service again". Before the fix the
 * uninstall deleted the KV bucket and the scheduler exited; Marathon restarted it and the rerun
 * deployed the service again on fresh volumes. Now the uninstall leaves a tombstone, the scheduler
 * stays up `uninstalled` (healthy), a restart deploys nothing, and only `reinstall --yes` deploys.
 */

/** A tiny stand-in for Marathon's REST API: records each request, answers DELETE /v2/apps/<id> as Marathon does. */
class FakeMarathon {
  readonly requests: { method: string; url: string; authorization: string | undefined }[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res) => {
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
      const m = /^\/v2\/apps\/(.+?)(\?.*)?$/.exec(req.url ?? '');
      if (req.method === 'DELETE' && m) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ version: '2026-12-07T10:00:00.000Z', deploymentId: 'dep-1' }));
      }
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: `no route ${req.method} ${req.url}` }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

async function tombstoneOf(name: string): Promise<Record<string, unknown> | undefined> {
  const nc = await rawNats();
  try {
    const store = await ServiceStateStore.open(nc, name);
    return (await store.get<Record<string, unknown>>('tombstone'))?.value;
  } finally {
    await nc.close();
  }
}

// The scenarios below each have a sandbox of their own and wait mostly on simulated time: they run
// side by side (describe.concurrent); the checks of one scenario run in order (it.sequential).
describe.concurrent('pxfw <service> uninstall leaves a tombstone (issue 10, problem 2)', () => {
  let sb: Sandbox;
  let name: string;
  let yaml: string;
  let marathon: FakeMarathon;
  let app: MarathonSettings;
  let second: SchedulerService | undefined;
  let nc: Awaited<ReturnType<typeof rawNats>>;
  let volumesBefore: Map<string, string>;
  let frameworkBefore: string | null;

  beforeAll(async () => {
    marathon = new FakeMarathon();
    await marathon.start();
    const spec = frameworkYaml('cassandra');
    name = spec.name;
    yaml = spec.yaml;
    // What `pxfw run --marathon URL` reads from the flag and Marathon's task environment.
    app = { url: marathon.url, appId: `/${name}`, appVersion: '2026-12-07T09:00:00.000Z' };
    ({ sandbox: sb } = await startSandbox(yaml, { record: false, marathon: app }));
    nc = await rawNats();
    await sb.scheduler.waitDeployed(60_000);
    volumesBefore = new Map(serviceVolumes(sb, name).map((v) => [v.name, v.id]));
    frameworkBefore = sb.scheduler.runtime.frameworkContext.frameworkId;
  });
  afterAll(async () => {
    await second?.stop();
    await sb?.stop();
    await nc?.close();
    await marathon?.stop();
  });

  it.sequential('uninstall --yes --wait follows six steps to COMPLETE; the scheduler stays up, uninstalled', async () => {
    const r = await cli(name, 'uninstall', '--yes', '--wait');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^uninstall: 6\/6 steps complete, plan COMPLETE$/m);
    const rt = sb.scheduler.runtime;
    expect(rt.frameworkIs('uninstalled')).toBe(true);
    expect(runningTasks(sb)).toEqual([]);
    expect(sb.mesos.frameworks().filter((f) => f.name === name)).toEqual([]);
    // Retained by default: three volumes, none attached.
    expect(serviceVolumes(sb, name).map((v) => `${v.name}:${v.attachedOn.length}`).sort()).toEqual([0, 1, 2].map((i) => `${name}-node-${i}-data:0`));
  });

  it.sequential('deletes the state but the tombstone: the bucket keeps meta.owner, lease and tombstone only', async () => {
    expect(await kvKeys(name)).toEqual(['lease', 'meta.owner', 'tombstone']);
    const t = await tombstoneOf(name);
    expect(t).toMatchObject({
      kind: 'pxfw-tombstone',
      version: 1,
      service: name,
      frameworkId: frameworkBefore,
      uninstall: { deleteVolumes: false, deleteSnapshots: false, done: ['kill-tasks', 'detach-volumes', 'dispose-volumes', 'teardown', 'delete-state', 'remove-app'] },
      marathon: { appId: `/${name}`, appVersion: '2026-12-07T09:00:00.000Z' },
    });
    expect((t?.uninstall as { uninstalledAt?: string }).uninstalledAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it.sequential('removed its own Marathon app last, as dcos package uninstall expects: one DELETE /v2/apps/<id>?force=true', () => {
    expect(marathon.requests.map((q) => `${q.method} ${q.url}`)).toEqual([`DELETE /v2/apps/${name}?force=true`]);
    expect(sb.scheduler.runtime.frameworkContext.uninstall?.app).toBe(`removed Marathon app /${name} (deployment dep-1)`);
  });

  it.sequential('the CLI says so: status, and a status line above plan status and pod list', async () => {
    const status = await cli(name, 'status');
    expect(status.code).toBe(0);
    const line = new RegExp(`^${name} is uninstalled \\(since \\S+; volumes retained \\(a reinstall reuses them by name\\); removed Marathon app /${name} \\(deployment dep-1\\)\\): \`pxfw ${name} reinstall --yes\` deploys it again$`, 'm');
    expect(status.out).toMatch(line);
    const pods = await cli(name, 'pod', 'list');
    expect(pods.code).toBe(0);
    expect(pods.out).toMatch(line);
    const plan = await cli(name, 'plan', 'status');
    expect(plan.code).toBe(0);
    expect(plan.out).toMatch(line);
    const again = await cli(name, 'uninstall', '--yes');
    expect(again.out).toMatch(/^uninstalling /m);
    expect(sb.scheduler.runtime.frameworkContext.rejected).toEqual({ event: 'UNINSTALL', reason: 'already uninstalled' });
  });

  it.sequential('a restarted scheduler (what Marathon does) deploys nothing: uninstalled, healthy, shown by /v1/state and the dashboard', async () => {
    const launchedBefore = sb.mesos.tasks().length;
    await sb.scheduler.stop();
    second = await startSchedulerOn(sb, yaml, nc, 'restarted-scheduler', { marathon: app, httpPort: 0 });
    const rt = second.runtime;
    await rt.waitForFramework((s) => frameworkIn(s, 'uninstalled'), 30_000);
    // Twenty simulated seconds: no SUBSCRIBE, no task, no volume.
    await new Promise((r) => setTimeout(r, 2000));
    expect(rt.frameworkIs('uninstalled')).toBe(true);
    expect(sb.mesos.tasks().length).toBe(launchedBefore);
    expect(sb.mesos.frameworks().filter((f) => f.name === name)).toEqual([]);
    expect(serviceVolumes(sb, name).map((v) => v.id).sort()).toEqual([...volumesBefore.values()].sort());
    const base = `http://127.0.0.1:${second.http!.port}`;
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ healthy: true, checks: { mesos: { ok: true, subscribed: false, uninstalled: true }, lease: { ok: true } } });
    const state = (await (await fetch(`${base}/v1/state`)).json()) as { framework: { state: string; reason: string }; pods: unknown[] };
    expect(state.framework.state).toBe('uninstalled');
    expect(state.framework.reason).toMatch(/reinstall --yes/);
    expect(state.pods).toEqual([]);
    // The console (issue 13) keys its "is uninstalled" banner on the framework state in words.
    expect(await (await fetch(`${base}/console.js`)).text()).toContain("s.framework.text === 'uninstalled'");
    // The app was removed by this app version already: no second DELETE.
    expect(marathon.requests).toHaveLength(1);
  });

  it.sequential('reinstall needs --yes; reinstall --yes --wait deploys again on the retained volumes, and the tombstone goes', async () => {
    const refused = await cli(name, 'reinstall');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/reinstall/);
    expect(second!.runtime.frameworkIs('uninstalled')).toBe(true);
    const r = await cli(name, 'reinstall', '--yes', '--wait', '--timeout', '60');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^reinstalling /m);
    expect(r.out).toMatch(/^deploy: 3\/3 steps complete, plan COMPLETE$/m);
    await eventually('three running tasks', () => runningTasks(sb).length === 3);
    // The same volumes: found by their deterministic names, data kept.
    expect(new Map(serviceVolumes(sb, name).map((v) => [v.name, v.id]))).toEqual(volumesBefore);
    const rt = second!.runtime;
    expect(rt.frameworkContext.frameworkId).not.toBe(frameworkBefore);
    expect(rt.frameworkContext.uninstall).toBeNull();
    expect(await kvKeys(name)).not.toContain('tombstone');
    expect(await kvKeys(name)).toContain('framework');
    const status = await cli(name, 'status');
    expect(status.out).toMatch(new RegExp(`^${name}: active\\(`, 'm'));
  });

  it.sequential('reinstall of a service that is installed is refused with a conflict', async () => {
    const r = await cli(name, 'reinstall', '--yes');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is not uninstalled/);
  });
});

describe.concurrent('an uninstall interrupted inside delete-state resumes from the tombstone', () => {
  let sb: Sandbox;
  let name: string;
  let yaml: string;
  let second: SchedulerService | undefined;
  let nc: Awaited<ReturnType<typeof rawNats>>;

  beforeAll(async () => {
    const spec = frameworkYaml('cassandra', (y) => y.replace(/^volume_policy: .*$/m, 'volume_policy: delete'));
    name = spec.name;
    yaml = spec.yaml;
    ({ sandbox: sb } = await startSandbox(yaml, { record: false }));
    nc = await rawNats();
    await sb.scheduler.waitDeployed(60_000);
  });
  afterAll(async () => {
    await second?.stop();
    await sb?.stop();
    await nc?.close();
  });

  it.sequential('a scheduler that dies after writing the tombstone, before deleting the rest, is finished by the next one', async () => {
    const first = sb.scheduler.runtime;
    // The KV store fails to delete pod records: delete-state writes the tombstone, deletes the
    // framework record, then fails on the first pod record, again and again (retryable).
    const store = first.store as unknown as { delete: (key: string) => Promise<void> };
    const realDelete = store.delete.bind(first.store);
    store.delete = async (key: string) => {
      if (key.startsWith('pods.')) throw new StateUnavailableError(`injected: cannot delete state key '${key}'`);
      return realDelete(key);
    };
    const r = await cli(name, 'uninstall', '--delete-volumes', '--yes');
    expect(r.code).toBe(0);
    await eventually('delete-state failing', () => /^uninstalling\.(deleting-state|backoff)$/.test(first.frameworkStateName) && first.frameworkContext.uninstall?.done.includes('teardown'), 20_000);
    await eventually('the tombstone written', async () => (await kvKeys(name)).includes('tombstone'));
    await eventually('the framework record deleted', async () => !(await kvKeys(name)).includes('framework'));
    expect((await kvKeys(name)).filter((k) => k.startsWith('pods.'))).toEqual(['pods.node.0', 'pods.node.1', 'pods.node.2']);
    expect(first.frameworkContext.lastError?.message).toMatch(/injected/);
    // The process dies here (its stop writes nothing that matters: the tombstone is already in KV).
    // Bounded, as `pxfw run` bounds it on SIGTERM: the injected failure may keep a write retrying.
    await sb.scheduler.stop({ graceMs: 5_000 });
    second = await startSchedulerOn(sb, yaml, nc, 'next-scheduler');
    const transitions: string[] = [];
    const unsubscribe = second.runtime.transitions.subscribe((t) => transitions.push(t.to));
    try {
      await second!.runtime.waitForFramework((s) => frameworkIn(s, 'uninstalled'), 20_000);
    } finally {
      unsubscribe();
    }
    // From the lease straight to the step it was in: no SUBSCRIBE of the torn-down framework.
    expect(transitions.slice(transitions.indexOf('starting.acquiring-lease') + 1)).toEqual([
      'uninstalling.deleting-state',
      'uninstalling.removing-app',
      'uninstalled',
    ]);
    expect(await kvKeys(name)).toEqual(['lease', 'meta.owner', 'tombstone']);
    expect(serviceVolumes(sb, name)).toEqual([]);
    expect(second.runtime.frameworkContext.uninstall?.done).toEqual(['kill-tasks', 'detach-volumes', 'dispose-volumes', 'teardown', 'delete-state', 'remove-app']);
  });
});
