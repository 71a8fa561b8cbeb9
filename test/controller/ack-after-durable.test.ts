import { describe, expect, it } from 'vitest';
import { routeSchedulerEvent } from '../../src/controller/mesos-router';
import { placed, rig, sleep, update } from './slow-kv-rig';

describe('status acknowledgements wait for the pod write they caused (a crash before it makes Mesos resend)', () => {
  it('never ACKs an update before the pod record holding it is in KV, however the writes of many pods interleave', async () => {
    const { kv, registry, deps, acks, keyOf } = rig(6);
    const pods = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => placed(registry, i)));
    for (const [i, p] of pods.entries()) keyOf.set(p.taskId, `pods.node.${i}`);
    // STARTING then RUNNING for every pod, all in flight at once; KV answers each put after a different delay.
    for (const state of ['TASK_STARTING', 'TASK_RUNNING']) {
      for (const [i, p] of pods.entries()) routeSchedulerEvent(deps, update(p.taskId, `a${i}`, state, `u-${i}-${state}`));
    }
    const end = Date.now() + 5_000;
    while (acks.length < 12 && Date.now() < end) await sleep(5);
    expect(acks).toHaveLength(12);
    // Each ACK went out when KV already held the pod at that update's task state, or a later one.
    const order = ['TASK_STARTING', 'TASK_RUNNING'];
    for (const a of acks) expect(order.indexOf(a.inKv as string), `${a.taskId} ${a.state}`).toBeGreaterThanOrEqual(order.indexOf(a.state));
    for (const [i] of pods.entries()) expect(kv.taskState(`pods.node.${i}`)).toBe('TASK_RUNNING');
    registry.stopAll();
  });

  it('does not ACK at all while the write cannot be made (the update comes again after a restart)', async () => {
    const { kv, registry, deps, acks, keyOf } = rig(1);
    const { taskId } = await placed(registry, 0);
    keyOf.set(taskId, 'pods.node.0');
    const put = kv.put.bind(kv);
    let open = false;
    kv.put = async (key, value, expected) => {
      while (!open) await sleep(5);
      return put(key, value, expected);
    };
    routeSchedulerEvent(deps, update(taskId, 'a0', 'TASK_RUNNING', 'u-1'));
    await sleep(100);
    expect(acks).toEqual([]);
    open = true;
    const end = Date.now() + 5_000;
    while (acks.length < 1 && Date.now() < end) await sleep(5);
    expect(acks).toEqual([{ taskId, state: 'TASK_RUNNING', inKv: 'TASK_RUNNING' }]);
    registry.stopAll();
  });
});
