import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { bucketName } from '../../src/state/state-store';
import { GROUP_SNAPSHOT_LABEL } from '../../src/sim/portworx';
import { initialFrameworkContext } from '../../machines/framework.logic';
import { uninstallPlanView } from '../../src/controller/uninstall-plan';
import type { SchedulerService } from '../../src/controller/scheduler-service';
import { eventually, frameworkYaml, startSandbox } from './helpers';
import { captureTransitions, cli, kvKeys, rawNats, runningTasks, serviceVolumes, SimSampler, startSchedulerOn } from './helpers-ops';

const TERMINAL = new Set(['TASK_KILLED', 'TASK_FINISHED', 'TASK_FAILED', 'TASK_LOST', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_DROPPED', 'TASK_ERROR']);

/** Resolve when the scheduler's supervisor reached `uninstalled` (issue 10: the tombstone), or fail after `ms`. */
async function gone(sb: Sandbox, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (sb.scheduler.runtime.frameworkStateName !== 'uninstalled') {
    if (Date.now() > end) throw new Error(`uninstall did not finish within ${ms} ms (scheduler ${sb.scheduler.runtime.frameworkStateName})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Issue 10: the uninstall deletes the state but its tombstone (the owner record and the lease stay with it). */
const TOMBSTONE_KEYS = ['lease', 'meta.owner', 'tombstone'];

/**
 * Nothing of the service is left on the simulators. A task on a crashed host died with it (the
 * master may list it until the ping timeouts; the agent kills it if it ever comes back).
 */
function expectNothingLeft(sb: Sandbox, name: string): void {
  expect(sb.mesos.frameworks().filter((f) => f.name === name)).toEqual([]);
  const deadAgents = new Set(sb.mesos.agents().filter((a) => a.hostDown).map((a) => a.id));
  expect(sb.mesos.tasks().filter((t) => !TERMINAL.has(t.state) && !deadAgents.has(t.agentId))).toEqual([]);
  const ours = sb.portworx.volumes().filter((v) => v.name.startsWith(`${name}-`) || v.labels['pxfw/service'] === name);
  expect(ours.map((v) => `${v.name}${v.parentId ? ' (snapshot)' : ''}`)).toEqual([]);
  expect(sb.portworx.volumes().filter((v) => v.attachedOn.length > 0)).toEqual([]);
}

// The scenarios below each have a sandbox of their own and wait mostly on simulated time: they run
// side by side (describe.concurrent); the checks of one scenario run in order (it.sequential).
describe.concurrent('pxfw <service> uninstall --delete-volumes --delete-snapshots (promise 5: cleanup)', () => {
  let sb: Sandbox;
  let name: string;
  let sampler: SimSampler;
  let transitions: ReturnType<typeof captureTransitions>;
  let uninstall: Awaited<ReturnType<typeof cli>>;
  let tasksBefore: string[];
  let volumesBefore: { name: string; snapshot: boolean; group: string | undefined }[];

  beforeAll(async () => {
    const spec = frameworkYaml('cassandra');
    name = spec.name;
    ({ sandbox: sb } = await startSandbox(spec.yaml, { record: false }));
    await sb.scheduler.waitDeployed(60_000);
    const snap = await cli(name, 'snapshot', 'create', '--name', 'before-uninstall');
    if (snap.code !== 0) throw new Error(`snapshot create failed: ${snap.err}`);
    tasksBefore = runningTasks(sb).map((t) => t.taskId);
    volumesBefore = sb.portworx
      .volumes()
      .filter((v) => v.name.startsWith(`${name}-`) || v.labels['pxfw/service'] === name)
      .map((v) => ({ name: v.name, snapshot: !!v.parentId, group: v.labels[GROUP_SNAPSHOT_LABEL] }));
    transitions = captureTransitions(sb);
    sampler = new SimSampler(sb);
    uninstall = await cli(name, 'uninstall', '--delete-volumes', '--delete-snapshots', '--yes', '--wait');
    await gone(sb);
    sampler.stop();
    transitions.stop();
  });
  afterAll(async () => {
    sampler?.stop();
    await sb?.stop();
  });

  it.sequential('had something to delete: three running pods, three volumes and a three-volume snapshot group', () => {
    expect(tasksBefore).toHaveLength(3);
    expect(volumesBefore.filter((v) => !v.snapshot).map((v) => v.name).sort()).toEqual([0, 1, 2].map((i) => `${name}-node-${i}-data`));
    const snaps = volumesBefore.filter((v) => v.snapshot);
    expect(snaps).toHaveLength(3);
    expect(new Set(snaps.map((v) => v.group)).size).toBe(1);
  });

  it.sequential('answers the CLI, follows the uninstall plan with --wait, and exits 0', () => {
    expect(uninstall.err).toBe('');
    expect(uninstall.code).toBe(0);
    expect(uninstall.out).toMatch(new RegExp(`^uninstalling ${name}: killing tasks, detaching volumes, deleting volumes, tearing down the framework$`, 'm'));
    expect(uninstall.out).toMatch(/^uninstall: 6\/6 steps complete, plan COMPLETE$/m);
  });

  it.sequential('runs the uninstall steps in order and the supervisor ends uninstalled', () => {
    const fw = transitions.list.filter((t) => t.actor === 'framework').map((t) => t.to);
    expect(fw).toEqual([
      'uninstalling.killing-tasks',
      'uninstalling.detaching-volumes',
      'uninstalling.disposing-volumes',
      'uninstalling.tearing-down',
      'uninstalling.deleting-state',
      'uninstalling.removing-app',
      'uninstalled',
    ]);
    expect(sb.scheduler.runtime.frameworkStateName).toBe('uninstalled');
  });

  it.sequential('killed every task before detaching or deleting its volume', () => {
    for (const id of tasksBefore) {
      expect(sampler.first((c) => c.kind === 'task' && c.taskId === id && c.state === 'TASK_KILLED'), id).toBeGreaterThan(0);
    }
    const lastKill = Math.max(...tasksBefore.map((id) => sampler.first((c) => c.kind === 'task' && c.taskId === id && c.state === 'TASK_KILLED')));
    const firstDelete = sampler.first((c) => c.kind === 'volume' && !c.exists);
    expect(firstDelete).toBeGreaterThan(lastKill);
    expect(sampler.violations).toEqual([]);
  });

  it.sequential('leaves no task, no framework, no attachment, no volume and no snapshot', () => {
    expectNothingLeft(sb, name);
  });

  it.sequential('removes the service state but its tombstone: the bucket keeps only the owner record, the lease and the tombstone', async () => {
    expect(await kvKeys(name)).toEqual(TOMBSTONE_KEYS);
    const nc = await rawNats();
    try {
      const kv = await new Kvm(nc).open(bucketName(name));
      const t = (await kv.get('tombstone'))?.json<{ kind: string; uninstall: { deleteVolumes: boolean; deleteSnapshots: boolean } }>();
      expect(t).toMatchObject({ kind: 'pxfw-tombstone', uninstall: { deleteVolumes: true, deleteSnapshots: true } });
    } finally {
      await nc.close();
    }
  });

  it.sequential('keeps answering commands afterwards (issue 10): pod list says the service is uninstalled and lists no pods', async () => {
    const r = await cli(name, 'pod', 'list');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^${name} is uninstalled \\(since \\S+; volumes deleted; no Marathon app removed \\(pxfw run was given no --marathon\\)\\): \`pxfw ${name} reinstall --yes\` deploys it again$`, 'm'));
  });
});

describe.concurrent('pxfw <service> uninstall when an agent hosting a pod is gone for good', () => {
  let sb: Sandbox;
  let name: string;

  beforeAll(async () => {
    // Automatic replacement off, so the pod of the dead host stays failed until the uninstall.
    const spec = frameworkYaml('cassandra', (y) =>
      y.replace(/^volume_policy: .*$/m, 'volume_policy: delete').replace(/^ {2}auto_replace: true$/m, '  auto_replace: false'),
    );
    name = spec.name;
    ({ sandbox: sb } = await startSandbox(spec.yaml, { record: false }));
    await sb.scheduler.waitDeployed(60_000);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it.sequential('does not hang: kills what it can, force-detaches and deletes the dead host volumes, and ends gone', async () => {
    const victim = runningTasks(sb).find((t) => t.taskId.includes('__node-1__'))!;
    // The host dies: Portworx notices after its detect delay; Mesos hears nothing for 75 s.
    sb.mesos.crashAgent(victim.agentId);
    const rt = sb.scheduler.runtime;
    await eventually('node-1 waiting for replace', () => rt.registry.get('node-1')?.actor.getSnapshot().matches({ failed: 'awaiting-replace' }));
    const status = await cli(name, 'pod', 'status', 'node-1');
    expect(status.out).toMatch(/^node-1\s+failed\.awaiting-replace\s/m);
    const started = Date.now();
    const r = await cli(name, 'uninstall', '--delete-volumes', '--yes', '--wait', '--timeout', '20');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    await gone(sb);
    expect(Date.now() - started).toBeLessThan(20_000);
    expectNothingLeft(sb, name);
    expect(await kvKeys(name)).toEqual(TOMBSTONE_KEYS);
  });
});

describe.concurrent('the uninstall plan that plan status uninstall and uninstall --wait follow', () => {
  const base = () => initialFrameworkContext({ service: 'svc', podInstances: [], plans: { deploy: { phases: [] } } });

  it.sequential('does not exist before an uninstall was requested', () => {
    expect(uninstallPlanView(base(), (s) => s === 'active')).toBeNull();
  });

  it.sequential('shows the steps done as COMPLETE and the one under way as STARTING', () => {
    const ctx = { ...base(), uninstall: { deleteVolumes: true, deleteSnapshots: false, done: ['kill-tasks' as const] } };
    const view = uninstallPlanView(ctx, (s) => s === 'uninstalling')!;
    expect(view.status).toBe('IN_PROGRESS');
    expect(view.phases[0]!.steps.map((s) => `${s.name}=${s.status}`)).toEqual([
      'kill-tasks=COMPLETE',
      'detach-volumes=STARTING',
      'dispose-volumes=PENDING',
      'teardown=PENDING',
      'delete-state=PENDING',
      'remove-app=PENDING',
    ]);
  });

  it.sequential('reports a blocked step as ERROR with the effect error, so --wait exits non-zero', () => {
    const ctx = {
      ...base(),
      uninstall: { deleteVolumes: true, deleteSnapshots: false, done: [] },
      lastError: { name: 'X', code: 'PORTWORX_DENIED', message: 'delete refused', retryable: false },
    };
    const view = uninstallPlanView(ctx, (s) => s === 'uninstalling' || s === 'uninstallBlocked')!;
    expect(view.status).toBe('ERROR');
    expect(view.errors).toEqual(['delete refused']);
    expect(view.phases[0]!.steps[0]).toEqual({ name: 'kill-tasks', status: 'ERROR', message: 'delete refused' });
  });

  it.sequential('is COMPLETE once the supervisor is uninstalled (the tombstone)', () => {
    const view = uninstallPlanView(base(), (s) => s === 'uninstalled')!;
    expect(view.status).toBe('COMPLETE');
    expect(view.phases[0]!.steps.every((s) => s.status === 'COMPLETE')).toBe(true);
  });
});

describe.concurrent('pxfw <service> uninstall resumes after a scheduler restart', () => {
  let sb: Sandbox;
  let name: string;
  let yaml: string;
  let second: SchedulerService | undefined;
  let nc: Awaited<ReturnType<typeof rawNats>>;

  beforeAll(async () => {
    const spec = frameworkYaml('cassandra', (y) => y.replace(/^volume_policy: .*$/m, 'volume_policy: delete'));
    name = spec.name;
    yaml = spec.yaml;
    ({ sandbox: sb } = await startSandbox(spec.yaml, { record: false }));
    nc = await rawNats();
    await sb.scheduler.waitDeployed(60_000);
  });
  afterAll(async () => {
    await second?.stop();
    await sb?.stop();
    await nc?.close();
  });

  it.sequential('picks up the persisted progress and flags, and finishes the remaining steps', async () => {
    // A partitioned agent keeps one task from ever confirming its kill: uninstall waits there.
    const victim = runningTasks(sb).find((t) => t.taskId.includes('__node-1__'))!;
    sb.mesos.partitionAgent(victim.agentId);
    // Unreachable: on probation (suspect) until the uninstall stops it.
    await eventually('node-1 unreachable', () => /^running\.(suspect|unreachable)/.test(sb.scheduler.runtime.registry.get('node-1')?.state ?? ''));
    const r = await cli(name, 'uninstall', '--delete-volumes', '--yes');
    expect(r.code).toBe(0);
    await new Promise((res) => setTimeout(res, 300));
    const first = sb.scheduler.runtime;
    expect(first.frameworkStateName).toMatch(/^uninstalling\.(killing-tasks|backoff)$/);
    expect(first.frameworkContext.uninstall).toEqual({ deleteVolumes: true, deleteSnapshots: false, done: [] });
    // The scheduler dies mid-uninstall; the agent comes back; a new scheduler process starts.
    await sb.scheduler.stop();
    sb.mesos.healAgent(victim.agentId);
    // The same sandbox's state: the new process claims it as that sandbox, as `pxfw sandbox` would.
    second = await startSchedulerOn(sb, yaml, nc, 'second-scheduler');
    const transitions: string[] = [];
    const unsubscribe = second.runtime.transitions.subscribe((t) => transitions.push(t.to));
    try {
      await gone({ scheduler: second } as unknown as Sandbox);
    } finally {
      unsubscribe();
    }
    // Straight from subscribing into the uninstall: no reconciling, no deploy plan, no relaunch.
    const fromSubscribing = transitions.slice(transitions.indexOf('subscribing'));
    expect(fromSubscribing).toEqual([
      'subscribing',
      'uninstalling.killing-tasks',
      'uninstalling.detaching-volumes',
      'uninstalling.disposing-volumes',
      'uninstalling.tearing-down',
      'uninstalling.deleting-state',
      'uninstalling.removing-app',
      'uninstalled',
    ]);
    // The --delete-volumes given to the first scheduler was honoured by the second.
    expectNothingLeft(sb, name);
    expect(await kvKeys(name)).toEqual(TOMBSTONE_KEYS);
  });
});
