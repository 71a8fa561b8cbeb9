import { describe, expect, it } from 'vitest';
import { waitForPod } from '../../src/controller/pod-cell';
import { fromPromise } from 'xstate';
import { POD_TAGS } from '../../machines/pod-instance.logic';
import { podInstanceMachine } from '../../machines/pod-instance.machine';
import type { CheckVolumesInput, CheckVolumesOutput, EnsureVolumesInput, EnsureVolumesOutput, KillTaskInput, KillTaskOutput } from '../../machines/pod-instance.types';
import { MAX_PUTS_IN_FLIGHT, PersistQueue } from '../../src/controller/persist-queue';
import { PodRegistry } from '../../src/controller/pod-registry';
import { TransitionLog } from '../../src/observe/transition-log';
import type { ServiceStateStore } from '../../src/state/state-store';
import { demoSpec, metrics, silentLogger } from './fixtures';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A KV in memory that counts puts per key and the most puts it had in flight at once. */
class CountingKv {
  readonly data = new Map<string, { value: unknown; revision: number }>();
  readonly puts = new Map<string, number>();
  inFlight = 0;
  maxInFlight = 0;
  delayMs = 0;
  private rev = 0;

  async keys(prefix = '') {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix));
  }
  async get(key: string) {
    return this.data.get(key);
  }
  async put(key: string, value: unknown, expected: number): Promise<number> {
    this.puts.set(key, (this.puts.get(key) ?? 0) + 1);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await sleep(this.delayMs);
    this.inFlight -= 1;
    if ((this.data.get(key)?.revision ?? 0) !== expected) throw new Error(`unexpected revision for ${key}`);
    this.data.set(key, { value: structuredClone(value), revision: ++this.rev });
    return this.rev;
  }
  async delete(key: string) {
    this.data.delete(key);
  }
  asStore(): ServiceStateStore {
    return this as unknown as ServiceStateStore;
  }
}

describe('state writes: the cost of the change, pipelined', () => {
  it('writes many keys side by side, but never more than MAX_PUTS_IN_FLIGHT puts at once', async () => {
    const kv = new CountingKv();
    kv.delayMs = 20;
    const q = new PersistQueue(kv.asStore(), silentLogger());
    for (let i = 0; i < MAX_PUTS_IN_FLIGHT + 100; i++) q.write(`pods.node.${i}`, { i });
    await q.flushedAll();
    expect(kv.data.size).toBe(MAX_PUTS_IN_FLIGHT + 100);
    expect(kv.maxInFlight).toBeGreaterThan(1);
    expect(kv.maxInFlight).toBeLessThanOrEqual(MAX_PUTS_IN_FLIGHT);
  });

  it('writes a value queued just as the write before it lands (no value is left behind until the next write)', async () => {
    const kv = new CountingKv();
    const q = new PersistQueue(kv.asStore(), silentLogger());
    for (let v = 1; v <= 20; v++) {
      q.write('k', { v });
      await q.flushed('k');
      expect(kv.data.get('k')?.value).toEqual({ v });
    }
  });

  it("writes a pod's record only when its persisted part changed (a repeated TASK_RUNNING costs no write)", async () => {
    const kv = new CountingKv();
    const spec = demoSpec({ count: 1 });
    const logger = silentLogger();
    const machine = podInstanceMachine.provide({
      actors: {
        ensureVolumes: fromPromise<EnsureVolumesOutput, EnsureVolumesInput>(async ({ input }) => ({ volumes: input.volumes.map((v) => ({ name: v.name, id: `vol-${v.name}` })) })),
        killTask: fromPromise<KillTaskOutput, KillTaskInput>(async () => ({ terminal: true })),
        checkVolumes: fromPromise<CheckVolumesOutput, CheckVolumesInput>(async () => ({ replicaHosts: [] })),
      },
    });
    const registry = new PodRegistry({ spec: () => spec, machine, store: kv.asStore(), logger, transitions: new TransitionLog(spec.name, logger), metrics: metrics(), onPodState: () => undefined });
    const pod = registry.ensure('node', 0);
    await waitForPod(pod.actor, (snap) => snap.hasTag(POD_TAGS.awaitingOffer), { timeout: 3_000 });
    const taskId = 'demo__node-0__1-abcd0123';
    registry.send(pod, { type: 'PLACE', taskId, agentId: 'a1', hostname: 'h1', offerId: 'o1' });
    registry.send(pod, { type: 'TASK_UPDATE', taskId, state: 'TASK_RUNNING', agentId: 'a1' });
    await registry.flush(pod);
    // (The pod settles in running: its second update may still move it, e.g. past the readiness wait.)
    registry.send(pod, { type: 'TASK_UPDATE', taskId, state: 'TASK_RUNNING', agentId: 'a1' });
    await registry.flush(pod);
    const before = kv.puts.get('pods.node.0') ?? 0;
    for (let i = 0; i < 10; i++) {
      registry.send(pod, { type: 'TASK_UPDATE', taskId, state: 'TASK_RUNNING', agentId: 'a1' });
      await registry.flush(pod);
    }
    expect(kv.puts.get('pods.node.0')).toBe(before);
    // A change is written again.
    registry.send(pod, { type: 'TASK_UPDATE', taskId, state: 'TASK_FAILED', agentId: 'a1', message: 'boom' });
    await registry.flush(pod);
    expect(kv.puts.get('pods.node.0')).toBeGreaterThan(before);
    registry.stopAll();
  });
});
