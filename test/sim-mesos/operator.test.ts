import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Recorder } from '../../src/record/recorder';
import { recordStrings } from '../../src/mesos/recordio';
import type { MesosSimulator } from '../../src/sim/mesos';
import { parseJson } from '../../src/util/lossless-json';
import { SPEED, TestScheduler, launchGroup, operator, post, startSim, taskInfo, type Json } from './helpers';

/** An operator API SUBSCRIBE stream that collects its events. */
async function operatorSubscribe(url: string): Promise<{ events: Json[]; close: () => void; waitFor: (p: (e: Json) => boolean) => Promise<Json> }> {
  const abort = new AbortController();
  const res = await fetch(`${url}/api/v1`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ type: 'SUBSCRIBE' }),
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json');
  const events: Json[] = [];
  void (async () => {
    try {
      for await (const rec of recordStrings(res.body as unknown as AsyncIterable<Uint8Array>)) events.push(parseJson(rec) as Json);
    } catch {
      // aborted by the test
    }
  })();
  const waitFor = async (p: (e: Json) => boolean): Promise<Json> => {
    await expect.poll(() => events.some(p), { timeout: 5000 }).toBe(true);
    return events.find(p)!;
  };
  return { events, close: () => abort.abort(), waitFor };
}

describe('Mesos simulator: operator API', () => {
  let sim: MesosSimulator | undefined;
  const cleanups: (() => void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) c();
    await sim?.stop();
    sim = undefined;
  });

  it('answers GET_HEALTH, GET_MASTER and GET_AGENTS as master.proto Responses', async () => {
    sim = await startSim({ agents: 3, racks: 3, zones: 2 });
    expect(await operator(sim.url, { type: 'GET_HEALTH' })).toEqual({ type: 'GET_HEALTH', get_health: { healthy: true } });
    const master = await operator(sim.url, { type: 'GET_MASTER' });
    expect(master.get_master.master_info).toMatchObject({ port: Number(new URL(sim.url).port), version: '1.5.0' });
    const { get_agents } = await operator(sim.url, { type: 'GET_AGENTS' });
    expect(get_agents.agents).toHaveLength(3);
    const a3 = get_agents.agents.find((a: Json) => a.agent_info.hostname === 'agent-3');
    expect(a3).toMatchObject({
      active: true,
      agent_info: {
        attributes: [{ name: 'rack', type: 'TEXT', text: { value: 'rack-3' } }],
        domain: { fault_domain: { region: { name: 'region-1' }, zone: { name: 'zone-1' } } },
      },
    });
    expect(typeof a3.registered_time.nanoseconds).toBe('bigint');
    expect(a3.registered_time.nanoseconds).toBeGreaterThan(2n ** 53n);
  });

  it('lists active and unreachable tasks, with their statuses, in GET_TASKS', async () => {
    sim = await startSim({ agents: 2 });
    const s = await TestScheduler.subscribe(sim.url);
    cleanups.push(() => s.close());
    s.autoAck();
    const [a, b] = await s.offers();
    await s.call(launchGroup(a!, [taskInfo('ta', a!.agent_id.value)]));
    await s.call(launchGroup(b!, [taskInfo('tb', b!.agent_id.value)]));
    await s.waitForUpdate('ta', 'TASK_RUNNING');
    await s.waitForUpdate('tb', 'TASK_RUNNING');
    sim.partitionAgent(a!.agent_id.value);
    const { get_tasks } = await operator(sim.url, { type: 'GET_TASKS' });
    expect(get_tasks.tasks.map((t: Json) => [t.task_id.value, t.state])).toEqual([['tb', 'TASK_RUNNING']]);
    expect(get_tasks.unreachable_tasks.map((t: Json) => [t.task_id.value, t.state])).toEqual([['ta', 'TASK_UNREACHABLE']]);
    const tb = get_tasks.tasks[0];
    expect(tb).toMatchObject({ framework_id: { value: s.frameworkId }, executor_id: { value: 'exec-tb' }, status_update_state: 'TASK_RUNNING' });
    expect(tb.statuses.map((x: Json) => x.state)).toEqual(['TASK_STARTING', 'TASK_RUNNING']);
  });

  it('streams SUBSCRIBED with the state and heartbeat interval, HEARTBEAT, and agent and task events', async () => {
    sim = await startSim({ agents: 2, heartbeatSeconds: 2 });
    const op = await operatorSubscribe(sim.url);
    cleanups.push(op.close);
    const subscribed = await op.waitFor((e) => e.type === 'SUBSCRIBED');
    expect(subscribed.subscribed.heartbeat_interval_seconds).toBeCloseTo(2 / SPEED);
    expect(subscribed.subscribed.get_state.get_agents.agents).toHaveLength(2);
    await op.waitFor((e) => e.type === 'HEARTBEAT');
    expect(op.events[1]!.type).toBe('HEARTBEAT');

    const s = await TestScheduler.subscribe(sim.url);
    cleanups.push(() => s.close());
    s.autoAck();
    const [offer] = await s.offers();
    const agentId = offer!.agent_id.value;
    await s.call(launchGroup(offer!, [taskInfo('t1', agentId)]));
    const added = await op.waitFor((e) => e.type === 'TASK_ADDED');
    expect(added.task_added.task).toMatchObject({ task_id: { value: 't1' }, state: 'TASK_STAGING' });
    const running = await op.waitFor((e) => e.type === 'TASK_UPDATED' && e.task_updated.state === 'TASK_RUNNING');
    expect(running.task_updated).toMatchObject({ framework_id: { value: s.frameworkId }, status: { state: 'TASK_RUNNING' } });

    // Marking an agent unreachable publishes its tasks' updates, not AGENT_REMOVED (Master::__removeSlave).
    sim.partitionAgent(agentId);
    await op.waitFor((e) => e.type === 'TASK_UPDATED' && e.task_updated.state === 'TASK_UNREACHABLE');
    sim.healAgent(agentId);
    const back = await op.waitFor((e) => e.type === 'AGENT_ADDED' && e.agent_added.agent.agent_info.id.value === agentId);
    expect(back.agent_added.agent.active).toBe(true);
    expect(op.events.some((e) => e.type === 'AGENT_REMOVED')).toBe(false);
    // Removing it (the agent unregisters) does publish AGENT_REMOVED (Master::_removeSlave).
    sim.killAgent(agentId);
    expect(await op.waitFor((e) => e.type === 'AGENT_REMOVED')).toEqual({ type: 'AGENT_REMOVED', agent_removed: { agent_id: { value: agentId } } });
  });

  it('answers 405 to GET, 415 to a non-JSON body type and 501 to calls it does not implement', async () => {
    sim = await startSim({ agents: 1 });
    expect((await fetch(`${sim.url}/api/v1`)).status).toBe(405);
    const r = await fetch(`${sim.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{}' });
    expect(r.status).toBe(415);
    expect((await post(`${sim.url}/api/v1`, { type: 'GET_QUOTA' })).status).toBe(501);
    expect((await post(`${sim.url}/api/v1`, { type: 'NOT_A_CALL' })).status).toBe(400);
  });

  it('records every scheduler call and event, and every operator call and response, one JSON object a line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pxfw-sim-mesos-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'mesos.jsonl');
    sim = await startSim({ agents: 1, recorder: Recorder.toFile(file) });
    const s = await TestScheduler.subscribe(sim.url);
    cleanups.push(() => s.close());
    await s.offers();
    await s.call({ type: 'SUPPRESS' });
    await operator(sim.url, { type: 'GET_HEALTH' });
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Json);
    const kinds = lines.map((l) => `${l.api}:${l.dir}:${l.body.type}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'scheduler:call:SUBSCRIBE',
        'scheduler:event:SUBSCRIBED',
        'scheduler:event:HEARTBEAT',
        'scheduler:event:OFFERS',
        'scheduler:call:SUPPRESS',
        'operator:call:GET_HEALTH',
        'operator:response:GET_HEALTH',
      ]),
    );
    expect(lines.every((l) => typeof l.ts === 'string')).toBe(true);
  });
});
