import { describe, expect, it } from 'vitest';
import { routeSchedulerEvent } from '../../src/controller/mesos-router';
import type { PodEntry } from '../../src/controller/pod-registry';
import { placed, rig, sleep, update } from './slow-kv-rig';

describe('a restore after a kill in the middle of a coalesced batch loses nothing that was ACKed', () => {
  it('every update ACKed before the kill is in the pods a new scheduler restores from what KV held', async () => {
    const { kv, registry, deps, acks, keyOf } = rig(8);
    const pods = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => placed(registry, i)));
    for (const [i, p] of pods.entries()) keyOf.set(p.taskId, `pods.node.${i}`);
    const order = ['TASK_STARTING', 'TASK_RUNNING'];
    for (const state of order) for (const [i, p] of pods.entries()) routeSchedulerEvent(deps, update(p.taskId, `a${i}`, state, `u-${i}-${state}`));
    // SIGKILL while writes are in flight: KV keeps only the puts that completed, nothing queued.
    while (acks.length < 5) await sleep(1);
    const durable = new Map([...kv.data].map(([k, v]) => [k, structuredClone(v)]));
    const acked = acks.map((a) => ({ ...a }));
    registry.stopAll();
    expect(acked.length).toBeLessThan(16);

    const after = rig(8);
    for (const [k, v] of durable) after.kv.data.set(k, v);
    const restored = await after.registry.restore();
    expect(restored).toHaveLength(8);
    for (const a of acked) {
      const entry = after.registry.byTask(a.taskId);
      expect(entry, a.taskId).toBeDefined();
      const state = after.registry.context(entry as PodEntry).taskState as string;
      expect(order.indexOf(state), `${a.taskId} ACKed ${a.state}, restored ${state}`).toBeGreaterThanOrEqual(order.indexOf(a.state));
    }
    after.registry.stopAll();
  });
});
