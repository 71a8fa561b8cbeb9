import { afterEach, describe, expect, it } from 'vitest';
import type { MesosSimulator } from '../../src/sim/mesos';
import { parseJson } from '../../src/util/lossless-json';
import { TestScheduler, launchGroup, post, startSim, taskInfo, type Json } from './helpers';

/*
 * Two rules every Mesos call obeys on a real master:
 * - Content-Type must be exactly `application/json` (or protobuf): src/master/http.cpp
 *   (`Master::Http::scheduler`, `Master::Http::api`) and src/slave/http.cpp (`Http::api`) compare
 *   the whole header value, so a parameter or other letter case is 415.
 * - JSON `null` is an unset field at any depth (stout's protobuf.hpp, `Parser` on JSON::Null).
 */
const UNSUPPORTED = "Expecting 'Content-Type' of application/json or application/x-protobuf";

let sim: MesosSimulator | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await sim?.stop();
  sim = undefined;
});

async function running(): Promise<{ sim: MesosSimulator; s: TestScheduler; agentId: string }> {
  sim = await startSim({ agents: 1 });
  const s = await TestScheduler.subscribe(sim.url);
  cleanups.push(() => s.close());
  s.autoAck();
  const [offer] = await s.offers();
  const agentId = offer!.agent_id.value as string;
  await s.call(launchGroup(offer!, [taskInfo('t1', agentId)]));
  await s.waitForUpdate('t1', 'TASK_RUNNING');
  return { sim, s, agentId };
}

describe('Mesos simulator: Content-Type must be exactly application/json', () => {
  for (const ct of ['application/json; charset=utf-8', 'Application/JSON', 'text/json']) {
    it(`answers 415 to '${ct}' on the scheduler, operator and agent APIs`, async () => {
      const { sim: m, s, agentId } = await running();
      const sched = await post(`${m.url}/api/v1/scheduler`, { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n' } } }, { 'Content-Type': ct });
      expect(sched).toEqual({ status: 415, text: UNSUPPORTED });
      const call = await post(`${m.url}/api/v1/scheduler`, { type: 'REVIVE', framework_id: { value: s.frameworkId } }, { 'Content-Type': ct, 'Mesos-Stream-Id': s.streamId });
      expect(call.status).toBe(415);
      expect(await post(`${m.url}/api/v1`, { type: 'GET_HEALTH' }, { 'Content-Type': ct })).toEqual({ status: 415, text: UNSUPPORTED });
      expect((await post(`${m.agentUrl(agentId)}/api/v1`, { type: 'GET_HEALTH' }, { 'Content-Type': ct })).status).toBe(415);
    });
  }

  it('accepts exactly application/json', async () => {
    const { sim: m, agentId } = await running();
    expect((await post(`${m.url}/api/v1`, { type: 'GET_HEALTH' })).status).toBe(200);
    expect((await post(`${m.agentUrl(agentId)}/api/v1`, { type: 'GET_HEALTH' })).status).toBe(200);
  });
});

describe('Mesos simulator: JSON null is an unset field', () => {
  it('subscribes a new framework when framework_id and framework_info.id are null', async () => {
    sim = await startSim({ agents: 1 });
    const s = await TestScheduler.subscribe(sim.url, { user: 'root', name: 'nulls', id: null, role: null, capabilities: [null, { type: 'PARTITION_AWARE' }] });
    cleanups.push(() => s.close());
    expect(s.frameworkId).not.toBe('');
    expect(sim.frameworks()).toHaveLength(1);
  });

  it('treats a null agent_id in KILL and RECONCILE as absent, and a null element of a repeated field as nothing', async () => {
    const { s } = await running();
    const from = s.events.length;
    const r = await s.call({ type: 'RECONCILE', reconcile: { tasks: [null, { task_id: { value: 't1' }, agent_id: null }] } });
    expect(r.status).toBe(202);
    await s.waitForUpdate('t1', 'TASK_RUNNING', 3000, from);
    expect((await s.call({ type: 'KILL', kill: { task_id: { value: 't1' }, agent_id: null, kill_policy: null } })).status).toBe(202);
    await s.waitForUpdate('t1', 'TASK_KILLED', 3000, from);
  });

  it('still requires what a null leaves unset', async () => {
    const { s } = await running();
    const r = await s.call({ type: 'KILL', kill: null });
    expect(r).toEqual({ status: 400, text: "Failed to validate scheduler::Call: Expecting 'kill' to be present" });
  });

  it('applies on the operator API and the agent API too', async () => {
    const { sim: m, agentId } = await running();
    const health = await post(`${m.url}/api/v1`, { type: 'GET_HEALTH', get_metrics: null });
    expect(health.status).toBe(200);
    expect((parseJson(health.text) as Json).get_health).toEqual({ healthy: true });
    const gone = await post(`${m.url}/api/v1`, { type: 'MARK_AGENT_GONE', mark_agent_gone: null });
    expect(gone.status).toBe(400);
    expect((await post(`${m.agentUrl(agentId)}/api/v1`, { type: 'GET_HEALTH', launch_nested_container: null })).status).toBe(200);
  });
});
