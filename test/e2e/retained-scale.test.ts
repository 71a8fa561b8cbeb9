import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { eventually, frameworkYaml, startSandbox, waitForPodTag } from './helpers';
import { cli, kvKeys, runningTasks, serviceVolumes, SimSampler } from './helpers-ops';
import { POD_TAGS } from '../../machines/pod-instance.logic';

/*
 * Issue 10, problem 6: "Scaling back up forgets retained data". Scaling 4 -> 3 -> 4 quickly left
 * pods node-0, 1, 2 and 4: the scale-up skipped index 3 while node-3 was still being
 * decommissioned, and node-3's retained volume was never used again. Now a scale-up takes the
 * lowest free index and that index's retained volume; a decommission under way is waited for
 * (never two tasks or two writers on one volume), one not yet started is cancelled.
 */

const LIVE = new Set(['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING']);

/** Samples the simulator: the most tasks of one pod that were live at the same moment. */
class PodTaskWatch {
  readonly peak = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly sb: Sandbox) {
    this.timer = setInterval(() => this.sample(), 2);
  }
  private sample(): void {
    const counts = new Map<string, number>();
    for (const t of this.sb.mesos.tasks().filter((x) => LIVE.has(x.state))) {
      const pod = t.taskId.split('__')[1] ?? '?';
      counts.set(pod, (counts.get(pod) ?? 0) + 1);
    }
    for (const [pod, n] of counts) this.peak.set(pod, Math.max(n, this.peak.get(pod) ?? 0));
  }
  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
}

/** Wait (xstate waitFor on the pod actor: no state is missed) until the pod is stopping: its decommission is under way. */
async function stoppingOf(sb: Sandbox, pod: string): Promise<void> {
  await waitForPodTag(sb.scheduler.runtime, pod, POD_TAGS.stopping, 10_000);
}

const podsRunning = (sb: Sandbox) => runningTasks(sb).map((t) => t.taskId.split('__')[1]).sort();

describe('scaling back up reuses the retained volume of the index being decommissioned (issue 10, problem 6)', () => {
  let sb: Sandbox;
  let name: string;

  beforeAll(async () => {
    const spec = frameworkYaml('cassandra', (y) => y.replace(/^volume_policy: .*$/m, 'volume_policy: retain'));
    name = spec.name;
    ({ sandbox: sb } = await startSandbox(spec.yaml, { record: false }));
    await sb.scheduler.waitDeployed(60_000);
    const up = await cli(name, 'scale', 'node', '5', '--yes', '--wait');
    if (up.code !== 0) throw new Error(`scale to 5 failed: ${up.err}`);
    await eventually('five running tasks', () => runningTasks(sb).length === 5);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('5 -> 4 -> 5 while node-4 is stopping: node-4 comes back on its retained volume, after its old task ended', async () => {
    const vol = serviceVolumes(sb, name).find((v) => v.name === `${name}-node-4-data`)!;
    sb.portworx.setMarker(vol.id, 'node-4 data');
    const oldTask = runningTasks(sb).find((t) => t.taskId.includes('__node-4__'))!.taskId;
    const sampler = new SimSampler(sb);
    const watch = new PodTaskWatch(sb);
    let stateAtScaleUp: string | undefined;
    try {
      // The operator's verbs in-process, so the scale-up surely lands while node-4 is stopping.
      const ops = sb.scheduler.operations;
      const down = await ops.scale('node', 4);
      expect(down.plan?.name).toBe('decommission');
      await stoppingOf(sb, 'node-4');
      stateAtScaleUp = sb.scheduler.runtime.registry.get('node-4')?.state;
      expect((await ops.scale('node', 5)).accepted).toBe(true);
      const followed = await cli(name, 'plan', 'status', 'deploy', '--watch');
      expect(followed.err).toBe('');
      expect(followed.out).toMatch(/^deploy: 5\/5 steps complete, plan COMPLETE$/m);
      await eventually('five running tasks', () => runningTasks(sb).length === 5);
    } finally {
      sampler.stop();
      watch.stop();
    }
    // The scale-up came while the decommission was under way (the case the issue describes).
    expect(stateAtScaleUp).toMatch(/^stopping\./);
    expect(podsRunning(sb)).toEqual(['node-0', 'node-1', 'node-2', 'node-3', 'node-4']);
    // Its retained volume, data and all; no node-5 volume was made.
    const after = serviceVolumes(sb, name);
    expect(after.map((v) => v.name).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `${name}-node-${i}-data`));
    const v = after.find((x) => x.name === `${name}-node-4-data`)!;
    expect(v.id).toBe(vol.id);
    expect(sb.portworx.marker(v.id)).toBe('node-4 data');
    // Waited for, not overlapped: the old task ended before the new one was launched.
    const newTask = runningTasks(sb).find((t) => t.taskId.includes('__node-4__'))!.taskId;
    expect(newTask).not.toBe(oldTask);
    const ended = sampler.first((c) => c.kind === 'task' && c.taskId === oldTask && !LIVE.has(c.state));
    const launched = sampler.first((c) => c.kind === 'task' && c.taskId === newTask);
    expect(ended).toBeGreaterThan(0);
    expect(launched).toBeGreaterThan(ended);
    expect(watch.peak.get('node-4')).toBe(1);
    expect(sampler.violations).toEqual([]);
    expect((await kvKeys(name)).filter((k) => k.startsWith('pods.'))).toEqual([0, 1, 2, 3, 4].map((i) => `pods.node.${i}`));
  });

  it('5 -> 3 -> 5 at once: node-3 was never stopped (its decommission is cancelled), node-4 waits for its own', async () => {
    const task3 = runningTasks(sb).find((t) => t.taskId.includes('__node-3__'))!.taskId;
    const vol4 = serviceVolumes(sb, name).find((v) => v.name === `${name}-node-4-data`)!;
    const sampler = new SimSampler(sb);
    const watch = new PodTaskWatch(sb);
    try {
      // Back to back: node-4's decommission is under way, node-3's not started yet.
      const ops = sb.scheduler.operations;
      const down = await ops.scale('node', 3);
      expect(down.plan?.phases[0]?.steps.map((st) => `${st.name}=${st.status}`)).toEqual(['node-4=STARTING', 'node-3=PENDING']);
      expect((await ops.scale('node', 5)).accepted).toBe(true);
      const followed = await cli(name, 'plan', 'status', 'deploy', '--watch');
      expect(followed.out).toMatch(/^deploy: 5\/5 steps complete, plan COMPLETE$/m);
      await eventually('five running tasks', () => runningTasks(sb).length === 5);
    } finally {
      sampler.stop();
      watch.stop();
    }
    expect(podsRunning(sb)).toEqual(['node-0', 'node-1', 'node-2', 'node-3', 'node-4']);
    // node-3 kept its task: the cancelled decommission never touched it.
    expect(runningTasks(sb).find((t) => t.taskId.includes('__node-3__'))!.taskId).toBe(task3);
    expect(serviceVolumes(sb, name).find((v) => v.name === `${name}-node-4-data`)!.id).toBe(vol4.id);
    expect(serviceVolumes(sb, name)).toHaveLength(5);
    expect([...watch.peak.values()].every((n) => n === 1)).toBe(true);
    expect(sampler.violations).toEqual([]);
    const plans = await cli(name, 'plan', 'list');
    expect(plans.out).toMatch(/^deploy\s+COMPLETE\s+no\s+1\s+5\/5$/m);
  });
});
