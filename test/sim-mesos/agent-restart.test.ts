import { afterEach, describe, expect, it } from 'vitest';
import type { MesosSimOptions, MesosSimulator } from '../../src/sim/mesos';
import { TestScheduler, frameworkInfo, launchGroup, operator, post, startSim, taskInfo, type Json } from './helpers';

/*
 * Agent restarts as master.cpp and slave.cpp live them: the agent process restarts (its socket
 * breaks: Master::exited → disconnect, offers rescinded, KILLs held; then it re-registers with
 * the same id and running tasks: ___reregisterSlave / reconcileKnownSlave), optionally losing
 * executors that do not re-register in time (Slave::reregisterExecutorTimeout → TASK_GONE); or
 * the host reboots and a new agent registers at its address (_registerSlave → removeSlave →
 * TASK_LOST to every framework). agentRestartSeconds 4 at speed 20: 200 ms.
 */
const RESTART_MS = 200;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface Rig {
  sim: MesosSimulator;
  s: TestScheduler;
  agentId: string;
  hostEvents: string[];
  operatorEvents: Json[];
}

async function rig(opts: MesosSimOptions = {}, info: Json = frameworkInfo()): Promise<Rig> {
  const hostEvents: string[] = [];
  const sim = await startSim({
    agents: 2,
    agentRestartSeconds: 4,
    hostEvents: { down: (h) => hostEvents.push(`down ${h}`), up: (h) => hostEvents.push(`up ${h}`) },
    ...opts,
  });
  cleanups.push(() => sim.stop());
  const operatorEvents = await subscribeOperator(sim.url);
  const s = await TestScheduler.subscribe(sim.url, info);
  cleanups.push(() => s.close());
  s.autoAck();
  const offer = (await s.offers()).find((o) => o.hostname === 'agent-1')!;
  const agentId = offer.agent_id.value as string;
  await s.call(launchGroup(offer, [taskInfo('t1', agentId)]));
  await s.waitForUpdate('t1', 'TASK_RUNNING');
  // An acknowledgement reaching a disconnected agent is dropped (and the update resent): let it land first.
  await expect.poll(() => sim.tasks()[0]?.pendingUpdates, { timeout: 3000 }).toBe(0);
  return { sim, s, agentId, hostEvents, operatorEvents };
}

async function subscribeOperator(url: string): Promise<Json[]> {
  const { recordStrings } = await import('../../src/mesos/recordio');
  const { parseJson } = await import('../../src/util/lossless-json');
  const abort = new AbortController();
  const res = await fetch(`${url}/api/v1`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'SUBSCRIBE' }),
    signal: abort.signal,
  });
  const events: Json[] = [];
  void (async () => {
    try {
      for await (const rec of recordStrings(res.body as unknown as AsyncIterable<Uint8Array>)) events.push(parseJson(rec) as Json);
    } catch {
      // aborted
    }
  })();
  cleanups.push(() => abort.abort());
  return events;
}

describe('Mesos simulator: the agent process restarts (restartAgent)', () => {
  it('disconnects the agent (offers rescinded, no offers), then it re-registers with the same id and its task still running', async () => {
    const r = await rig();
    const afterLaunch = r.s.events.findIndex((e) => e.type === 'OFFERS') + 1;
    const next = await r.s.waitFor((e) => e.type === 'OFFERS' && e.offers.offers.some((o: Json) => o.agent_id.value === r.agentId), 3000, afterLaunch);
    const offerId = next.offers.offers.find((o: Json) => o.agent_id.value === r.agentId).id.value;
    const from = r.s.events.length;
    expect(r.sim.restartAgent('agent-1')).toMatchObject({ id: r.agentId, state: 'disconnected', hostDown: false });
    await r.s.waitFor((e) => e.type === 'RESCIND' && e.rescind.offer_id.value === offerId, 3000, from);
    const agents = await operator(r.sim.url, { type: 'GET_AGENTS' });
    expect(agents.get_agents.agents.find((a: Json) => a.agent_info.id.value === r.agentId).active).toBe(false);
    await expect(post(`${r.sim.agentUrl(r.agentId)}/api/v1`, { type: 'GET_HEALTH' })).rejects.toThrow();

    await expect.poll(() => r.sim.agents().find((a) => a.id === r.agentId)?.state, { timeout: 3000 }).toBe('registered');
    await r.s.waitFor((e) => e.type === 'OFFERS' && e.offers.offers.some((o: Json) => o.agent_id.value === r.agentId), 3000, from);
    expect(r.sim.tasks()).toMatchObject([{ taskId: 't1', agentId: r.agentId, state: 'TASK_RUNNING', masterState: 'TASK_RUNNING' }]);
    // No update about the task, no FAILURE, and no AGENT_REMOVED / AGENT_ADDED for a known agent coming back.
    expect(r.s.events.slice(from).filter((e) => e.type === 'UPDATE' || e.type === 'FAILURE')).toEqual([]);
    expect(r.operatorEvents.filter((e) => e.type === 'AGENT_REMOVED' || (e.type === 'AGENT_ADDED' && e.agent_added.agent.agent_info.id.value === r.agentId))).toEqual([]);
  });

  it('holds a KILL sent while the agent is down and carries it out once it re-registers', async () => {
    const r = await rig();
    r.sim.restartAgent(r.agentId);
    const from = r.s.events.length;
    const sentAt = Date.now();
    await r.s.call({ type: 'KILL', kill: { task_id: { value: 't1' }, agent_id: { value: r.agentId } } });
    const killed = await r.s.waitForUpdate('t1', 'TASK_KILLED', 3000, from);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(RESTART_MS - 50);
    expect(killed.uuid).toBeDefined();
  });

  it('reports TASK_GONE from the agent (reliable, REASON_EXECUTOR_REREGISTRATION_TIMEOUT) for executors that did not re-register', async () => {
    const r = await rig();
    const from = r.s.events.length;
    r.sim.restartAgent(r.agentId, { loseExecutors: true });
    const gone = await r.s.waitForUpdate('t1', 'TASK_GONE', 3000, from);
    expect(gone).toMatchObject({
      source: 'SOURCE_AGENT',
      reason: 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT',
      message: 'Executor did not reregister within 2secs',
      agent_id: { value: r.agentId },
    });
    expect(gone.uuid).toBeDefined();
    expect(r.sim.agents().find((a) => a.id === r.agentId)).toMatchObject({ state: 'registered', hostDown: false });
    expect(r.hostEvents).toEqual([]);
  });

  it('sends TASK_LOST instead of TASK_GONE to a framework that is not partition-aware', async () => {
    const r = await rig({}, frameworkInfo({ capabilities: [{ type: 'MULTI_ROLE' }] }));
    const from = r.s.events.length;
    r.sim.restartAgent(r.agentId, { loseExecutors: true });
    expect(await r.s.waitForUpdate('t1', 'TASK_LOST', 3000, from)).toMatchObject({ source: 'SOURCE_AGENT', reason: 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT' });
  });

  it('drops an acknowledgement sent while the agent is down; the agent resends the update once it is back', async () => {
    const r = await rig();
    r.sim.failTask('t1', 'TASK_FAILED');
    const failed = await r.s.waitForUpdate('t1', 'TASK_FAILED');
    r.sim.restartAgent(r.agentId);
    // autoAck has already sent (or is sending) the acknowledgement: it reaches a disconnected agent.
    const from = r.s.events.length;
    const again = await r.s.waitForUpdate('t1', 'TASK_FAILED', 3000, from);
    expect(again.uuid).toBe(failed.uuid);
  });

  it('re-registers at once with agentRestartSeconds: 0', async () => {
    const r = await rig({ agentRestartSeconds: 0 });
    expect(r.sim.restartAgent('agent-1')).toMatchObject({ id: r.agentId, state: 'registered' });
  });
});

describe('Mesos simulator: the host reboots (restartAgent with newId)', () => {
  it('reports the old agent’s task TASK_LOST to a partition-aware framework, with a FAILURE, and registers a new agent id at the hostname', async () => {
    const r = await rig();
    const from = r.s.events.length;
    r.sim.restartAgent('agent-1', { newId: true });
    expect(r.hostEvents).toEqual(['down agent-1']);
    const lost = await r.s.waitForUpdate('t1', 'TASK_LOST', 3000, from);
    expect(lost).toMatchObject({ source: 'SOURCE_MASTER', reason: 'REASON_AGENT_REMOVED', message: 'Agent agent-1 removed: a new agent registered at the same address' });
    expect(lost.uuid).toBeUndefined();
    await r.s.waitFor((e) => e.type === 'FAILURE' && e.failure.agent_id.value === r.agentId, 3000, from);
    expect(r.hostEvents).toEqual(['down agent-1', 'up agent-1']);
    const removed = r.operatorEvents.findIndex((e) => e.type === 'AGENT_REMOVED' && e.agent_removed.agent_id.value === r.agentId);
    const added = r.operatorEvents.findIndex((e, i) => i > removed && e.type === 'AGENT_ADDED' && e.agent_added.agent.agent_info.hostname === 'agent-1');
    expect(removed).toBeGreaterThanOrEqual(0);
    expect(added).toBeGreaterThan(removed);
    const fresh = r.operatorEvents[added]!.agent_added.agent.agent_info.id.value as string;
    expect(fresh).not.toBe(r.agentId);
    expect(r.sim.agents().map((a) => [a.hostname, a.id === fresh ? 'new' : a.id === r.agentId ? 'old' : 'other', a.state])).toEqual([
      ['agent-1', 'old', 'removed'],
      ['agent-2', 'other', 'registered'],
      ['agent-1', 'new', 'registered'],
    ]);
    expect(r.sim.tasks()).toEqual([]);
  });

  it('a reconciliation of the old task names the old agent: TASK_UNKNOWN (the agent was removed)', async () => {
    const r = await rig({ agentRestartSeconds: 0 });
    r.sim.restartAgent('agent-1', { newId: true });
    const from = r.s.events.length;
    await r.s.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 't1' }, agent_id: { value: r.agentId } }] } });
    await r.s.waitForUpdate('t1', 'TASK_UNKNOWN', 3000, from);
  });
});
