import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MesosOperatorClient, MesosProtocolError, MesosUnavailableError, type OperatorClientEvent } from '../../src/mesos';
import { Recorder } from '../../src/record/recorder';
import { parseJson } from '../../src/util/lossless-json';
import { FakeMaster, eventStream, reply, until, type EventWriter } from './helpers/fake-master';
import { protoViolations } from './helpers/proto-check';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function master(handler: Parameters<typeof FakeMaster.start>[0]): Promise<FakeMaster> {
  const m = await FakeMaster.start(handler);
  cleanups.push(() => m.close());
  return m;
}

const agent = (id: string, host: string) => ({
  agent_info: {
    hostname: host,
    id: { value: id },
    attributes: [{ name: 'rack', type: 'TEXT', text: { value: 'rack-1' } }],
    domain: { fault_domain: { region: { name: 'eu' }, zone: { name: 'eu-a' } } },
  },
  active: true,
  version: '1.4.0',
});

const task = (id: string) => ({
  name: id,
  task_id: { value: id },
  framework_id: { value: 'fw' },
  agent_id: { value: 'a1' },
  state: 'TASK_RUNNING',
});

describe('MesosOperatorClient', () => {
  it('reads GET_AGENTS and fills absent lists, recording the call and the response', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pxfw-op-rec-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const body = JSON.stringify({ type: 'GET_AGENTS', get_agents: { agents: [agent('a1', 'h1'), agent('a2', 'h2')] } });
    const m = await master((_req, res) => reply(res, 200, body, { 'content-type': 'application/json' }));
    const op = new MesosOperatorClient({ master: m.url, recorder: Recorder.toDir(dir) });
    const view = await op.getAgents();
    expect(view.agents.map((a) => a.agent_info.hostname)).toEqual(['h1', 'h2']);
    expect(view.recovered_agents).toEqual([]);
    expect(m.requests[0]!.path).toBe('/api/v1');
    expect(protoViolations('mesos.master.Call', m.requests[0]!.body)).toEqual([]);

    const lines = readFileSync(join(dir, 'mesos.jsonl'), 'utf8').trim().split('\n').map((l) => parseJson(l) as any);
    expect(lines.map((l) => `${l.api}:${l.dir}:${l.body.type}`)).toEqual(['operator:call:GET_AGENTS', 'operator:response:GET_AGENTS']);
    expect(lines[1].body.get_agents.agents).toHaveLength(2);
  });

  it('reads GET_TASKS with every list present', async () => {
    const body = JSON.stringify({ type: 'GET_TASKS', get_tasks: { tasks: [task('t1')] } });
    const m = await master((_req, res) => reply(res, 200, body));
    const view = await new MesosOperatorClient({ master: m.url }).getTasks();
    expect(view.tasks.map((t) => t.task_id.value)).toEqual(['t1']);
    expect(view.pending_tasks).toEqual([]);
    expect(view.unreachable_tasks).toEqual([]);
    expect(view.completed_tasks).toEqual([]);
  });

  it('sends MARK_AGENT_GONE with the agent id', async () => {
    const m = await master((_req, res) => reply(res, 200));
    await new MesosOperatorClient({ master: m.url }).markAgentGone('agent-7');
    expect(m.requests[0]!.body).toEqual({ type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: 'agent-7' } } });
  });

  it('treats a response of the wrong shape as a MesosProtocolError naming the field', async () => {
    const m = await master((_req, res) => reply(res, 200, '{"type":"GET_AGENTS","get_agents":{"agents":[{"agent_info":{}}]}}'));
    const err = await new MesosOperatorClient({ master: m.url }).getAgents().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MesosProtocolError);
    expect((err as Error).message).toContain('get_agents.agents[0].agent_info.hostname');
  });

  it('follows a protocol-relative 307 and gives up on 503 after its retries', async () => {
    let hits = 0;
    const leader = await master((_req, res) => {
      hits += 1;
      reply(res, 503, 'master is recovering');
    });
    const standby = await master((_req, res) => reply(res, 307, '', { location: `//127.0.0.1:${leader.port}/api/v1` }));
    const op = new MesosOperatorClient({ master: standby.url, backoff: { initialMs: 1, maxMs: 5 } });
    const err = await op.getTasks().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MesosUnavailableError);
    expect(err).toMatchObject({ retryable: true });
    expect(hits).toBe(5);
    expect(op.masterUrl).toBe(`http://127.0.0.1:${leader.port}/api/v1`);
  });

  it('streams SUBSCRIBED, agent and task events in order, and re-subscribes after a loss', async () => {
    const streams: EventWriter[] = [];
    const m = await master((req, res) => {
      expect(req.body).toEqual({ type: 'SUBSCRIBE' });
      const w = eventStream(res);
      streams.push(w);
      w.send({ type: 'SUBSCRIBED', subscribed: { get_state: { get_agents: { agents: [agent('a1', 'h1')] } } } });
    });
    const op = new MesosOperatorClient({ master: m.url, backoff: { initialMs: 5, maxMs: 20 } });
    const events: OperatorClientEvent[] = [];
    const abort = new AbortController();
    const done = op.subscribe((e) => events.push(e), { signal: abort.signal });
    cleanups.push(async () => {
      abort.abort();
      await done;
    });
    await until(() => streams.length === 1 && events.length === 1);
    const w = streams[0]!;
    w.send({ type: 'AGENT_ADDED', agent_added: { agent: agent('a2', 'h2') } });
    w.send({ type: 'TASK_ADDED', task_added: { task: task('t1') } });
    w.send({
      type: 'TASK_UPDATED',
      task_updated: { framework_id: { value: 'fw' }, status: { task_id: { value: 't1' }, state: 'TASK_RUNNING' }, state: 'TASK_RUNNING' },
    });
    w.send({ type: 'HEARTBEAT' });
    w.send({ type: 'AGENT_REMOVED', agent_removed: { agent_id: { value: 'a2' } } });
    await until(() => events.length === 6);
    expect(events.map((e) => e.type)).toEqual([
      'SUBSCRIBED',
      'AGENT_ADDED',
      'TASK_ADDED',
      'TASK_UPDATED',
      'HEARTBEAT',
      'AGENT_REMOVED',
    ]);
    w.end();
    await until(() => streams.length === 2 && events.length === 8, 5000, 're-subscribe');
    expect(events.slice(6).map((e) => e.type)).toEqual(['DISCONNECTED', 'SUBSCRIBED']);
    abort.abort();
    await done;
    await until(() => streams[1]!.destroyed(), 2000, 'stream closed by the client');
  });

  it('reconnects when a Mesos 1.5+ master stops sending heartbeats', async () => {
    const streams: EventWriter[] = [];
    const m = await master((_req, res) => {
      const w = eventStream(res);
      streams.push(w);
      w.send({ type: 'SUBSCRIBED', subscribed: { heartbeat_interval_seconds: 0.05 } });
    });
    const op = new MesosOperatorClient({ master: m.url, missedHeartbeatsBeforeReconnect: 2, backoff: { initialMs: 5, maxMs: 20 } });
    const events: OperatorClientEvent[] = [];
    const abort = new AbortController();
    const done = op.subscribe((e) => events.push(e), { signal: abort.signal });
    await until(() => streams.length >= 2, 5000, 'watchdog reconnect');
    abort.abort();
    await done;
    const disc = events.find((e) => e.type === 'DISCONNECTED') as { reason: string };
    expect(disc.reason).toMatch(/no event from the Mesos master/);
  });
});
