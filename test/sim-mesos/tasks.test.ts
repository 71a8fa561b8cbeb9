import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MesosSimulator } from '../../src/sim/mesos';
import { TestScheduler, frameworkInfo, launchGroup, operator, scalar, startSim, taskInfo, type Json } from './helpers';

describe('Mesos simulator: task launch and lifecycle', () => {
  let sim: MesosSimulator;
  let s: TestScheduler;
  let offer: Json;

  beforeEach(async () => {
    sim = await startSim({ agents: 2 });
    s = await TestScheduler.subscribe(sim.url);
    offer = (await s.offers())[0]!;
  });
  afterEach(async () => {
    s.close();
    await sim.stop();
  });

  it('runs a LAUNCH_GROUP task through STAGING, STARTING and RUNNING, each executor update with a uuid', async () => {
    await sim.stop();
    sim = await startSim({ agents: 2, taskStartSeconds: 10 });
    s.close();
    s = await TestScheduler.subscribe(sim.url);
    offer = (await s.offers())[0]!;
    const agentId = offer.agent_id.value;
    expect((await s.call(launchGroup(offer, [taskInfo('t1', agentId)]))).status).toBe(202);
    // Mesos keeps STAGING master-side (no update is sent for it); GET_TASKS shows it.
    const staged = await operator(sim.url, { type: 'GET_TASKS' });
    expect(staged.get_tasks.tasks[0]).toMatchObject({ task_id: { value: 't1' }, state: 'TASK_STAGING', agent_id: { value: agentId } });
    const starting = await s.waitForUpdate('t1', 'TASK_STARTING');
    expect(starting).toMatchObject({ source: 'SOURCE_EXECUTOR', agent_id: { value: agentId }, executor_id: { value: 'exec-t1' } });
    expect(Buffer.from(starting.uuid, 'base64')).toHaveLength(16);
    expect(typeof starting.timestamp).toBe('number');
    await s.ack(starting);
    const running = await s.waitForUpdate('t1', 'TASK_RUNNING');
    expect(running.uuid).not.toBe(starting.uuid);
    await s.ack(running);
    expect(sim.tasks()[0]).toMatchObject({ taskId: 't1', state: 'TASK_RUNNING', pendingUpdates: 0 });
  });

  it('re-sends an unacknowledged update with backoff and delivers the next one only after the ack', async () => {
    await s.call(launchGroup(offer, [taskInfo('t1', offer.agent_id.value)]));
    const first = await s.waitForUpdate('t1', 'TASK_STARTING');
    // Retry interval 10 s → 0.5 s at speed 20; the second attempt carries the same uuid.
    await s.waitFor(() => s.updates('t1').length >= 2, 3000);
    const [a, b] = s.updates('t1');
    expect(b!.state).toBe('TASK_STARTING');
    expect(b!.uuid).toBe(a!.uuid);
    expect(s.updates('t1').some((u) => u.state === 'TASK_RUNNING')).toBe(false);
    await s.ack(first);
    await s.waitForUpdate('t1', 'TASK_RUNNING');
  });

  it('kills a task on KILL (TASK_KILLED) and returns its resources to the offer pool', async () => {
    s.autoAck();
    const agentId = offer.agent_id.value;
    await s.call(launchGroup(offer, [taskInfo('t1', agentId, { resources: [scalar('cpus', 7), scalar('mem', 256)] })]));
    await s.waitForUpdate('t1', 'TASK_RUNNING');
    expect((await s.call({ type: 'KILL', kill: { task_id: { value: 't1' }, agent_id: { value: agentId } } })).status).toBe(202);
    const killed = await s.waitForUpdate('t1', 'TASK_KILLED');
    expect(killed.source).toBe('SOURCE_EXECUTOR');
    await expect.poll(() => sim.tasks().length).toBe(0);
    expect(sim.agents().find((a) => a.id === agentId)!.used).toEqual({ scalars: {}, ranges: {} });
    // The 7.1 cpus freed (task + executor) come back in an offer: on their own while the 0.9 left
    // over at launch is still out, or merged with it (8) when that offer was declined or expired.
    const cpusOffered = (o: Json) => o.resources.filter((r: Json) => r.name === 'cpus').reduce((n: number, r: Json) => n + r.scalar.value, 0);
    const freed = await s.waitFor(
      (e) => e.type === 'OFFERS' && e.offers.offers.some((o: Json) => o.agent_id.value === agentId && cpusOffered(o) >= 7.1 - 1e-9),
      5000,
    );
    expect(freed).toBeDefined();
  });

  it('sends TASK_KILLING before TASK_KILLED to frameworks with the TASK_KILLING_STATE capability', async () => {
    s.close();
    s = await TestScheduler.subscribe(
      sim.url,
      frameworkInfo({ capabilities: [{ type: 'MULTI_ROLE' }, { type: 'PARTITION_AWARE' }, { type: 'TASK_KILLING_STATE' }] }),
    );
    s.autoAck();
    const o = (await s.offers())[0]!;
    await s.call(launchGroup(o, [taskInfo('t1', o.agent_id.value)]));
    await s.waitForUpdate('t1', 'TASK_RUNNING');
    await s.call({ type: 'KILL', kill: { task_id: { value: 't1' } } });
    await s.waitForUpdate('t1', 'TASK_KILLED');
    const states = s.updates('t1').map((u) => u.state);
    expect(states.indexOf('TASK_KILLING')).toBeLessThan(states.indexOf('TASK_KILLED'));
  });

  it('kills the whole task group when one task of it fails (default executor)', async () => {
    s.autoAck();
    const agentId = offer.agent_id.value;
    await s.call(launchGroup(offer, [taskInfo('a', agentId), taskInfo('b', agentId)]));
    await s.waitForUpdate('a', 'TASK_RUNNING');
    await s.waitForUpdate('b', 'TASK_RUNNING');
    sim.failTask('a', 'TASK_FAILED', 'REASON_CONTAINER_LIMITATION_MEMORY', 'OOM');
    const failed = await s.waitForUpdate('a', 'TASK_FAILED');
    expect(failed).toMatchObject({ reason: 'REASON_CONTAINER_LIMITATION_MEMORY', message: 'OOM' });
    await s.waitForUpdate('b', 'TASK_KILLED');
  });

  it('answers an invalid LAUNCH_GROUP with TASK_ERROR / REASON_TASK_GROUP_INVALID for every task', async () => {
    const agentId = offer.agent_id.value;
    const tiny = [scalar('cpus', 0.001), scalar('mem', 32), scalar('disk', 10)];
    await s.call(launchGroup(offer, [taskInfo('x', agentId), taskInfo('y', agentId)], { resources: tiny, executor_id: { value: 'e' } }));
    const x = await s.waitForUpdate('x', 'TASK_ERROR');
    const y = await s.waitForUpdate('y', 'TASK_ERROR');
    for (const st of [x, y]) {
      expect(st).toMatchObject({
        source: 'SOURCE_MASTER',
        reason: 'REASON_TASK_GROUP_INVALID',
        message: "Executor 'e' uses less CPUs (0.001) than the minimum required (0.01)",
      });
      expect(st.uuid).toBeUndefined();
    }
    expect(sim.tasks()).toHaveLength(0);
  });

  it('rejects executors that are too small in memory, not DEFAULT, or carry a command', async () => {
    const agentId = offer.agent_id.value;
    const cases: [Json, string][] = [
      [{ resources: [scalar('cpus', 0.1), scalar('mem', 16), scalar('disk', 1)], executor_id: { value: 'e' } }, "Executor 'e' uses less memory (16MB) than the minimum required (32MB)"],
      [{ type: undefined }, "'ExecutorInfo.type' must be set"],
      [{ command: { value: 'x' } }, "'ExecutorInfo.command' must not be set for 'DEFAULT' executor"],
    ];
    for (const [i, [executor, message]] of cases.entries()) {
      const id = `bad-${i}`;
      const o = i === 0 ? offer : (await s.offers(3000, s.events.length)).find((x) => x.agent_id.value === agentId) ?? offer;
      await s.call(launchGroup(o, [taskInfo(id, agentId)], executor));
      expect((await s.waitForUpdate(id, 'TASK_ERROR')).message).toBe(message);
    }
  });

  it('answers a task that asks for more than the offer with TASK_ERROR', async () => {
    const agentId = offer.agent_id.value;
    await s.call(launchGroup(offer, [taskInfo('big', agentId, { resources: [scalar('cpus', 100), scalar('mem', 1)] })]));
    const st = await s.waitForUpdate('big', 'TASK_ERROR');
    expect(st.message).toMatch(/^Total resources cpus:100\.1; mem:33; disk:10 required by task group and its executor are more than available /);
  });

  it('answers duplicate task ids and a wrong agent id with TASK_ERROR naming the task', async () => {
    s.autoAck();
    const agentId = offer.agent_id.value;
    const offerFor = (from: number): Promise<Json> =>
      s.waitFor((e) => e.type === 'OFFERS' && e.offers.offers.some((o: Json) => o.agent_id.value === agentId), 3000, from)
        .then((e) => e.offers.offers.find((o: Json) => o.agent_id.value === agentId));
    let from = s.events.length;
    await s.call(launchGroup(offer, [taskInfo('dup', agentId)]));
    await s.waitForUpdate('dup', 'TASK_RUNNING');
    const next = await offerFor(from);
    from = s.events.length;
    await s.call(launchGroup(next, [taskInfo('dup', agentId)], { executor_id: { value: 'e2' } }));
    expect((await s.waitForUpdate('dup', 'TASK_ERROR')).message).toBe("Task 'dup' is invalid: Task has duplicate ID: dup");
    const other = await offerFor(from);
    await s.call(launchGroup(other, [taskInfo('w', 'not-this-agent')]));
    expect((await s.waitForUpdate('w', 'TASK_ERROR')).message).toBe(
      `Task 'w' is invalid: Task uses invalid agent not-this-agent while agent ${agentId} is expected`,
    );
  });

  it('drops tasks launched on an offer that is no longer valid (TASK_DROPPED, REASON_INVALID_OFFERS)', async () => {
    const agentId = offer.agent_id.value;
    await s.call({ type: 'DECLINE', decline: { offer_ids: [offer.id] } });
    await s.call(launchGroup(offer, [taskInfo('late', agentId)]));
    const st = await s.waitForUpdate('late', 'TASK_DROPPED');
    expect(st).toMatchObject({
      reason: 'REASON_INVALID_OFFERS',
      source: 'SOURCE_MASTER',
      message: `Task launched with invalid offers: Offer ${offer.id.value} is no longer valid`,
    });
  });

  it('launches command tasks with LAUNCH', async () => {
    s.autoAck();
    const agentId = offer.agent_id.value;
    await s.call({
      type: 'ACCEPT',
      accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [taskInfo('cmd', agentId)] } }] },
    });
    const running = await s.waitForUpdate('cmd', 'TASK_RUNNING');
    expect(running.executor_id).toBeUndefined();
  });
});

describe('Mesos simulator: reconciliation', () => {
  let sim: MesosSimulator;
  let s: TestScheduler;

  beforeEach(async () => {
    sim = await startSim({ agents: 2 });
    s = await TestScheduler.subscribe(sim.url);
    s.autoAck();
  });
  afterEach(async () => {
    s.close();
    await sim.stop();
  });

  it('answers explicit reconciliation with the latest state, REASON_RECONCILIATION and no uuid', async () => {
    const offer = (await s.offers())[0]!;
    const agentId = offer.agent_id.value;
    await s.call(launchGroup(offer, [taskInfo('t1', agentId)]));
    await s.waitForUpdate('t1', 'TASK_RUNNING');
    const from = s.events.length;
    await s.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 't1' }, agent_id: { value: agentId } }] } });
    const st = await s.waitForUpdate('t1', 'TASK_RUNNING', 3000, from);
    expect(st).toMatchObject({ reason: 'REASON_RECONCILIATION', source: 'SOURCE_MASTER', message: 'Reconciliation: Latest task state' });
    expect(st.uuid).toBeUndefined();
  });

  it('answers unknown tasks with TASK_GONE on a known agent and TASK_UNKNOWN otherwise', async () => {
    const offer = (await s.offers())[0]!;
    const agentId = offer.agent_id.value;
    await s.call({
      type: 'RECONCILE',
      reconcile: {
        tasks: [
          { task_id: { value: 'ghost' }, agent_id: { value: agentId } },
          { task_id: { value: 'nowhere' }, agent_id: { value: 'unknown-agent' } },
          { task_id: { value: 'bare' } },
        ],
      },
    });
    expect(await s.waitForUpdate('ghost', 'TASK_GONE')).toMatchObject({ message: 'Reconciliation: Task is unknown to the agent' });
    expect(await s.waitForUpdate('nowhere', 'TASK_UNKNOWN')).toMatchObject({ reason: 'REASON_RECONCILIATION' });
    await s.waitForUpdate('bare', 'TASK_UNKNOWN');
  });

  it('answers unknown tasks with TASK_LOST for a framework that is not partition-aware', async () => {
    const old = await TestScheduler.subscribe(sim.url, frameworkInfo({ capabilities: [{ type: 'MULTI_ROLE' }] }));
    try {
      await old.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 'ghost' } }] } });
      await old.waitForUpdate('ghost', 'TASK_LOST');
    } finally {
      old.close();
    }
  });

  it('answers implicit reconciliation with every task the master knows', async () => {
    const offers = await s.offers();
    for (const [i, o] of offers.entries()) await s.call(launchGroup(o, [taskInfo(`t${i}`, o.agent_id.value)]));
    await s.waitForUpdate('t0', 'TASK_RUNNING');
    await s.waitForUpdate('t1', 'TASK_RUNNING');
    const from = s.events.length;
    await s.call({ type: 'RECONCILE', reconcile: {} });
    await s.waitForUpdate('t0', 'TASK_RUNNING', 3000, from);
    await s.waitForUpdate('t1', 'TASK_RUNNING', 3000, from);
    const reconciled = s.events.slice(from).filter((e) => e.type === 'UPDATE' && e.update.status.reason === 'REASON_RECONCILIATION');
    expect(reconciled).toHaveLength(2);
  });
});
