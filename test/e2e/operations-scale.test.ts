import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { expectConformantRecordings } from '../conformance/recordings';
import { eventually, frameworkYaml, startSandbox } from './helpers';
import { captureTransitions, cli, firstTransition, kvKeys, runningTasks, serviceVolumes, SimSampler } from './helpers-ops';

/** The volume policy line of the shipped Cassandra spec, swapped per test. */
function withPolicy(policy: 'delete' | 'retain') {
  return frameworkYaml('cassandra', (y) => y.replace(/^volume_policy: .*$/m, `volume_policy: ${policy}`));
}

// The scenarios below each have a sandbox of their own and wait mostly on simulated time: they run
// side by side (describe.concurrent); the checks of one scenario run in order (it.sequential).
describe.concurrent('pxfw <service> scale with volume_policy: delete (promise 2: scaling down decommissions)', () => {
  let sb: Sandbox;
  let name: string;
  let record: string | undefined;
  /** The data volumes after the first deploy: id by name. */
  let deployed: Map<string, string>;

  beforeAll(async () => {
    const spec = withPolicy('delete');
    name = spec.name;
    ({ sandbox: sb, record } = await startSandbox(spec.yaml));
    await sb.scheduler.waitDeployed(60_000);
    deployed = new Map(serviceVolumes(sb, name).map((v) => [v.name, v.id]));
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it.sequential('deploys three pods with three volumes first', () => {
    expect(runningTasks(sb)).toHaveLength(3);
    expect([...deployed.keys()].sort()).toEqual([0, 1, 2].map((i) => `${name}-node-${i}-data`));
  });

  it.sequential('scales up to five through the deploy plan: five pods running, five volumes', async () => {
    const r = await cli(name, 'scale', 'node', '5', '--yes', '--wait');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^scaling node to 5$/m);
    expect(r.out).toMatch(/^deploy: 5\/5 steps complete, plan COMPLETE$/m);
    await eventually('five running tasks', () => runningTasks(sb).length === 5);
    const vols = serviceVolumes(sb, name);
    expect(vols.map((v) => v.name).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `${name}-node-${i}-data`));
    // The first three volumes are the same ones: scaling up never recreates existing data.
    for (const [volName, id] of deployed) expect(vols.find((v) => v.name === volName)?.id).toBe(id);
    const hosts = runningTasks(sb).map((t) => t.hostname);
    expect(new Set(hosts).size).toBe(5);
  });

  it.sequential('scales down to three: decommissions node-4 then node-3, each task terminal before its volume is detached and deleted', async () => {
    const transitions = captureTransitions(sb);
    const sampler = new SimSampler(sb);
    const taskOf = (pod: string) => runningTasks(sb).find((t) => t.taskId.includes(`__${pod}__`))!.taskId;
    const task4 = taskOf('node-4');
    const task3 = taskOf('node-3');
    const vol4 = serviceVolumes(sb, name).find((v) => v.name === `${name}-node-4-data`)!.id;
    const vol3 = serviceVolumes(sb, name).find((v) => v.name === `${name}-node-3-data`)!.id;
    try {
      const r = await cli(name, 'scale', 'node', '3', '--yes', '--wait');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^scaling node to 3$/m);
      // The reply names the decommission plan with the highest index first.
      expect(r.out).toMatch(/^decommission: 0\/2 steps complete \(node-4 STARTING\)$/m);
      await eventually('three running tasks and three volumes', () => runningTasks(sb).length === 3 && serviceVolumes(sb, name).length === 3);
    } finally {
      sampler.stop();
      transitions.stop();
    }
    const t = transitions.list;
    // Highest index first, one at a time: node-3 starts stopping only after node-4 is gone.
    expect(firstTransition(t, 'pod/node-4', 'stopping')).toBeGreaterThanOrEqual(0);
    expect(firstTransition(t, 'pod/node-4', 'decommissioned')).toBeLessThan(firstTransition(t, 'pod/node-3', 'stopping'));
    expect(firstTransition(t, 'pod/node-3', 'decommissioned')).toBeGreaterThan(firstTransition(t, 'pod/node-3', 'stopping'));
    for (const pod of ['node-4', 'node-3']) {
      const states = t.filter((x) => x.actor === `pod/${pod}`).map((x) => x.to);
      expect(states, pod).toEqual(['stopping.killing', 'stopping.awaiting-terminal', 'stopping.releasing', 'stopping.disposing', 'decommissioned']);
    }
    expect(t.some((x) => ['pod/node-0', 'pod/node-1', 'pod/node-2'].includes(x.actor))).toBe(false);
    // Ground truth on the simulators: kill -> terminal -> detached -> deleted, node-4 before node-3.
    for (const [task, vol] of [[task4, vol4], [task3, vol3]] as const) {
      const killed = sampler.first((c) => c.kind === 'task' && c.taskId === task && c.state === 'TASK_KILLED');
      const detached = sampler.first((c) => c.kind === 'volume' && c.id === vol && c.exists && c.attachedOn.length === 0);
      const deleted = sampler.first((c) => c.kind === 'volume' && c.id === vol && !c.exists);
      expect(killed, `${task} killed`).toBeGreaterThan(0);
      expect(detached, `${vol} detached after ${task} ended`).toBeGreaterThan(killed);
      expect(deleted, `${vol} deleted after it was detached`).toBeGreaterThan(detached);
    }
    expect(sampler.first((c) => c.kind === 'volume' && c.id === vol4 && !c.exists)).toBeLessThan(
      sampler.first((c) => c.kind === 'task' && c.taskId === task3 && c.state === 'TASK_KILLED'),
    );
    expect(sampler.violations).toEqual([]);
  });

  it.sequential('leaves exactly the three volumes of the first deploy, attached only where the three pods run', () => {
    const vols = serviceVolumes(sb, name);
    expect(new Map(vols.map((v) => [v.name, v.id]))).toEqual(deployed);
    const running = runningTasks(sb);
    expect(running.map((t) => t.taskId.split('__')[1]).sort()).toEqual(['node-0', 'node-1', 'node-2']);
    for (const v of vols) {
      const task = running.find((t) => t.volumes.some((tv) => tv.name === v.name));
      expect(v.attachedOn, v.name).toEqual([task!.hostname]);
    }
    // Nothing else in the cluster is attached (no leftover attachment of a deleted volume either).
    expect(sb.portworx.volumes().filter((v) => v.attachedOn.length > 0).map((v) => v.name).sort()).toEqual([...deployed.keys()].sort());
  });

  it.sequential('forgets the decommissioned pods: no KV records and no pods for node-3 and node-4', async () => {
    expect(await kvKeys(name)).toEqual(expect.arrayContaining(['pods.node.0', 'pods.node.1', 'pods.node.2']));
    expect((await kvKeys(name)).filter((k) => k.startsWith('pods.'))).toEqual(['pods.node.0', 'pods.node.1', 'pods.node.2']);
    const list = await cli(name, 'pod', 'list');
    expect(list.code).toBe(0);
    expect(list.out).not.toMatch(/node-[34]/);
    const plans = await cli(name, 'plan', 'list');
    expect(plans.out).toMatch(/^deploy\s+COMPLETE\s+no\s+1\s+3\/3$/m);
    expect(plans.out).toMatch(/^decommission\s+COMPLETE/m);
  });

  it.sequential('records only conformant Mesos and Portworx traffic throughout', () => {
    expectConformantRecordings(record!, { require: ['mesos', 'portworx'] });
  });
});

describe.concurrent('pxfw <service> scale with volume_policy: retain', () => {
  let sb: Sandbox;
  let name: string;

  beforeAll(async () => {
    const spec = withPolicy('retain');
    name = spec.name;
    ({ sandbox: sb } = await startSandbox(spec.yaml, { record: false }));
    await sb.scheduler.waitDeployed(60_000);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it.sequential('keeps the decommissioned pods volumes, detached, and drops only their pods', async () => {
    expect((await cli(name, 'scale', 'node', '5', '--yes', '--wait')).code).toBe(0);
    await eventually('five running tasks', () => runningTasks(sb).length === 5);
    const before = new Map(serviceVolumes(sb, name).map((v) => [v.name, v.id]));
    const r = await cli(name, 'scale', 'node', '3', '--yes', '--wait');
    expect(r.code).toBe(0);
    await eventually('three running tasks', () => runningTasks(sb).length === 3 && sb.scheduler.runtime.registry.all().length === 3);
    const after = serviceVolumes(sb, name);
    expect(new Map(after.map((v) => [v.name, v.id]))).toEqual(before);
    for (const i of [3, 4]) {
      const v = after.find((x) => x.name === `${name}-node-${i}-data`)!;
      expect(v.attachedOn, v.name).toEqual([]);
    }
    expect((await kvKeys(name)).filter((k) => k.startsWith('pods.'))).toEqual(['pods.node.0', 'pods.node.1', 'pods.node.2']);
  });

  it.sequential('scales back up onto the retained volumes (same ids, data kept)', async () => {
    const retained = serviceVolumes(sb, name).find((v) => v.name === `${name}-node-3-data`)!;
    sb.portworx.setMarker(retained.id, 'kept');
    const r = await cli(name, 'scale', 'node', '4', '--yes', '--wait');
    expect(r.code).toBe(0);
    await eventually('four running tasks', () => runningTasks(sb).length === 4);
    const v = serviceVolumes(sb, name).find((x) => x.name === `${name}-node-3-data`)!;
    expect(v.id).toBe(retained.id);
    expect(sb.portworx.marker(v.id)).toBe('kept');
    expect(v.attachedOn).toHaveLength(1);
  });
});
