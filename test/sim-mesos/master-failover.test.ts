import { afterEach, describe, expect, it } from 'vitest';
import type { MesosSimOptions, MesosSimulator } from '../../src/sim/mesos';
import { TestScheduler, frameworkInfo, launchGroup, operator, startSim, taskInfo, type Json } from './helpers';

/*
 * Master failover as master.cpp lives it: the new master knows the agents from its registry
 * ("recovered") until each re-registers (__reregisterSlave, no update for their tasks); meanwhile
 * it holds none of their tasks, and Master::reconcile answers nothing for a task that may be on
 * such an agent (case 2). An agent that never comes back is marked unreachable after
 * agent_reregister_timeout, with a FAILURE only (_markUnreachable during failover → sendSlaveLost).
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface Rig {
  sim: MesosSimulator;
  s: TestScheduler;
  agentId: string;
}

/** t1 running on agent-1; then a master failover and the framework subscribed again. */
async function afterFailover(opts: MesosSimOptions, window: number): Promise<Rig> {
  const sim = await startSim({ agents: 2, ...opts });
  cleanups.push(() => sim.stop());
  const first = await TestScheduler.subscribe(sim.url);
  first.autoAck();
  const offer = (await first.offers()).find((o) => o.hostname === 'agent-1')!;
  const agentId = offer.agent_id.value as string;
  await first.call(launchGroup(offer, [taskInfo('t1', agentId)]));
  await first.waitForUpdate('t1', 'TASK_RUNNING');
  await expect.poll(() => sim.tasks()[0]?.pendingUpdates, { timeout: 3000 }).toBe(0);
  sim.failover({ reregisterWindowSeconds: window });
  await first.waitForEnd();
  const s = await TestScheduler.subscribe(sim.url, frameworkInfo({ id: { value: first.frameworkId } }));
  cleanups.push(() => s.close());
  s.autoAck();
  return { sim, s, agentId };
}

const reconcile = (r: Rig, tasks: Json[]) => r.s.call({ type: 'RECONCILE', reconcile: { tasks } });
const t1 = (agentId?: string): Json => ({ task_id: { value: 't1' }, ...(agentId !== undefined ? { agent_id: { value: agentId } } : {}) });

describe('Mesos simulator: master failover', () => {
  it('says nothing about tasks of agents that have not re-registered yet, explicitly or implicitly, and drops their KILLs', async () => {
    const r = await afterFailover({}, 3600);
    expect(r.sim.agents().map((a) => a.state)).toEqual(['recovering', 'recovering']);
    const from = r.s.events.length;
    await reconcile(r, [t1(r.agentId)]);
    await reconcile(r, [t1()]);
    // Even a task the master never heard of gets no answer while any agent may still hold it.
    await reconcile(r, [{ task_id: { value: 'never-launched' } }]);
    await reconcile(r, []);
    await r.s.call({ type: 'KILL', kill: { task_id: { value: 't1' }, agent_id: { value: r.agentId } } });
    await sleep(300);
    expect(r.s.events.slice(from).filter((e) => e.type === 'UPDATE' || e.type === 'OFFERS')).toEqual([]);
    expect(r.sim.tasks()[0]).toMatchObject({ taskId: 't1', state: 'TASK_RUNNING' });
  });

  it('lists such agents as recovered_agents and none of their tasks in the operator API', async () => {
    const r = await afterFailover({}, 3600);
    const agents = await operator(r.sim.url, { type: 'GET_AGENTS' });
    expect(agents.get_agents.agents).toEqual([]);
    expect(agents.get_agents.recovered_agents.map((a: Json) => a.hostname).sort()).toEqual(['agent-1', 'agent-2']);
    const tasks = await operator(r.sim.url, { type: 'GET_TASKS' });
    expect(tasks.get_tasks.tasks).toEqual([]);
    expect(tasks.get_tasks.unreachable_tasks).toEqual([]);
  });

  it('answers again once the agent re-registers (no update on re-registration itself), and offers it again', async () => {
    const r = await afterFailover({}, 3600);
    const from = r.s.events.length;
    r.sim.healAgent(r.agentId); // let agent-1 re-register now
    await sleep(100);
    expect(r.s.events.slice(from).filter((e) => e.type === 'UPDATE')).toEqual([]);
    await reconcile(r, [t1(r.agentId)]);
    expect(await r.s.waitForUpdate('t1', 'TASK_RUNNING', 3000, from)).toMatchObject({ reason: 'REASON_RECONCILIATION' });
    await r.s.waitFor((e) => e.type === 'OFFERS' && e.offers.offers.some((o: Json) => o.agent_id.value === r.agentId), 3000, from);
    // agent-2 has not re-registered: an unknown task without an agent id is still not answered.
    const mark = r.s.events.length;
    await reconcile(r, [{ task_id: { value: 'elsewhere' } }]);
    await sleep(200);
    expect(r.s.events.slice(mark).filter((e) => e.type === 'UPDATE')).toEqual([]);
  });

  it('brings every agent back within the re-registration window', async () => {
    const r = await afterFailover({}, 4); // 200 ms at speed 20
    await expect.poll(() => r.sim.agents().map((a) => a.state), { timeout: 3000 }).toEqual(['registered', 'registered']);
    const from = r.s.events.length;
    await reconcile(r, [t1()]);
    await r.s.waitForUpdate('t1', 'TASK_RUNNING', 3000, from);
  });

  it('marks a crashed host that never re-registers unreachable after agent_reregister_timeout, with a FAILURE and no task update', async () => {
    const r = await afterFailover({ agentReregisterTimeoutSeconds: 6, agentPingTimeoutSeconds: 100 }, 3600); // 300 ms
    const from = r.s.events.length;
    r.sim.crashAgent(r.agentId);
    const failure = await r.s.waitFor((e) => e.type === 'FAILURE', 3000, from);
    expect(failure).toEqual({ type: 'FAILURE', failure: { agent_id: { value: r.agentId } } });
    expect(r.s.events.slice(from).filter((e) => e.type === 'UPDATE')).toEqual([]);
    await reconcile(r, [t1(r.agentId)]);
    expect(await r.s.waitForUpdate('t1', 'TASK_UNREACHABLE', 3000, from)).toMatchObject({ message: 'Reconciliation: Task is unreachable' });
  });
});
