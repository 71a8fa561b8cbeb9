import { describe, expect, it } from 'vitest';
import { routeSchedulerEvent } from '../../src/controller/mesos-router';
import type { PodEntry } from '../../src/controller/pod-registry';
import { placed, rig, update } from './slow-kv-rig';

describe('a restore after a kill in the middle of a coalesced batch loses nothing that was ACKed', () => {
  it('every update ACKed before the kill is in the pods a new scheduler restores from what KV held', async () => {
    const { registry, deps, keyOf, killAfterAck } = rig(8);
    const pods = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => placed(registry, i)));
    for (const [i, p] of pods.entries()) keyOf.set(p.taskId, `pods.node.${i}`);
    const order = ['TASK_STARTING', 'TASK_RUNNING'];
    const killed = killAfterAck(5);
    for (const state of order) for (const [i, p] of pods.entries()) routeSchedulerEvent(deps, update(p.taskId, `a${i}`, state, `u-${i}-${state}`));
    // SIGKILL right after the 5th ACK, writes in flight: KV keeps only the puts that completed.
    const { durable, acked } = await killed;
    registry.stopAll();
    expect(acked.length).toBe(5);

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
