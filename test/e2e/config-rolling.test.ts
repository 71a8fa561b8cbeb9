import { POD_TAGS } from '../../machines/pod-instance.logic';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { PlanView } from '../../src/api/operations';
import { expectConformantRecordings } from '../conformance/recordings';
import { eventually, frameworkYaml, startSandbox } from './helpers';
import { captureTransitions, cli, cliJson, runningTasks } from './helpers-ops';
import { patchSpec, readRecords } from './helpers-recovery';

interface LaunchedTask {
  task_id: { value: string };
  command?: { environment?: { variables?: { name: string; value?: string }[] } };
}

/** Every task the scheduler launched (ACCEPT with LAUNCH_GROUP), from the Mesos recording. */
function launchedTasks(dir: string): LaunchedTask[] {
  return readRecords(dir, 'mesos').flatMap((r) => {
    const body = r.body as { type?: string; accept?: { operations?: { launch_group?: { task_group?: { tasks?: LaunchedTask[] } } }[] } };
    if (r.api !== 'scheduler' || r.dir !== 'call' || body.type !== 'ACCEPT') return [];
    return (body.accept?.operations ?? []).flatMap((op) => op.launch_group?.task_group?.tasks ?? []);
  });
}

/** Every pod actor is running and so is its task on the agent. */
function settled(sb: Sandbox, count: number): boolean {
  const pods = sb.scheduler.runtime.registry.all();
  return pods.length === count && pods.every((e) => e.actor.getSnapshot().hasTag(POD_TAGS.ready)) && runningTasks(sb).length === count;
}

// The scenarios below each have a sandbox of their own and wait mostly on simulated time: they run
// side by side (describe.concurrent); the checks of one scenario run in order (it.sequential).
/**
 * Issue 10 problem 4: the rolling update's "one failure domain at a time" restarted two of three
 * Cassandra nodes together because both were in one rack. A rolling restart now takes at most
 * `failure_policy.max_unavailable` pods of a type down at once (default 1), counted across all
 * failure domains.
 */
describe.concurrent('config update rolls pods at most max_unavailable at a time, whatever their racks', () => {
  let sb: Sandbox;
  let name: string;
  let yaml: string;
  let record: string | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'pxfw-config-rolling-'));

  beforeAll(async () => {
    const spec = frameworkYaml('cassandra');
    name = spec.name;
    yaml = spec.yaml;
    // Two racks (and zones) for three pods: two of them share a rack.
    ({ sandbox: sb, record } = await startSandbox(spec.yaml, { agents: 6, racks: 2 }));
    await sb.scheduler.waitDeployed(60_000);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it.sequential('restarts three pods, two of them in one rack, never more than one down', async () => {
    const rackOf = new Map(sb.mesos.agents().map((a) => [a.hostname, a.rack]));
    const podRack = new Map(runningTasks(sb).map((t) => [t.taskId.split('__')[1]!, rackOf.get(t.hostname)!]));
    const racks = [...podRack.values()];
    // The premise: two pods share a rack.
    expect(new Set(racks).size).toBe(2);
    const oldTasks = runningTasks(sb).map((t) => t.taskId);
    const file = join(dir, 'heap.yml');
    writeFileSync(file, yaml.replace('MAX_HEAP_SIZE: 2G', 'MAX_HEAP_SIZE: 3G'));
    const transitions = captureTransitions(sb);
    let reply = { code: -1, out: '', err: '' };
    try {
      reply = await cli(name, 'config', 'update', file, '--yes');
      expect(reply.err).toBe('');
      expect(reply.code).toBe(0);
      await eventually('every pod relaunched', () => settled(sb, 3) && runningTasks(sb).every((t) => !oldTasks.includes(t.taskId)), 60_000);
    } finally {
      transitions.stop();
    }
    // Replay the pod transitions: how many pods were not running, at worst.
    const down = new Set<string>();
    let worst = 0;
    for (const t of transitions.list.filter((x) => x.actor.startsWith('pod/'))) {
      const pod = t.actor.slice(4);
      if (t.to === 'running.up') down.delete(pod);
      else down.add(pod);
      worst = Math.max(worst, down.size);
    }
    expect(worst).toBe(1);
    expect(new Set(transitions.list.filter((x) => x.to === 'relaunching.killing').map((x) => x.actor))).toEqual(new Set(['pod/node-0', 'pod/node-1', 'pod/node-2']));
    expect(reply.out).toMatch(/^configuration [0-9a-f]{12}: rolling restart of 3 pods, at most 1 node down at a time \(failure_policy\.max_unavailable\); progress: pxfw \S+ plan status update$/m);
    expect(reply.out).toMatch(/^pods to update: node-0, node-1, node-2$/m);
    await eventually('update plan complete', async () => (await cliJson<PlanView>(name, 'plan', 'status', 'update')).status === 'COMPLETE', 10_000);
    const plan = await cliJson<PlanView>(name, 'plan', 'status', 'update');
    expect(plan.phases.map((p) => [p.name, p.status])).toEqual([['restart', 'COMPLETE']]);
    expect(plan.phases[0]!.steps.map((s) => s.name)).toEqual(['node-0', 'node-1', 'node-2']);
    expect((await cli(name, 'config', 'show')).out).toMatch(/^\s+MAX_HEAP_SIZE: 3G$/m);
    // The relaunched tasks carry the new environment (what the restart was for).
    const running = new Set(runningTasks(sb).map((t) => t.taskId));
    const launched = launchedTasks(record!).filter((t) => running.has(t.task_id.value));
    expect(launched).toHaveLength(3);
    for (const t of launched) expect(t.command?.environment?.variables).toContainEqual(expect.objectContaining({ name: 'MAX_HEAP_SIZE', value: '3G' }));
  });

  it.sequential('with max_unavailable 2, two pods of the type restart together and never three', async () => {
    const oldTasks = runningTasks(sb).map((t) => t.taskId);
    yaml = yaml.replace('MAX_HEAP_SIZE: 2G', 'MAX_HEAP_SIZE: 4G').replace(/^  max_unavailable: 1$/m, '  max_unavailable: 2');
    expect(yaml).toMatch(/^  max_unavailable: 2$/m);
    const file = join(dir, 'two.yml');
    writeFileSync(file, yaml);
    const transitions = captureTransitions(sb);
    let reply = { code: -1, out: '', err: '' };
    try {
      reply = await cli(name, 'config', 'update', file, '--yes');
      expect(reply.code, reply.err).toBe(0);
      await eventually('every pod relaunched', () => settled(sb, 3) && runningTasks(sb).every((t) => !oldTasks.includes(t.taskId)), 60_000);
    } finally {
      transitions.stop();
    }
    const down = new Set<string>();
    let worst = 0;
    for (const t of transitions.list.filter((x) => x.actor.startsWith('pod/'))) {
      if (t.to === 'running.up') down.delete(t.actor);
      else down.add(t.actor);
      worst = Math.max(worst, down.size);
    }
    expect(worst).toBe(2);
    expect(reply.out).toMatch(/at most 2 node down at a time/);
  });

  it.sequential('every Portworx and Mesos exchange was conformant', () => {
    expectConformantRecordings(record!, { require: ['mesos', 'portworx'] });
  });
});

/** The plan stops at the first failed step and says why; nothing after it happens. */
describe.concurrent('an update plan stops at the first failed step', () => {
  let sb: Sandbox;
  let name: string;
  let yaml: string;
  const dir = mkdtempSync(join(tmpdir(), 'pxfw-config-fail-'));

  beforeAll(async () => {
    // Two pods on two hosts: a third replica has nowhere to go.
    const spec = frameworkYaml('cassandra', patchSpec((d) => (d.pods.node!.count = 2)));
    name = spec.name;
    yaml = spec.yaml;
    ({ sandbox: sb } = await startSandbox(spec.yaml, { agents: 2, racks: 2, record: false }));
    await sb.scheduler.waitDeployed(60_000);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it.sequential('repl 2 -> 3 on two storage nodes fails its step: plan ERROR naming it, the rolling restart after it never starts', async () => {
    const tasks = runningTasks(sb).map((t) => t.taskId).sort();
    const file = join(dir, 'repl3.yml');
    writeFileSync(file, yaml.replace('repl: 2', 'repl: 3').replace('MAX_HEAP_SIZE: 2G', 'MAX_HEAP_SIZE: 3G'));
    const r = await cli(name, 'config', 'update', file, '--yes');
    expect(r.code, r.err).toBe(0);
    const plan = await eventually('update plan in ERROR', async () => {
      const p = await cliJson<PlanView>(name, 'plan', 'status', 'update');
      return p.status === 'ERROR' && p;
    }, 20_000);
    expect(plan.errors).toEqual([expect.stringMatching(/^stopped at step node-0-data-repl: no host with Portworx storage up can take another replica of \S+-node-0-data \(replicas on \S+, \S+\); add a storage node or keep repl 2$/)]);
    expect(plan.phases.map((p) => [p.name, p.status])).toEqual([['volumes', 'ERROR'], ['restart', 'PENDING']]);
    expect(plan.phases[0]!.steps.map((s) => s.status)).toEqual(['ERROR', 'PENDING']);
    const human = await cli(name, 'plan', 'status', 'update');
    expect(human.out).toMatch(/^error: stopped at step node-0-data-repl: no host with Portworx storage up/m);
    await new Promise((res) => setTimeout(res, 500));
    expect(runningTasks(sb).map((t) => t.taskId).sort()).toEqual(tasks);
    // A new configuration may replace a stopped plan.
    const back = join(dir, 'back.yml');
    writeFileSync(back, yaml);
    expect((await cli(name, 'config', 'update', back, '--yes')).code).toBe(0);
  });
});
