import { describe, expect, it } from 'vitest';
import { routeSchedulerEvent } from '../../src/controller/mesos-router';
import type { SchedulerEvent, TaskStatus } from '../../src/mesos';
import type { PodInstanceContext } from '../../machines/pod-instance.types';
import { placed, rig, sleep, update, type SlowKv } from './slow-kv-rig';

/** A RUNNING update whose health check says `healthy`. */
function health(taskId: string, healthy: boolean, uuid: string): SchedulerEvent {
  return { type: 'UPDATE', update: { status: { task_id: { value: taskId }, agent_id: { value: 'a0' }, state: 'TASK_RUNNING', healthy, uuid } } } as unknown as SchedulerEvent;
}

const contextIn = (kv: SlowKv, key: string) =>
  (kv.data.get(key)?.value as { snapshot: { context: PodInstanceContext } } | undefined)?.snapshot.context;

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(2);
}

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

  it('coalesces the updates that come while its pod is being written into one next write, and ACKs each only once that write is in KV', async () => {
    const { kv, registry, deps, keyOf } = rig(1);
    const { taskId } = await placed(registry, 0);
    const key = 'pods.node.0';
    keyOf.set(taskId, key);
    routeSchedulerEvent(deps, update(taskId, 'a0', 'TASK_RUNNING', 'u-0'));
    await until(() => kv.taskState(key) === 'TASK_RUNNING');
    // The next put is held open until the test lets it finish; every put is counted.
    const put = kv.put.bind(kv);
    let puts = 0;
    let stored = 0;
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    kv.put = async (k, value, expected) => {
      puts += 1;
      if (puts === 1) await held;
      const rev = await put(k, value, expected);
      stored += 1;
      return rev;
    };
    // What KV held, and how many puts had landed, when each ACK went out.
    const acked: { uuid: string; healthy: unknown; stored: number }[] = [];
    const ack = deps.scheduler.acknowledge;
    deps.scheduler.acknowledge = (status: TaskStatus) => {
      acked.push({ uuid: status.uuid as string, healthy: contextIn(kv, key)?.healthy, stored });
      return ack(status);
    };

    routeSchedulerEvent(deps, health(taskId, true, 'u-1'));
    await until(() => puts === 1);
    // Three updates while u-1's write is in flight, the last one healthy again.
    routeSchedulerEvent(deps, health(taskId, false, 'u-2'));
    routeSchedulerEvent(deps, health(taskId, true, 'u-3'));
    routeSchedulerEvent(deps, health(taskId, false, 'u-4'));
    await sleep(50);
    expect(puts).toBe(1);
    expect(acked).toEqual([]);

    release();
    await until(() => acked.length === 4);
    // Exactly one more put, holding the last of the three; none of them ACKed before it landed.
    expect(puts).toBe(2);
    expect(acked).toEqual([
      { uuid: 'u-1', healthy: true, stored: 1 },
      { uuid: 'u-2', healthy: false, stored: 2 },
      { uuid: 'u-3', healthy: false, stored: 2 },
      { uuid: 'u-4', healthy: false, stored: 2 },
    ]);
    registry.stopAll();
  });
});
