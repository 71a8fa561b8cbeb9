import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimAgentNotFoundError, SimInvalidTransitionError, type MesosSimulator } from '../../src/sim/mesos';
import { TestScheduler, frameworkInfo, launchGroup, operator, post, startSim, taskInfo, type Json } from './helpers';

describe('Mesos simulator: agent failures (partition-aware framework)', () => {
  let sim: MesosSimulator;
  let s: TestScheduler;
  let agentId: string;
  let hostname: string;

  beforeEach(async () => {
    sim = await startSim({ agents: 2 });
    s = await TestScheduler.subscribe(sim.url);
    s.autoAck();
    const offer = (await s.offers()).find((o) => o.hostname === 'agent-1')!;
    agentId = offer.agent_id.value;
    hostname = offer.hostname;
    await s.call(launchGroup(offer, [taskInfo('t1', agentId)]));
    await s.waitForUpdate('t1', 'TASK_RUNNING');
  });
  afterEach(async () => {
    s.close();
    await sim.stop();
  });

  it('reports TASK_UNREACHABLE (master-generated, no uuid) and a FAILURE with only agent_id on a partition', async () => {
    const from = s.events.length;
    sim.partitionAgent(hostname);
    const st = await s.waitForUpdate('t1', 'TASK_UNREACHABLE', 3000, from);
    expect(st).toMatchObject({ source: 'SOURCE_MASTER', reason: 'REASON_AGENT_REMOVED', agent_id: { value: agentId } });
    expect(st.uuid).toBeUndefined();
    expect(typeof st.unreachable_time.nanoseconds).toBe('bigint');
    const failure = await s.waitFor((e) => e.type === 'FAILURE', 3000, from);
    expect(failure).toEqual({ type: 'FAILURE', failure: { agent_id: { value: agentId } } });
    expect(sim.tasks()[0]).toMatchObject({ state: 'TASK_RUNNING', masterState: 'TASK_UNREACHABLE' });
  });

  it('reconciles a task on an unreachable agent as TASK_UNREACHABLE only when the agent id is given, and leaves it out of implicit reconciliation', async () => {
    sim.partitionAgent(agentId);
    await s.waitForUpdate('t1', 'TASK_UNREACHABLE');
    const from = s.events.length;
    // The master no longer holds the task (it moved to the unreachable list): the agent id decides.
    await s.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 't1' }, agent_id: { value: agentId } }] } });
    const st = await s.waitForUpdate('t1', 'TASK_UNREACHABLE', 3000, from);
    expect(st).toMatchObject({ reason: 'REASON_RECONCILIATION', message: 'Reconciliation: Task is unreachable' });
    expect(typeof st.unreachable_time.nanoseconds).toBe('bigint');
    await s.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 't1' } }] } });
    expect(await s.waitForUpdate('t1', 'TASK_UNKNOWN', 3000, from)).toMatchObject({ message: 'Reconciliation: Task is unknown' });
    const before = s.updates('t1').length;
    await s.call({ type: 'RECONCILE', reconcile: {} });
    await new Promise((r) => setTimeout(r, 150));
    expect(s.updates('t1')).toHaveLength(before);
  });

  it('reports the true state (TASK_RUNNING, REASON_AGENT_REREGISTERED) when the partition heals, and offers the agent again', async () => {
    sim.partitionAgent(hostname);
    await s.waitForUpdate('t1', 'TASK_UNREACHABLE');
    const from = s.events.length;
    const healed = sim.healAgent(hostname);
    expect(healed).toMatchObject({ id: agentId, state: 'registered' });
    const st = await s.waitForUpdate('t1', 'TASK_RUNNING', 3000, from);
    expect(st).toMatchObject({ reason: 'REASON_AGENT_REREGISTERED', source: 'SOURCE_MASTER' });
    expect(st.uuid).toBeUndefined();
    await s.waitFor((e) => e.type === 'OFFERS' && e.offers.offers.some((o: Json) => o.agent_id.value === agentId), 3000, from);
  });

  it('delivers updates that happened during the partition once it heals', async () => {
    sim.partitionAgent(hostname);
    sim.failTask('t1', 'TASK_FAILED', 'REASON_CONTAINER_LIMITATION_MEMORY');
    const from = s.events.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(s.updates('t1').slice(from).some((u) => u.state === 'TASK_FAILED')).toBe(false);
    sim.healAgent(hostname);
    // First the master's re-registration report, then the agent's reliable (uuid) update.
    const reregistered = await s.waitForUpdate('t1', 'TASK_FAILED', 3000, from);
    expect(reregistered).toMatchObject({ reason: 'REASON_AGENT_REREGISTERED' });
    const reliable = await s.waitFor((e) => e.type === 'UPDATE' && e.update.status.state === 'TASK_FAILED' && e.update.status.uuid !== undefined, 3000, from);
    expect(reliable.update.status).toMatchObject({ source: 'SOURCE_EXECUTOR', reason: 'REASON_CONTAINER_LIMITATION_MEMORY' });
  });

  it('reports TASK_LOST (even to a partition-aware framework) plus a FAILURE when the operator removes the agent, and forgets the task', async () => {
    const from = s.events.length;
    sim.killAgent(agentId);
    const st = await s.waitForUpdate('t1', 'TASK_LOST', 3000, from);
    expect(st).toMatchObject({ source: 'SOURCE_MASTER', reason: 'REASON_AGENT_REMOVED', message: `Agent ${hostname} removed: the agent unregistered` });
    expect(st.uuid).toBeUndefined();
    await s.waitFor((e) => e.type === 'FAILURE' && e.failure.agent_id.value === agentId, 3000, from);
    expect(sim.tasks()).toHaveLength(0);
    expect(sim.agents().find((a) => a.id === agentId)!.state).toBe('removed');
    const r = await s.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 't1' }, agent_id: { value: agentId } }] } });
    expect(r.status).toBe(202);
    await s.waitForUpdate('t1', 'TASK_UNKNOWN', 3000, from);
  });

  it('brings a killed host back as a new agent with a new id', async () => {
    sim.killAgent(hostname);
    const back = sim.healAgent(hostname);
    expect(back.hostname).toBe(hostname);
    expect(back.id).not.toBe(agentId);
    expect(back.state).toBe('registered');
  });

  it('reports TASK_GONE_BY_OPERATOR after the operator marks the agent gone', async () => {
    sim.partitionAgent(agentId);
    await s.waitFor((e) => e.type === 'FAILURE');
    const from = s.events.length;
    const r = await post(`${sim.url}/api/v1`, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agentId } } });
    expect(r.status).toBe(200);
    const st = await s.waitForUpdate('t1', 'TASK_GONE_BY_OPERATOR', 3000, from);
    expect(st).toMatchObject({ source: 'SOURCE_MASTER', reason: 'REASON_AGENT_REMOVED_BY_OPERATOR', message: 'Agent has been marked gone' });
    // The FAILURE came when the agent became unreachable; marking it gone sends none.
    expect(s.events.slice(from).some((e) => e.type === 'FAILURE')).toBe(false);
    // Marking again is harmless; an unknown agent is 404.
    expect((await post(`${sim.url}/api/v1`, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agentId } } })).status).toBe(200);
    const unknown = await post(`${sim.url}/api/v1`, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: 'nope' } } });
    expect(unknown).toMatchObject({ status: 404, text: "Agent 'nope' not found" });
    await s.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 'x' }, agent_id: { value: agentId } }] } });
    await s.waitForUpdate('x', 'TASK_GONE_BY_OPERATOR', 3000, from);
  });

  it('refuses impossible transitions and unknown agents with typed errors', () => {
    sim.killAgent(hostname);
    expect(() => sim.partitionAgent(agentId)).toThrow(SimInvalidTransitionError);
    expect(() => sim.killAgent(agentId)).toThrow(SimInvalidTransitionError);
    expect(() => sim.killAgent('agent-99')).toThrow(SimAgentNotFoundError);
  });

  it('kills every task of a framework on TEARDOWN and frees the agent', async () => {
    expect((await s.call({ type: 'TEARDOWN' })).status).toBe(202);
    await s.waitForEnd();
    expect(sim.tasks()).toHaveLength(0);
    expect(sim.agents().find((a) => a.id === agentId)!.used).toEqual({ scalars: {}, ranges: {} });
    const tasks = await operator(sim.url, { type: 'GET_TASKS' });
    expect(tasks.get_tasks.completed_tasks.map((t: Json) => [t.task_id.value, t.state])).toEqual([['t1', 'TASK_KILLED']]);
  });

  it('keeps a framework’s tasks when it re-subscribes after a failover', async () => {
    sim.failover({ reregisterWindowSeconds: 0 });
    await s.waitForEnd();
    const again = await TestScheduler.subscribe(sim.url, frameworkInfo({ id: { value: s.frameworkId } }));
    try {
      await again.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 't1' } }] } });
      await again.waitForUpdate('t1', 'TASK_RUNNING');
    } finally {
      again.close();
    }
  });
});

describe('Mesos simulator: agent failures (framework that is not partition-aware)', () => {
  it('reports TASK_LOST on a partition and on an agent removal', async () => {
    const sim = await startSim({ agents: 2 });
    const s = await TestScheduler.subscribe(sim.url, frameworkInfo({ capabilities: [{ type: 'MULTI_ROLE' }] }));
    try {
      s.autoAck();
      const [a, b] = await s.offers();
      await s.call(launchGroup(a!, [taskInfo('ta', a!.agent_id.value)]));
      await s.call(launchGroup(b!, [taskInfo('tb', b!.agent_id.value)]));
      await s.waitForUpdate('ta', 'TASK_RUNNING');
      await s.waitForUpdate('tb', 'TASK_RUNNING');
      sim.partitionAgent(a!.agent_id.value);
      sim.killAgent(b!.agent_id.value);
      await s.waitForUpdate('ta', 'TASK_LOST');
      await s.waitForUpdate('tb', 'TASK_LOST');
    } finally {
      s.close();
      await sim.stop();
    }
  });
});
