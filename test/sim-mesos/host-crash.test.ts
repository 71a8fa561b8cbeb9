import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { MesosSimOptions, MesosSimulator } from '../../src/sim/mesos';
import { TestScheduler, launchGroup, operator, post, pxdVolume, startSim, taskInfo, type Json } from './helpers';

/*
 * A host crash as a Mesos master lives it (master.cpp: SlaveObserver, markUnreachable,
 * __removeSlave, kill, reconcile): silence until agent_ping_timeout × max_agent_ping_timeouts,
 * then TASK_UNREACHABLE and a FAILURE. Here 2 s × 5 pings at speed 20: 500 ms.
 */
const PING = { agentPingTimeoutSeconds: 2, maxAgentPingTimeouts: 5 };
const UNREACHABLE_AFTER_MS = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Rig {
  sim: MesosSimulator;
  s: TestScheduler;
  agentId: string;
  hostname: string;
  hostEvents: string[];
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** Two agents; task t1 running on agent-1 (with a pxd volume). */
async function rig(opts: MesosSimOptions = {}): Promise<Rig> {
  const hostEvents: string[] = [];
  const sim = await startSim({
    agents: 2,
    ...PING,
    hostEvents: { down: (h) => hostEvents.push(`down ${h}`), up: (h) => hostEvents.push(`up ${h}`) },
    ...opts,
  });
  cleanups.push(() => sim.stop());
  const s = await TestScheduler.subscribe(sim.url);
  cleanups.push(() => s.close());
  s.autoAck();
  const offer = (await s.offers()).find((o) => o.hostname === 'agent-1')!;
  const agentId = offer.agent_id.value as string;
  await s.call(launchGroup(offer, [taskInfo('t1', agentId, { container: { type: 'MESOS', volumes: [pxdVolume('vol-1')] } })]));
  await s.waitForUpdate('t1', 'TASK_RUNNING');
  return { sim, s, agentId, hostname: 'agent-1', hostEvents };
}

const kill = (r: Rig, agentId?: string) =>
  r.s.call({ type: 'KILL', kill: { task_id: { value: 't1' }, ...(agentId !== undefined ? { agent_id: { value: agentId } } : {}) } });

describe('Mesos simulator: a host crash (crashAgent)', () => {
  it('tells the host events at once, and the master nothing until the ping timeouts expire', async () => {
    const r = await rig();
    const from = r.s.events.length;
    const crashedAt = Date.now();
    const summary = r.sim.crashAgent(r.hostname);
    expect(summary).toMatchObject({ id: r.agentId, state: 'registered', hostDown: true });
    expect(r.hostEvents).toEqual(['down agent-1']);
    // The truth: the task died with its host and nothing writes to its volume; the master still says RUNNING.
    expect(r.sim.tasks()[0]).toMatchObject({ taskId: 't1', state: 'TASK_LOST', masterState: 'TASK_RUNNING' });
    expect(r.sim.volumeMounts()).toMatchObject([{ name: 'vol-1', active: false }]);
    await sleep(UNREACHABLE_AFTER_MS / 2);
    expect(r.s.events.slice(from).filter((e) => e.type === 'UPDATE' || e.type === 'FAILURE')).toEqual([]);

    const st = await r.s.waitForUpdate('t1', 'TASK_UNREACHABLE', 3000, from);
    expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(UNREACHABLE_AFTER_MS - 20);
    expect(st).toMatchObject({ source: 'SOURCE_MASTER', reason: 'REASON_AGENT_REMOVED', message: 'health check timed out', agent_id: { value: r.agentId } });
    expect(st.uuid).toBeUndefined();
    expect(typeof st.unreachable_time.nanoseconds).toBe('bigint');
    const failure = await r.s.waitFor((e) => e.type === 'FAILURE', 3000, from);
    expect(failure).toEqual({ type: 'FAILURE', failure: { agent_id: { value: r.agentId } } });
    expect(r.sim.agents().find((a) => a.id === r.agentId)).toMatchObject({ state: 'unreachable', hostDown: true });
  });

  it('accepts a KILL for a task on the dead host and never answers it; reconciliation still says TASK_RUNNING', async () => {
    const r = await rig({ maxAgentPingTimeouts: 1000 });
    r.sim.crashAgent(r.agentId);
    const from = r.s.events.length;
    expect((await kill(r, r.agentId)).status).toBe(202);
    await r.s.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 't1' }, agent_id: { value: r.agentId } }] } });
    const st = await r.s.waitForUpdate('t1', 'TASK_RUNNING', 3000, from);
    expect(st).toMatchObject({ reason: 'REASON_RECONCILIATION', message: 'Reconciliation: Latest task state' });
    await sleep(300);
    expect(r.s.updates('t1').slice(-1)[0]).toEqual(st);
    expect(r.sim.tasks()[0]).toMatchObject({ taskId: 't1', masterState: 'TASK_RUNNING' });
  });

  it('answers a KILL for a task on an unreachable agent with TASK_UNREACHABLE again (TASK_UNKNOWN without the agent id)', async () => {
    const r = await rig();
    r.sim.crashAgent(r.hostname);
    await r.s.waitForUpdate('t1', 'TASK_UNREACHABLE');
    const from = r.s.events.length;
    await kill(r, r.agentId);
    const again = await r.s.waitForUpdate('t1', 'TASK_UNREACHABLE', 3000, from);
    expect(again).toMatchObject({ reason: 'REASON_RECONCILIATION', message: 'Reconciliation: Task is unreachable' });
    await kill(r);
    await r.s.waitForUpdate('t1', 'TASK_UNKNOWN', 3000, from);
  });

  it('keeps offering the dead host, as a master that cannot tell; a task launched there stays STAGING until the agent is unreachable', async () => {
    const r = await rig({ maxAgentPingTimeouts: 20 }); // 2 s: time to take an offer and launch, even on a loaded machine
    r.sim.crashAgent(r.hostname);
    const from = r.s.events.length;
    // The next offer of agent-1 after the one used for t1 (made before or after the crash: both stand).
    const afterLaunch = r.s.events.findIndex((e) => e.type === 'OFFERS') + 1;
    const offer = await r.s.waitFor((e) => e.type === 'OFFERS' && e.offers.offers.some((o: Json) => o.agent_id.value === r.agentId), 3000, afterLaunch);
    const o = offer.offers.offers.find((x: Json) => x.agent_id.value === r.agentId);
    await r.s.call(launchGroup(o, [taskInfo('t2', r.agentId)]));
    await sleep(150);
    expect(r.s.updates('t2')).toEqual([]);
    const tasks = await operator(r.sim.url, { type: 'GET_TASKS' });
    expect(tasks.get_tasks.tasks.find((t: Json) => t.task_id.value === 't2').state).toBe('TASK_STAGING');
    await r.s.waitForUpdate('t2', 'TASK_UNREACHABLE', 5000, from);
  });

  it('stops offering the host at once (outstanding offers rescinded) with offerCrashedAgents: false', async () => {
    const r = await rig({ offerCrashedAgents: false });
    // The first offer of agent-1 was used to launch t1; wait for the next one.
    const afterLaunch = r.s.events.findIndex((e) => e.type === 'OFFERS') + 1;
    const pending = await r.s.waitFor((e) => e.type === 'OFFERS' && e.offers.offers.some((o: Json) => o.agent_id.value === r.agentId), 3000, afterLaunch);
    const offerId = pending.offers.offers.find((o: Json) => o.agent_id.value === r.agentId).id.value;
    const from = r.s.events.length;
    r.sim.crashAgent(r.hostname);
    await r.s.waitFor((e) => e.type === 'RESCIND' && e.rescind.offer_id.value === offerId, 3000, from);
    await sleep(200);
    const later = r.s.events.slice(from).filter((e) => e.type === 'OFFERS');
    expect(later.flatMap((e) => e.offers.offers).some((o: Json) => o.agent_id.value === r.agentId)).toBe(false);
  });

  it('drops connections to the dead host’s agent API', async () => {
    const r = await rig();
    r.sim.crashAgent(r.hostname);
    await expect(post(`${r.sim.agentUrl(r.hostname)}/api/v1`, { type: 'GET_HEALTH' })).rejects.toThrow();
  });

  it('publishes TASK_UPDATED (TASK_UNREACHABLE) to operator subscribers but no AGENT_REMOVED, and lists the task as unreachable', async () => {
    const r = await rig();
    r.sim.crashAgent(r.hostname);
    await r.s.waitForUpdate('t1', 'TASK_UNREACHABLE');
    const tasks = await operator(r.sim.url, { type: 'GET_TASKS' });
    expect(tasks.get_tasks.unreachable_tasks.map((t: Json) => [t.task_id.value, t.state])).toEqual([['t1', 'TASK_UNREACHABLE']]);
    const agents = await operator(r.sim.url, { type: 'GET_AGENTS' });
    expect(agents.get_agents.agents.map((a: Json) => a.agent_info.hostname)).toEqual(['agent-2']);
  });

  it('is idempotent, and refuses a removed agent', async () => {
    const r = await rig();
    r.sim.crashAgent(r.hostname);
    expect(r.sim.crashAgent(r.agentId).hostDown).toBe(true);
    expect(r.hostEvents).toEqual(['down agent-1']);
    r.sim.killAgent('agent-2');
    expect(() => r.sim.crashAgent('agent-2')).toThrow(/removed/);
  });
});

describe('Mesos simulator: a crashed host comes back (healAgent / restartAgent)', () => {
  it('before the ping timeouts: a new agent registers at the address, and the old agent’s tasks come back TASK_LOST', async () => {
    const r = await rig({ maxAgentPingTimeouts: 1000, agentRestartSeconds: 2 });
    r.sim.crashAgent(r.hostname);
    const from = r.s.events.length;
    const back = r.sim.healAgent(r.hostname);
    expect(back).toMatchObject({ id: r.agentId, state: 'disconnected' });
    const lost = await r.s.waitForUpdate('t1', 'TASK_LOST', 3000, from);
    expect(lost).toMatchObject({
      source: 'SOURCE_MASTER',
      reason: 'REASON_AGENT_REMOVED',
      message: 'Agent agent-1 removed: a new agent registered at the same address',
    });
    await r.s.waitFor((e) => e.type === 'FAILURE' && e.failure.agent_id.value === r.agentId, 3000, from);
    const fresh = r.sim.agents().find((a) => a.hostname === 'agent-1' && a.state === 'registered')!;
    expect(fresh.id).not.toBe(r.agentId);
    expect(fresh.hostDown).toBe(false);
    expect(r.hostEvents).toEqual(['down agent-1', 'up agent-1']);
    // The volume is no longer mounted on the rebooted host.
    expect(r.sim.volumeMounts().filter((m) => m.active)).toEqual([]);
  });

  it('after the ping timeouts: the old agent stays unreachable with its tasks, and the new agent registers beside it', async () => {
    const r = await rig({ agentRestartSeconds: 0 });
    r.sim.crashAgent(r.hostname);
    await r.s.waitForUpdate('t1', 'TASK_UNREACHABLE');
    const from = r.s.events.length;
    const fresh = r.sim.restartAgent(r.hostname);
    expect(fresh).toMatchObject({ hostname: 'agent-1', state: 'registered', hostDown: false });
    expect(fresh.id).not.toBe(r.agentId);
    await sleep(150);
    expect(r.s.events.slice(from).some((e) => e.type === 'UPDATE' || e.type === 'FAILURE')).toBe(false);
    await kill(r, r.agentId);
    await r.s.waitForUpdate('t1', 'TASK_UNREACHABLE', 3000, from);
    expect(r.sim.agents().find((a) => a.id === r.agentId)?.state).toBe('unreachable');
  });
});

describe('Mesos simulator: telling a Portworx simulator about hosts (portworxUrl)', () => {
  it('POSTs /sim/v1/hosts/<host>/crash and /boot, best effort', async () => {
    const seen: string[] = [];
    const server: Server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const r = await rig({ portworxUrl: url, agentRestartSeconds: 0 });
    r.sim.crashAgent(r.hostname);
    r.sim.restartAgent(r.hostname, { newId: true });
    await expect.poll(() => seen, { timeout: 3000 }).toEqual([
      'POST /sim/v1/hosts/agent-1/crash application/json',
      'POST /sim/v1/hosts/agent-1/boot application/json',
    ]);
  });

  it('carries on when the Portworx simulator cannot be reached', async () => {
    const r = await rig({ portworxUrl: 'http://127.0.0.1:1' });
    expect(r.sim.crashAgent(r.hostname).hostDown).toBe(true);
    await r.s.waitForUpdate('t1', 'TASK_UNREACHABLE');
  });
});
