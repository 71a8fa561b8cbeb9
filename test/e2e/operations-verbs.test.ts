import { POD_TAGS } from '../../machines/pod-instance.logic';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { eventually, frameworkYaml, startSandbox } from './helpers';
import { captureTransitions, cli, cliJson, firstTransition, observableState, rawNats, runningTasks, serviceVolumes, SimSampler, watchSchedulerDetaches } from './helpers-ops';

interface PodJson {
  name: string;
  state: string;
  taskId: string | null;
  agentId: string | null;
  hostname: string | null;
  volumes: { name: string; id: string | null; replicaHosts: string[] }[];
}

/** Every pod actor is running and so is its task on the agent. */
function settled(sb: Sandbox, count = 3): boolean {
  const pods = sb.scheduler.runtime.registry.all();
  return pods.length === count && pods.every((e) => e.actor.getSnapshot().hasTag(POD_TAGS.ready)) && runningTasks(sb).length === count;
}

// The scenarios below each have a sandbox of their own and wait mostly on simulated time: they run
// side by side (describe.concurrent); the checks of one scenario run in order (it.sequential).
describe.concurrent('pxfw <service> plan, pod, endpoints, debug and config verbs against the sandbox', () => {
  let sb: Sandbox;
  let name: string;

  beforeAll(async () => {
    const spec = frameworkYaml('cassandra');
    name = spec.name;
    ({ sandbox: sb } = await startSandbox(spec.yaml, { record: false }));
    await sb.scheduler.waitDeployed(60_000);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it.sequential('plan list shows the deploy plan complete and an empty decommission plan', async () => {
    const r = await cli(name, 'plan', 'list');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^PLAN\s+STATUS\s+PAUSED\s+PHASES\s+STEPS$/m);
    expect(r.out).toMatch(/^deploy\s+COMPLETE\s+no\s+1\s+3\/3$/m);
    expect(r.out).toMatch(/^decommission\s+COMPLETE\s+no\s+1\s+0\/0$/m);
  });

  it.sequential('plan status shows each deploy step of the serial node-deploy phase', async () => {
    const r = await cli(name, 'plan', 'status');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^plan deploy: COMPLETE$/m);
    for (const i of [0, 1, 2]) expect(r.out).toMatch(new RegExp(`^node-deploy \\(serial\\)\\s+COMPLETE\\s+node-${i}\\s+COMPLETE\\s+-$`, 'm'));
  });

  it.sequential('pod list, pod status and pod info agree with the simulators', async () => {
    const pods = await cliJson<PodJson[]>(name, 'pod', 'list');
    expect(pods.map((p) => p.name)).toEqual(['node-0', 'node-1', 'node-2']);
    for (const p of pods) {
      const task = runningTasks(sb).find((t) => t.taskId === p.taskId);
      expect(task, p.name).toBeDefined();
      expect(p.hostname).toBe(task!.hostname);
      expect(p.state).toBe('running.up');
      expect(p.volumes[0]!.replicaHosts).toContain(task!.hostname);
    }
    const status = await cli(name, 'pod', 'status', 'node-0');
    expect(status.code).toBe(0);
    expect(status.out).toMatch(new RegExp(`^node-0\\s+running\\.up\\s+${pods[0]!.taskId}\\s+TASK_RUNNING\\s+${pods[0]!.agentId}\\s+${pods[0]!.hostname}\\s+task running$`, 'm'));
    const info = await cli(name, 'pod', 'info', 'node-0');
    expect(info.code).toBe(0);
    expect(info.out).toMatch(new RegExp(`^${name}-node-0-data\\s+${pods[0]!.volumes[0]!.id}\\s+${pods[0]!.volumes[0]!.replicaHosts.join(',')}$`, 'm'));
    expect(info.out).toContain('"preSnapshot": "nodetool flush"');
  });

  it.sequential('endpoints lists every named port of every running pod', async () => {
    const r = await cli(name, 'endpoints');
    expect(r.code).toBe(0);
    const hosts = runningTasks(sb).map((t) => t.hostname).sort();
    for (const [port, n] of [['native', 9042], ['storage', 7000], ['jmx', 7199]] as const) {
      const line = r.out.split('\n').find((l) => l.startsWith(`node-${port} `));
      expect(line, port).toBeDefined();
      expect(line!.trim().split(/\s+/)[1]!.split(',').sort()).toEqual(hosts.map((h) => `${h}:${n}`));
    }
  });

  it.sequential('debug offers explains why each pod went where it went', async () => {
    const r = await cli(name, 'debug', 'offers', 'node-1');
    expect(r.code).toBe(0);
    const host = runningTasks(sb).find((t) => t.taskId.includes('__node-1__'))!.hostname;
    expect(r.out).toMatch(/^node-1 \(evaluated \S+\)$/m);
    expect(r.out).toMatch(new RegExp(`^  ${host} \\(rack-\\d\\): CHOSEN score \\d+: replica holder of ${name}-node-1-data$`, 'm'));
    expect(r.out).toMatch(/FAIL volume-locality: not a replica holder/);
  });

  it.sequential('config show prints the spec the scheduler runs', async () => {
    const r = await cli(name, 'config', 'show');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^name: ${name}$`, 'm'));
    expect(r.out).toMatch(/^\s+pre_snapshot: nodetool flush$/m);
    // Headed by the target configuration id and the one each pod's task was launched with.
    expect(r.out).toMatch(/^# target configuration: [0-9a-f]{12}$/m);
    expect(r.out).toMatch(/^# {3}node-0: [0-9a-f]{12}$/m);
  });

  it.sequential('plan pause holds a scale-up; plan resume lets it run', async () => {
    const paused = await cli(name, 'plan', 'pause', 'deploy');
    expect(paused.code).toBe(0);
    expect(paused.out).toMatch(/^plan deploy: paused$/m);
    const scale = await cli(name, 'scale', 'node', '4', '--yes');
    expect(scale.code).toBe(0);
    expect(scale.out).toMatch(/^deploy: 3\/4 steps complete \(node-3 WAITING\) \[paused\]$/m);
    await new Promise((r) => setTimeout(r, 500));
    expect(runningTasks(sb)).toHaveLength(3);
    expect(serviceVolumes(sb, name)).toHaveLength(3);
    const resumed = await cli(name, 'plan', 'resume', 'deploy');
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/^plan deploy: running$/m);
    const watched = await cli(name, 'plan', 'status', 'deploy', '--watch', '--timeout', '20');
    expect(watched.code).toBe(0);
    expect(watched.out).toMatch(/^deploy: 4\/4 steps complete, plan COMPLETE$/m);
    await eventually('four pods running', () => settled(sb, 4));
  });

  it.sequential('plan force-complete marks a held step complete without launching it', async () => {
    expect((await cli(name, 'plan', 'pause', 'deploy')).code).toBe(0);
    expect((await cli(name, 'scale', 'node', '5', '--yes')).code).toBe(0);
    const r = await cli(name, 'plan', 'force-complete', 'deploy', 'node-deploy', 'node-4', '--yes');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^plan deploy\/node-deploy\/node-4: force-complete accepted$/m);
    expect(r.out).toMatch(/^deploy: 5\/5 steps complete, plan COMPLETE \[paused\]$/m);
    expect((await cli(name, 'plan', 'resume', 'deploy')).code).toBe(0);
    await new Promise((res) => setTimeout(res, 500));
    expect(runningTasks(sb)).toHaveLength(4);
    expect(sb.scheduler.runtime.registry.get('node-4')).toBeUndefined();
    // Back to three pods for the tests below (node-4 never existed, node-3 is decommissioned).
    expect((await cli(name, 'scale', 'node', '3', '--yes', '--wait', '--timeout', '20')).code).toBe(0);
    await eventually('three pods running', () => settled(sb, 3));
  });

  it.sequential('plan restart puts a step back in progress; a pod already at its goal completes it again', async () => {
    const r = await cli(name, 'plan', 'restart', 'deploy', 'node-deploy', 'node-1', '--yes');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^plan deploy\/node-deploy\/node-1: restart accepted$/m);
    const watched = await cli(name, 'plan', 'status', '--watch', '--timeout', '20');
    expect(watched.code).toBe(0);
    expect(watched.out).toMatch(/plan COMPLETE$/m);
  });

  it.sequential('pod restart relaunches the pod in place: new task, same agent, same volume', async () => {
    const before = runningTasks(sb).find((t) => t.taskId.includes('__node-0__'))!;
    const transitions = captureTransitions(sb);
    const sampler = new SimSampler(sb);
    try {
      const r = await cli(name, 'pod', 'restart', 'node-0', '--yes');
      expect(r.code).toBe(0);
      expect(r.out.trim()).toBe('restarting node-0 in place');
      await eventually('node-0 relaunched', () => settled(sb) && !runningTasks(sb).some((t) => t.taskId === before.taskId));
    } finally {
      sampler.stop();
      transitions.stop();
    }
    const after = runningTasks(sb).find((t) => t.taskId.includes('__node-0__'))!;
    expect(after.taskId).not.toBe(before.taskId);
    expect(after.agentId).toBe(before.agentId);
    expect(serviceVolumes(sb, name).find((v) => v.name === `${name}-node-0-data`)!.attachedOn).toEqual([before.hostname]);
    const states = transitions.list.filter((t) => t.actor === 'pod/node-0').map((t) => t.to);
    expect(states[0]).toBe('relaunching.killing');
    expect(states).not.toContain('re-attaching.fencing');
    expect(states.at(-1)).toBe('running.up');
    expect(sampler.first((c) => c.kind === 'task' && c.taskId === before.taskId && c.state === 'TASK_KILLED')).toBeGreaterThan(0);
    expect(sampler.violations).toEqual([]);
  });

  it.sequential('pod replace fences the volume and relaunches the pod elsewhere, on the other replica holder when it is free', async () => {
    // Prefer a pod whose second replica holder runs no pod (hostname:UNIQUE would refuse it) and
    // is in the pod's own zone (@zone:GROUP_BY, kept by the default spread policy).
    const busy = new Set(runningTasks(sb).map((t) => t.hostname));
    const zoneOf = new Map(sb.mesos.agents().map((a) => [a.hostname, a.zone]));
    const candidates = ['node-2', 'node-1', 'node-0'].map((pod) => {
      const task = runningTasks(sb).find((t) => t.taskId.includes(`__${pod}__`))!;
      const vol = serviceVolumes(sb, name).find((v) => v.name === `${name}-${pod}-data`)!;
      const keepsSpread = (h: string) => zoneOf.get(h) === zoneOf.get(task.hostname);
      return { pod, task, vol, freeHolder: vol.replicaHosts.find((h) => h !== task.hostname && !busy.has(h) && keepsSpread(h)) };
    });
    const { pod, task: before, vol, freeHolder } = candidates.find((c) => c.freeHolder) ?? candidates[0]!;
    const transitions = captureTransitions(sb);
    const sampler = new SimSampler(sb);
    const detaches = watchSchedulerDetaches(sb);
    try {
      const r = await cli(name, 'pod', 'replace', pod, '--yes');
      expect(r.code).toBe(0);
      expect(r.out.trim()).toBe(`replacing ${pod}: fencing its volumes, then relaunching on another replica holder`);
      await eventually(`${pod} relaunched`, () => settled(sb) && !runningTasks(sb).some((t) => t.taskId === before.taskId), 30_000);
    } finally {
      detaches.stop();
      sampler.stop();
      transitions.stop();
    }
    const after = runningTasks(sb).find((t) => t.taskId.includes(`__${pod}__`))!;
    expect(after.hostname).not.toBe(before.hostname);
    // Without a free holder that keeps the spread, a replica is added where the constraints allow
    // and the pod goes there once it has synced: it always lands on a replica holder.
    if (freeHolder) expect(after.hostname).toBe(freeHolder);
    expect(serviceVolumes(sb, name).find((v) => v.id === vol.id)!.replicaHosts).toContain(after.hostname);
    expect(serviceVolumes(sb, name).find((v) => v.id === vol.id)!.attachedOn).toEqual([after.hostname]);
    const t = transitions.list;
    const actor = `pod/${pod}`;
    expect(firstTransition(t, actor, 're-attaching.fencing')).toBe(t.findIndex((x) => x.actor === actor));
    expect(firstTransition(t, actor, 're-attaching.checking')).toBeGreaterThan(firstTransition(t, actor, 're-attaching.fencing'));
    expect(firstTransition(t, actor, 'placed')).toBeGreaterThan(firstTransition(t, actor, 're-attaching.checking'));
    // Fenced: the old task ended before its volume was detached, and only then attached anew.
    const killed = sampler.first((c) => c.kind === 'task' && c.taskId === before.taskId && c.state === 'TASK_KILLED');
    const detached = sampler.first((c) => c.kind === 'volume' && c.id === vol.id && c.attachedOn.length === 0);
    const attachedNew = sampler.first((c) => c.kind === 'volume' && c.id === vol.id && c.attachedOn.includes(after.hostname));
    expect(killed).toBeGreaterThan(0);
    expect(detached).toBeGreaterThan(killed);
    expect(attachedNew).toBeGreaterThan(detached);
    expect(sampler.violations).toEqual([]);
    // The scheduler never force-detached the volume from under the task it had just killed.
    expect(detaches.calls.filter((c) => c.volumeId === vol.id && c.liveTasks.length > 0)).toEqual([]);
  });
});

describe.concurrent('pxfw <service> config update rolls the changed pods one rack at a time', () => {
  let sb: Sandbox;
  let name: string;
  let yaml: string;
  const dir = mkdtempSync(join(tmpdir(), 'pxfw-config-'));

  beforeAll(async () => {
    const spec = frameworkYaml('cassandra');
    name = spec.name;
    yaml = spec.yaml;
    ({ sandbox: sb } = await startSandbox(spec.yaml, { record: false }));
    await sb.scheduler.waitDeployed(60_000);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it.sequential('restarts every pod whose env changed, never two racks down at once', async () => {
    const file = join(dir, 'cassandra.yml');
    writeFileSync(file, yaml.replace('MAX_HEAP_SIZE: 2G', 'MAX_HEAP_SIZE: 3G'));
    const rackOf = new Map(sb.mesos.agents().map((a) => [a.hostname, a.rack]));
    const podRack = new Map(runningTasks(sb).map((t) => [t.taskId.split('__')[1]!, rackOf.get(t.hostname)!]));
    const oldTasks = runningTasks(sb).map((t) => t.taskId);
    const transitions = captureTransitions(sb);
    try {
      const r = await cli(name, 'config', 'update', file, '--yes');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^configuration [0-9a-f]{12}: rolling restart of 3 pods, at most 1 node down at a time \(failure_policy\.max_unavailable\)/m);
      expect(r.out).toMatch(/^pods to update: node-\d, node-\d, node-\d$/m);
      await eventually('every pod relaunched', () => settled(sb) && runningTasks(sb).every((t) => !oldTasks.includes(t.taskId)), 30_000);
    } finally {
      transitions.stop();
    }
    // Replay the transitions: which racks have a pod that is not running, at every step.
    const down = new Set<string>();
    let worst = 0;
    for (const t of transitions.list.filter((x) => x.actor.startsWith('pod/'))) {
      const pod = t.actor.slice(4);
      if (t.to === 'running.up') down.delete(pod);
      else down.add(pod);
      worst = Math.max(worst, new Set([...down].map((p) => podRack.get(p))).size);
    }
    expect(worst).toBe(1);
    expect(new Set(transitions.list.filter((x) => x.to === 'relaunching.killing').map((x) => x.actor))).toEqual(new Set(['pod/node-0', 'pod/node-1', 'pod/node-2']));
    const shown = await cli(name, 'config', 'show');
    expect(shown.out).toMatch(/^\s+MAX_HEAP_SIZE: 3G$/m);
  });

  it.sequential('leaves pods alone when nothing about their pod type changed', async () => {
    const file = join(dir, 'same.yml');
    writeFileSync(file, yaml.replace('MAX_HEAP_SIZE: 2G', 'MAX_HEAP_SIZE: 3G').replace('snapshot_timeout: 5m', 'snapshot_timeout: 5m\n'));
    const tasks = runningTasks(sb).map((t) => t.taskId).sort();
    const r = await cli(name, 'config', 'update', file, '--yes');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^configuration [0-9a-f]{12}: nothing to apply$/m);
    await new Promise((res) => setTimeout(res, 300));
    expect(runningTasks(sb).map((t) => t.taskId).sort()).toEqual(tasks);
  });
});

describe.concurrent('bad operator input gets a clear error and changes nothing', () => {
  let sb: Sandbox;
  let name: string;
  let yaml: string;
  let before: ReturnType<typeof observableState>;

  beforeAll(async () => {
    const spec = frameworkYaml('cassandra');
    name = spec.name;
    yaml = spec.yaml;
    ({ sandbox: sb } = await startSandbox(spec.yaml, { record: false }));
    await sb.scheduler.waitDeployed(60_000);
    before = observableState(sb, name);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  /** Give a wrongly accepted command time to show, then compare with the state before. */
  async function expectUnchanged(): Promise<void> {
    await new Promise((r) => setTimeout(r, 200));
    expect(observableState(sb, name)).toEqual(before);
  }

  it.sequential('pod info node-9: 404 naming the pods that exist', async () => {
    const r = await cli(name, 'pod', 'info', 'node-9');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(`pxfw: 404 UNKNOWN_POD: no pod 'node-9' in ${name} (pods: node-0, node-1, node-2)\n`);
    await expectUnchanged();
  });

  it.sequential('pod replace node-9 --yes: 404 as well, nothing fenced', async () => {
    const r = await cli(name, 'pod', 'replace', 'node-9', '--yes');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^pxfw: 404 UNKNOWN_POD: no pod 'node-9'/);
    await expectUnchanged();
  });

  it.sequential('scale node -1 --yes: 400 naming the count field', async () => {
    const r = await cli(name, 'scale', 'node', '-1', '--yes');
    expect(r.code).toBe(1);
    expect(r.err).toBe('pxfw: 400 INVALID_REQUEST: count: must be a non-negative integer\n');
    await expectUnchanged();
  });

  it.sequential('scale node many --yes and scale nope 4 --yes: 400 with what is wrong', async () => {
    const word = await cli(name, 'scale', 'node', 'many', '--yes');
    expect(word.code).toBe(1);
    expect(word.err).toBe('pxfw: 400 INVALID_REQUEST: count: must be a non-negative integer\n');
    const type = await cli(name, 'scale', 'nope', '4', '--yes');
    expect(type.code).toBe(1);
    expect(type.err).toBe("pxfw: 400 INVALID_REQUEST: unknown pod type 'nope' (pod types: node)\n");
    await expectUnchanged();
  });

  it.sequential('a request that is not JSON gets 400 with the service error headers', async () => {
    const nc = await rawNats();
    try {
      const reply = await nc.request(`pxfw.${name}.scale`, new Uint8Array([0x7b, 0x22, 0xff, 0x00, 0x3a]), { timeout: 5000 });
      expect(reply.headers?.get('Nats-Service-Error-Code')).toBe('400');
      expect(reply.headers?.get('Nats-Service-Error')).toMatch(/^INVALID_REQUEST: request body: not valid JSON/);
      expect(reply.json<{ error: { status: number; code: string } }>().error).toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
    } finally {
      await nc.close();
    }
    await expectUnchanged();
  });

  it.sequential('a destructive verb without --yes is refused before anything is sent', async () => {
    for (const args of [
      ['scale', 'node', '1'],
      ['pod', 'restart', 'node-0'],
      ['pod', 'replace', 'node-1'],
      ['snapshot', 'restore', 'x'],
      ['uninstall', '--delete-volumes'],
      ['plan', 'restart', 'deploy'],
    ]) {
      const r = await cli(name, ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(new RegExp(`^pxfw: add --yes to confirm .* on ${name} \\(this is destructive\\)\\n$`));
    }
    await expectUnchanged();
  });

  it.sequential('a destructive request over NATS without the confirm field gets 412 saying what to send', async () => {
    const nc = await rawNats();
    try {
      const reply = await nc.request(`pxfw.${name}.scale`, JSON.stringify({ podType: 'node', count: 1 }), { timeout: 5000 });
      expect(reply.headers?.get('Nats-Service-Error-Code')).toBe('412');
      expect(reply.headers?.get('Nats-Service-Error')).toContain(`"confirm": "${name}"`);
    } finally {
      await nc.close();
    }
    await expectUnchanged();
  });

  it.sequential('config update with an invalid spec or another service name: 400, spec unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pxfw-bad-config-'));
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, yaml.replace('count: 3', 'count: -2'));
    const r = await cli(name, 'config', 'update', bad, '--yes');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^pxfw: 400 INVALID_REQUEST: .*count/);
    const other = join(dir, 'other.yml');
    writeFileSync(other, yaml.replace(`name: ${name}`, 'name: someone-else'));
    const r2 = await cli(name, 'config', 'update', other, '--yes');
    expect(r2.code).toBe(1);
    expect(r2.err).toBe(`pxfw: 400 INVALID_REQUEST: the spec names service 'someone-else', not '${name}'\n`);
    const shown = await cli(name, 'config', 'show');
    // `config show` heads the spec with the configuration ids (YAML comments); the spec is unchanged.
    expect(shown.out.replace(/^(# (target configuration: |  ).*\n)+/, '').trim()).toBe(yaml.trim());
    await expectUnchanged();
  });

  it.sequential('unknown plans, phases and snapshots: 404, nothing changes', async () => {
    const plan = await cli(name, 'plan', 'status', 'nope');
    expect(plan.code).toBe(1);
    expect(plan.err).toMatch(/^pxfw: 404 UNKNOWN_PLAN: no plan 'nope'/);
    const phase = await cli(name, 'plan', 'force-complete', 'deploy', 'nophase', '--yes');
    expect(phase.code).toBe(1);
    expect(phase.err).toMatch(/^pxfw: 404 UNKNOWN_PLAN: .*no such phase or step in the plan/);
    const uninstall = await cli(name, 'plan', 'status', 'uninstall');
    expect(uninstall.code).toBe(1);
    expect(uninstall.err).toMatch(/^pxfw: 404 UNKNOWN_PLAN: no uninstall was requested/);
    const snap = await cli(name, 'snapshot', 'restore', 'nope', '--yes');
    expect(snap.code).toBe(1);
    expect(snap.err).toMatch(/^pxfw: 404 UNKNOWN_SNAPSHOT: no snapshot 'nope'/);
    await expectUnchanged();
  });
});
