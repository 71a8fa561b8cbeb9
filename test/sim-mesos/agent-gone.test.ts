import { afterEach, describe, expect, it } from 'vitest';
import type { MesosSimulator } from '../../src/sim/mesos';
import { TestScheduler, frameworkInfo, launchGroup, post, pxdVolume, startSim, taskInfo, type Json } from './helpers';

/*
 * MARK_AGENT_GONE as master.cpp (Master::markGone → __removeSlave) and http.cpp
 * (Master::Http::_markAgentGone) do it: TASK_GONE_BY_OPERATOR with
 * REASON_AGENT_REMOVED_BY_OPERATOR ("Agent has been marked gone"); a registered agent is shut
 * down and every framework gets a FAILURE; no AGENT_REMOVED; an agent not yet re-registered
 * after a master failover gets no task update at all (MESOS-9739).
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let sim: MesosSimulator | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await sim?.stop();
  sim = undefined;
});

async function running(info: Json = frameworkInfo()): Promise<{ sim: MesosSimulator; s: TestScheduler; agentId: string }> {
  sim = await startSim({ agents: 2 });
  const s = await TestScheduler.subscribe(sim.url, info);
  cleanups.push(() => s.close());
  s.autoAck();
  const offer = (await s.offers()).find((o) => o.hostname === 'agent-1')!;
  const agentId = offer.agent_id.value as string;
  await s.call(launchGroup(offer, [taskInfo('t1', agentId, { container: { type: 'MESOS', volumes: [pxdVolume('vol-1')] } })]));
  await s.waitForUpdate('t1', 'TASK_RUNNING');
  await expect.poll(() => sim!.tasks()[0]?.pendingUpdates, { timeout: 3000 }).toBe(0);
  return { sim, s, agentId };
}

const markGone = (url: string, agentId: string) => post(`${url}/api/v1`, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agentId } } });

describe('Mesos simulator: MARK_AGENT_GONE', () => {
  it('on a registered agent: TASK_GONE_BY_OPERATOR (REASON_AGENT_REMOVED_BY_OPERATOR), a FAILURE, the agent shut down', async () => {
    const r = await running();
    const from = r.s.events.length;
    expect((await markGone(r.sim.url, r.agentId)).status).toBe(200);
    const st = await r.s.waitForUpdate('t1', 'TASK_GONE_BY_OPERATOR', 3000, from);
    expect(st).toMatchObject({ source: 'SOURCE_MASTER', reason: 'REASON_AGENT_REMOVED_BY_OPERATOR', message: 'Agent has been marked gone' });
    expect(st.uuid).toBeUndefined();
    await r.s.waitFor((e) => e.type === 'FAILURE' && e.failure.agent_id.value === r.agentId, 3000, from);
    expect(r.sim.agents().find((a) => a.id === r.agentId)?.state).toBe('gone');
    // The agent's shutdown ends its containers: nothing stays mounted; its API no longer answers.
    expect(r.sim.volumeMounts().filter((m) => m.active)).toEqual([]);
    await expect(post(`${r.sim.agentUrl(r.agentId)}/api/v1`, { type: 'GET_HEALTH' })).rejects.toThrow();
    // A reconciliation naming the agent keeps saying so.
    await r.s.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 't1' }, agent_id: { value: r.agentId } }] } });
    expect(await r.s.waitForUpdate('t1', 'TASK_GONE_BY_OPERATOR', 3000, s0(r.s, from))).toMatchObject({ reason: 'REASON_RECONCILIATION' });
  });

  it('sends TASK_LOST with REASON_AGENT_REMOVED to a framework that is not partition-aware', async () => {
    const r = await running(frameworkInfo({ capabilities: [{ type: 'MULTI_ROLE' }] }));
    const from = r.s.events.length;
    r.sim.markAgentGone('agent-1');
    expect(await r.s.waitForUpdate('t1', 'TASK_LOST', 3000, from)).toMatchObject({ reason: 'REASON_AGENT_REMOVED', message: 'Agent has been marked gone' });
  });

  it('on an agent not yet re-registered after a master failover: no update at all', async () => {
    const r = await running();
    r.sim.failover({ reregisterWindowSeconds: 3600 });
    await r.s.waitForEnd();
    const s = await TestScheduler.subscribe(r.sim.url, frameworkInfo({ id: { value: r.s.frameworkId } }));
    cleanups.push(() => s.close());
    expect((await markGone(r.sim.url, r.agentId)).status).toBe(200);
    await sleep(200);
    expect(s.events.filter((e) => e.type === 'UPDATE' || e.type === 'FAILURE')).toEqual([]);
  });

  it('answers 404 for an agent the master does not know, and 200 again for a gone one', async () => {
    const r = await running();
    expect(await markGone(r.sim.url, 'nope')).toEqual({ status: 404, text: "Agent 'nope' not found" });
    r.sim.killAgent('agent-2');
    const removed = r.sim.agents().find((a) => a.hostname === 'agent-2')!.id;
    expect((await markGone(r.sim.url, removed)).status).toBe(404);
    expect((await markGone(r.sim.url, r.agentId)).status).toBe(200);
    expect((await markGone(r.sim.url, r.agentId)).status).toBe(200);
  });
});

/** The index after the first TASK_GONE_BY_OPERATOR update since `from`. */
function s0(s: TestScheduler, from: number): number {
  const i = s.events.findIndex((e, k) => k >= from && e.type === 'UPDATE' && e.update.status.state === 'TASK_GONE_BY_OPERATOR');
  return i + 1;
}
