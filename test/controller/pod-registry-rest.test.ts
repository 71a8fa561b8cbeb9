import { afterEach, describe, expect, it, vi } from 'vitest';
import { fromPromise } from 'xstate';
import { POD_TAGS, POD_TIMING_DEFAULTS } from '../../machines/pod-instance.logic';
import { podInstanceMachine } from '../../machines/pod-instance.machine';
import type { CheckVolumesInput, CheckVolumesOutput, EnsureVolumesInput, EnsureVolumesOutput, KillTaskInput, KillTaskOutput } from '../../machines/pod-instance.types';
import { waitForPod } from '../../src/controller/pod-cell';
import { PodRegistry, type PodEntry } from '../../src/controller/pod-registry';
import { TransitionLog } from '../../src/observe/transition-log';
import { MemoryKv } from '../helpers/memory-kv';
import { demoSpec, metrics, silentLogger } from './fixtures';


const machine = podInstanceMachine.provide({
  actors: {
    ensureVolumes: fromPromise<EnsureVolumesOutput, EnsureVolumesInput>(async ({ input }) => ({ volumes: input.volumes.map((v) => ({ name: v.name, id: `vol-${v.name}` })) })),
    killTask: fromPromise<KillTaskOutput, KillTaskInput>(async () => ({ terminal: true })),
    checkVolumes: fromPromise<CheckVolumesOutput, CheckVolumesInput>(async () => ({ replicaHosts: [] })),
  },
});

afterEach(() => {
  vi.useRealTimers();
});

function podStableAfterMs(registry: PodRegistry): number {
  return registry.inputFor('node', 0).timing?.stableAfterMs ?? POD_TIMING_DEFAULTS.stableAfterMs;
}

function registryOn(kv: MemoryKv, count: number, onPodState: (e: PodEntry) => void = () => undefined): PodRegistry {
  const spec = demoSpec({ count });
  const logger = silentLogger();
  return new PodRegistry({ spec: () => spec, machine, store: kv.asStore(), logger, transitions: new TransitionLog(spec.name, logger), metrics: metrics(), onPodState });
}

async function runningPods(registry: PodRegistry, count: number): Promise<PodEntry[]> {
  const pods: PodEntry[] = [];
  for (let i = 0; i < count; i++) {
    const pod = registry.ensure('node', i);
    await waitForPod(pod.actor, (s) => s.hasTag(POD_TAGS.awaitingOffer), { timeout: 3_000 });
    const taskId = `demo__node-${i}__1-abcd0123`;
    registry.send(pod, { type: 'PLACE', taskId, agentId: `a${i}`, hostname: `h${i}`, offerId: `o${i}` });
    registry.send(pod, { type: 'TASK_UPDATE', taskId, state: 'TASK_RUNNING', agentId: `a${i}` });
    pods.push(pod);
  }
  await registry.flushAll();
  return pods;
}

describe('pods at rest', () => {
  it('keep no actor while nothing is in flight: running pods are snapshots', async () => {
    const kv = new MemoryKv();
    const registry = registryOn(kv, 5);
    const pods = await runningPods(registry, 5);
    for (const p of pods) {
      expect(p.actor.getSnapshot().hasTag(POD_TAGS.running)).toBe(true);
      expect(p.actor.isLive).toBe(false);
    }
    registry.stopAll();
  });

  it('restore from KV writes nothing back (re-arming the timers is not a change) and leaves the pods at rest', async () => {
    const kv = new MemoryKv();
    const first = registryOn(kv, 5);
    await runningPods(first, 5);
    first.stopAll();
    const putsBefore = kv.totalPuts();
    const again = registryOn(kv, 5);
    const restored = await again.restore();
    await again.flushAll();
    expect(restored.map((e) => e.state)).toEqual(Array(5).fill('running.up'));
    expect(restored.every((e) => !e.actor.isLive)).toBe(true);
    expect(kv.totalPuts()).toBe(putsBefore);
    // A real change after the restore is written as before.
    again.send(restored[0]!, { type: 'TASK_UPDATE', taskId: 'demo__node-0__1-abcd0123', state: 'TASK_FAILED', agentId: 'a0' });
    await again.flushAll();
    expect(kv.totalPuts()).toBeGreaterThan(putsBefore);
    again.stopAll();
  });

  it('re-arms on restore only the timers that still matter: a running pod with failures counted gets its crash-loop reset, a healthy one nothing', async () => {
    const kv = new MemoryKv();
    const first = registryOn(kv, 2);
    await runningPods(first, 2);
    first.stopAll();
    // node-1 had failed twice before it ran again: its stableAfter timer will reset the count.
    const rec = kv.data.get('pods.node.1')!.value as { snapshot: { context: { consecutiveFailures: number } } };
    rec.snapshot.context.consecutiveFailures = 2;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const again = registryOn(kv, 2);
    const [healthy, flapping] = await again.restore();
    expect(healthy!.actor.pendingTimers).toBe(0);
    expect(flapping!.actor.pendingTimers).toBe(1);
    vi.advanceTimersByTime(podStableAfterMs(again) + 1);
    expect(again.context(flapping!).consecutiveFailures).toBe(0);
    expect(flapping!.state).toBe('running.up');
    vi.useRealTimers();
    await again.flushAll();
    again.stopAll();
  });

  it('tells the restored pods to their listener in slices: the event loop runs before the last is told', async () => {
    const kv = new MemoryKv();
    const first = registryOn(kv, 300);
    await runningPods(first, 300);
    first.stopAll();
    let told = 0;
    let loopRanAt = -1;
    // A listener that takes its time (the supervisor, the governor, the gauges): 300 x 0.2 ms.
    const again = registryOn(kv, 300, () => {
      const until = performance.now() + 0.2;
      while (performance.now() < until);
      told += 1;
    });
    const restored = await again.restore();
    setImmediate(() => (loopRanAt = told));
    await again.notifyInSlices(restored);
    expect(told).toBe(300);
    expect(loopRanAt).toBeGreaterThanOrEqual(0);
    expect(loopRanAt).toBeLessThan(300);
    again.stopAll();
  });

  it('a restore that spans a stand-down (clear) leaves nothing restored into the cleared registry', async () => {
    const kv = new MemoryKv();
    const first = registryOn(kv, 40);
    await runningPods(first, 40);
    first.stopAll();
    // Reading the records takes turns of the event loop; the stand-down comes in one of them.
    const get = kv.get.bind(kv);
    kv.get = async (key: string) => {
      await new Promise((r) => setImmediate(r));
      return get(key);
    };
    const again = registryOn(kv, 40);
    const restoring = again.restore();
    setImmediate(() => again.clear());
    expect(await restoring).toEqual([]);
    expect(again.all()).toEqual([]);
  });

  it('tells change listeners the name of each pod that changed, was added or removed', async () => {
    const kv = new MemoryKv();
    const registry = registryOn(kv, 2);
    const names: string[] = [];
    const off = registry.onPodChange((n) => names.push(n));
    const [pod] = await runningPods(registry, 1);
    expect(names).toContain('node-0');
    names.length = 0;
    registry.send(pod!, { type: 'TASK_UPDATE', taskId: 'demo__node-0__1-abcd0123', state: 'TASK_FAILED', agentId: 'a0' });
    expect(names).toEqual(expect.arrayContaining(['node-0']));
    names.length = 0;
    await registry.remove(pod!);
    expect(names).toEqual(['node-0']);
    off();
    registry.ensure('node', 1);
    expect(names).toEqual(['node-0']);
    registry.stopAll();
  });

  it('routes only the current and the last task of a pod: older task ids leave the index', async () => {
    const kv = new MemoryKv();
    const registry = registryOn(kv, 1);
    const [pod] = await runningPods(registry, 1);
    const t1 = 'demo__node-0__1-abcd0123';
    expect(registry.byTask(t1)).toBe(pod);
    for (const t of ['demo__node-0__2-abcd0123', 'demo__node-0__3-abcd0123']) {
      registry.send(pod!, { type: 'TASK_UPDATE', taskId: registry.context(pod!).task!.taskId, state: 'TASK_FAILED', agentId: 'a0' });
      await waitForPod(pod!.actor, (s) => s.hasTag(POD_TAGS.awaitingOffer), { timeout: 5_000 });
      registry.send(pod!, { type: 'PLACE', taskId: t, agentId: 'a0', hostname: 'h0', offerId: `o-${t}` });
    }
    expect(registry.byTask(t1)).toBeUndefined();
    expect(registry.indexedTaskCount()).toBe(2);
    registry.stopAll();
  });
});
