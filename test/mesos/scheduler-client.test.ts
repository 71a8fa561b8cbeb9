import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors';
import {
  MesosBadRequestError,
  MesosNotSubscribedError,
  MesosSchedulerClient,
  type MesosSchedulerClientOptions,
  type SchedulerClientEvent,
  type TaskStatus,
} from '../../src/mesos';
import { Recorder } from '../../src/record/recorder';
import { parseJson } from '../../src/util/lossless-json';
import { FakeMaster, accepted, eventStream, reply, until, type EventWriter } from './helpers/fake-master';
import { protoViolations } from './helpers/proto-check';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function master(handler?: Parameters<typeof FakeMaster.start>[0]): Promise<FakeMaster> {
  const m = await FakeMaster.start(handler);
  cleanups.push(() => m.close());
  return m;
}

function client(url: string, extra: Partial<MesosSchedulerClientOptions> = {}) {
  const c = new MesosSchedulerClient({
    master: url,
    framework: { name: 'cassandra', roles: ['cassandra-role'], principal: 'cassandra-principal' },
    backoff: { initialMs: 10, maxMs: 40 },
    ...extra,
  });
  const events: SchedulerClientEvent[] = [];
  c.onEvent((e) => events.push(e));
  cleanups.push(() => c.stop());
  return { c, events };
}

const subscribed = (id = 'fw-1', heartbeat = 15) => ({
  type: 'SUBSCRIBED',
  subscribed: { framework_id: { value: id }, heartbeat_interval_seconds: heartbeat },
});

/** A master whose SUBSCRIBE streams open with SUBSCRIBED; other calls get 202. */
function subscribingMaster(streams: EventWriter[], opts: { heartbeat?: number; id?: string } = {}) {
  return master((req, res) => {
    if (req.body.type !== 'SUBSCRIBE') return accepted(res);
    const w = eventStream(res, `stream-${streams.length + 1}`);
    streams.push(w);
    w.send(subscribed(opts.id, opts.heartbeat));
  });
}

describe('MesosSchedulerClient', () => {
  it('subscribes with a MULTI_ROLE, partition- and region-aware framework_info valid against the protos', async () => {
    const streams: EventWriter[] = [];
    const m = await subscribingMaster(streams);
    const { c, events } = client(m.url);
    c.start();
    await until(() => events.some((e) => e.type === 'SUBSCRIBED'), 5000, 'SUBSCRIBED');

    const sub = m.calls('SUBSCRIBE')[0]!;
    expect(sub.path).toBe('/api/v1/scheduler');
    expect(sub.headers['content-type']).toBe('application/json');
    expect(sub.headers.accept).toBe('application/json');
    expect(protoViolations('mesos.scheduler.Call', sub.body)).toEqual([]);
    const info = (sub.body as any).subscribe.framework_info;
    expect(info.roles).toEqual(['cassandra-role']);
    expect(info.role).toBeUndefined();
    expect(info.failover_timeout).toBe(4 * 7 * 24 * 3600);
    expect(info.capabilities.map((x: { type: string }) => x.type).sort()).toEqual([
      'MULTI_ROLE',
      'PARTITION_AWARE',
      'REGION_AWARE',
    ]);
    expect(sub.body.framework_id).toBeUndefined();
    expect(c.frameworkId).toBe('fw-1');
    expect(c.streamId).toBe('stream-1');
  });

  it('sends later calls with the Mesos-Stream-Id header and the top-level framework_id', async () => {
    const streams: EventWriter[] = [];
    const m = await subscribingMaster(streams);
    const { c, events } = client(m.url);
    c.start();
    await until(() => events.some((e) => e.type === 'SUBSCRIBED'));

    await c.decline(['offer-1', 'offer-2'], 30);
    await c.kill('task-1', 'agent-1');
    await c.revive(['cassandra-role']);
    await c.suppress();
    for (const type of ['DECLINE', 'KILL', 'REVIVE', 'SUPPRESS']) {
      const call = m.calls(type)[0]!;
      expect(call.headers['mesos-stream-id']).toBe('stream-1');
      expect(call.body.framework_id).toEqual({ value: 'fw-1' });
      expect(protoViolations('mesos.scheduler.Call', call.body)).toEqual([]);
    }
    expect((m.calls('DECLINE')[0]!.body as any).decline).toEqual({
      offer_ids: [{ value: 'offer-1' }, { value: 'offer-2' }],
      filters: { refuse_seconds: 30 },
    });
    expect((m.calls('KILL')[0]!.body as any).kill).toEqual({ task_id: { value: 'task-1' }, agent_id: { value: 'agent-1' } });
  });

  it('re-subscribes with the stored framework_id (top level and framework_info.id) after the stream ends', async () => {
    const streams: EventWriter[] = [];
    const m = await subscribingMaster(streams, { id: 'fw-42' });
    const { c, events } = client(m.url);
    c.start();
    await until(() => streams.length === 1 && c.frameworkId === 'fw-42');
    streams[0]!.end();
    await until(() => m.calls('SUBSCRIBE').length === 2, 5000, 're-subscribe');
    await until(() => c.streamId === 'stream-2');

    const again = m.calls('SUBSCRIBE')[1]!.body as any;
    expect(again.framework_id).toEqual({ value: 'fw-42' });
    expect(again.subscribe.framework_info.id).toEqual({ value: 'fw-42' });
    expect(protoViolations('mesos.scheduler.Call', again)).toEqual([]);
    const types = events.map((e) => e.type);
    expect(types).toEqual(['SUBSCRIBED', 'DISCONNECTED', 'SUBSCRIBED']);
  });

  it('starts from a framework id given at construction', async () => {
    const streams: EventWriter[] = [];
    const m = await subscribingMaster(streams, { id: 'stored-id' });
    const { c } = client(m.url, { frameworkId: 'stored-id' });
    c.start();
    await until(() => m.calls('SUBSCRIBE').length === 1);
    expect(m.calls('SUBSCRIBE')[0]!.body.framework_id).toEqual({ value: 'stored-id' });
  });

  it('surfaces "Framework failed over" as an ERROR event, then DISCONNECTED, then reconnects', async () => {
    const streams: EventWriter[] = [];
    const m = await subscribingMaster(streams);
    const { c, events } = client(m.url);
    c.start();
    await until(() => streams.length === 1 && events.length === 1);
    streams[0]!.send({ type: 'ERROR', error: { message: 'Framework failed over' } });
    await until(() => m.calls('SUBSCRIBE').length === 2, 5000, 'reconnect');
    await until(() => events.length >= 4);
    expect(events.slice(0, 4).map((e) => e.type)).toEqual(['SUBSCRIBED', 'ERROR', 'DISCONNECTED', 'SUBSCRIBED']);
    const disc = events[2] as { type: 'DISCONNECTED'; reason: string };
    expect(disc.reason).toContain('Framework failed over');
    await until(() => streams[0]!.destroyed(), 2000, 'old stream closed by the client');
    await c.stop();
  });

  it('delivers events in stream order, typed, and skips event types it does not know', async () => {
    const streams: EventWriter[] = [];
    const m = await subscribingMaster(streams);
    const { c, events } = client(m.url);
    c.start();
    await until(() => streams.length === 1 && events.length === 1);
    const w = streams[0]!;
    w.send({
      type: 'OFFERS',
      offers: {
        offers: [
          { id: { value: 'o1' }, framework_id: { value: 'fw-1' }, agent_id: { value: 'a1' }, hostname: 'h1' },
        ],
      },
    });
    w.send({ type: 'UPDATE_OPERATION_STATUS', update_operation_status: {} });
    w.send({ type: 'RESCIND', rescind: { offer_id: { value: 'o1' } } });
    w.send({ type: 'FAILURE', failure: { agent_id: { value: 'a1' } } });
    w.send({ type: 'HEARTBEAT' });
    await until(() => events.length === 5);
    expect(events.map((e) => e.type)).toEqual(['SUBSCRIBED', 'OFFERS', 'RESCIND', 'FAILURE', 'HEARTBEAT']);
  });

  it('drops and re-subscribes when the master sends an event that is not valid Mesos JSON', async () => {
    const streams: EventWriter[] = [];
    const m = await subscribingMaster(streams);
    const { c, events } = client(m.url);
    c.start();
    await until(() => streams.length === 1 && events.length === 1);
    streams[0]!.send({ type: 'UPDATE', update: { status: { task_id: { value: 't1' } } } });
    await until(() => streams.length === 2 && events.length === 3, 5000, 're-subscribe after bad event');
    const disc = events[1] as { type: string; reason: string };
    expect(disc.type).toBe('DISCONNECTED');
    expect(disc.reason).toMatch(/MesosProtocolError: invalid scheduler event: scheduler event\.update\.status\.state/);

    streams[1]!.sendRaw('5\nnope!');
    await until(() => streams.length === 3 && events.length === 5, 5000, 're-subscribe after non-JSON');
    expect((events[3] as { reason: string }).reason).toMatch(/is not JSON/);
  });

  it('keeps int64 values exact: a nanosecond time beyond 2^53 arrives and is recorded unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pxfw-mesos-rec-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const streams: EventWriter[] = [];
    const m = await subscribingMaster(streams);
    const { c, events } = client(m.url, { recorder: Recorder.toDir(dir) });
    c.start();
    await until(() => streams.length === 1 && events.length === 1);
    const ns = '1700000000123456789';
    streams[0]!.sendRaw(
      (() => {
        const json = `{"type":"UPDATE","update":{"status":{"task_id":{"value":"t1"},"state":"TASK_UNREACHABLE","unreachable_time":{"nanoseconds":${ns}}}}}`;
        return `${Buffer.byteLength(json)}\n${json}`;
      })(),
    );
    await until(() => events.length === 2);
    const update = events[1]!;
    expect(update.type).toBe('UPDATE');
    const status = (update as { update: { status: TaskStatus } }).update.status;
    expect(status.unreachable_time!.nanoseconds).toBe(BigInt(ns));

    const lines = readFileSync(join(dir, 'mesos.jsonl'), 'utf8').trim().split('\n');
    const parsed = lines.map((l) => parseJson(l) as { api: string; dir: string; body: { type: string } });
    expect(parsed.map((l) => `${l.api}:${l.dir}:${l.body.type}`)).toEqual([
      'scheduler:call:SUBSCRIBE',
      'scheduler:event:SUBSCRIBED',
      'scheduler:event:UPDATE',
    ]);
    expect(lines[2]).toContain(`"nanoseconds":${ns}`);
  });

  it('follows a 307 with a protocol-relative Location to the leader and keeps using it', async () => {
    const streams: EventWriter[] = [];
    const leader = await subscribingMaster(streams);
    const standby = await master((_req, res) =>
      reply(res, 307, '', { location: `//127.0.0.1:${leader.port}/api/v1/scheduler` }),
    );
    const { c, events } = client(standby.url);
    c.start();
    await until(() => events.some((e) => e.type === 'SUBSCRIBED'));
    await c.decline(['o1']);
    expect(standby.requests).toHaveLength(1);
    expect(leader.calls('SUBSCRIBE')).toHaveLength(1);
    expect(leader.calls('DECLINE')).toHaveLength(1);
    expect(c.masterUrl).toBe(`http://127.0.0.1:${leader.port}/api/v1/scheduler`);
  });

  it('retries SUBSCRIBE and calls that get 503 until the master is ready', async () => {
    let subscribeAttempts = 0;
    let declineAttempts = 0;
    const streams: EventWriter[] = [];
    const m = await master((req, res) => {
      if (req.body.type === 'SUBSCRIBE') {
        if (++subscribeAttempts <= 2) return reply(res, 503, 'No leader elected');
        const w = eventStream(res, 's');
        streams.push(w);
        return w.send(subscribed());
      }
      if (req.body.type === 'DECLINE' && ++declineAttempts === 1) return reply(res, 503, 'recovering');
      accepted(res);
    });
    const { c, events } = client(m.url);
    c.start();
    await until(() => events.some((e) => e.type === 'SUBSCRIBED'));
    expect(subscribeAttempts).toBe(3);
    expect(events[0]!.type).toBe('SUBSCRIBED');
    await c.decline(['o1']);
    expect(declineAttempts).toBe(2);
  });

  it('reconnects when heartbeats stop for the allowed number of intervals', async () => {
    const streams: EventWriter[] = [];
    const m = await subscribingMaster(streams, { heartbeat: 0.05 });
    const { c, events } = client(m.url, { missedHeartbeatsBeforeReconnect: 2 });
    c.start();
    await until(() => m.calls('SUBSCRIBE').length >= 2, 5000, 'watchdog reconnect');
    const disc = events.find((e) => e.type === 'DISCONNECTED') as { reason: string } | undefined;
    expect(disc?.reason).toMatch(/no event from the Mesos master/);
    await until(() => streams[0]!.destroyed(), 2000, 'old stream closed by the client');
  });

  it('stays connected while heartbeats keep arriving', async () => {
    const streams: EventWriter[] = [];
    // Allowed silence: 3 x 100 ms; a heartbeat every 40 ms leaves a wide margin on a busy machine.
    const m = await subscribingMaster(streams, { heartbeat: 0.1 });
    const { c } = client(m.url, { missedHeartbeatsBeforeReconnect: 3 });
    c.start();
    await until(() => streams.length === 1);
    const beat = setInterval(() => streams[0]!.send({ type: 'HEARTBEAT' }), 40);
    cleanups.push(() => clearInterval(beat));
    await new Promise((r) => setTimeout(r, 800));
    expect(m.calls('SUBSCRIBE')).toHaveLength(1);
    expect(c.streamId).toBe('stream-1');
  });

  it('acknowledges only updates that carry a uuid', async () => {
    const streams: EventWriter[] = [];
    const m = await subscribingMaster(streams);
    const { c, events } = client(m.url);
    c.start();
    await until(() => events.length === 1);
    await c.acknowledge({ task_id: { value: 't1' }, state: 'TASK_LOST', source: 'SOURCE_MASTER' });
    expect(m.calls('ACKNOWLEDGE')).toHaveLength(0);

    await c.acknowledge({ task_id: { value: 't1' }, state: 'TASK_RUNNING', agent_id: { value: 'a1' }, uuid: 'q83vEjRWeJA=' });
    const ack = m.calls('ACKNOWLEDGE')[0]!.body as any;
    expect(ack.acknowledge).toEqual({ agent_id: { value: 'a1' }, task_id: { value: 't1' }, uuid: 'q83vEjRWeJA=' });
    expect(protoViolations('mesos.scheduler.Call', ack)).toEqual([]);
  });

  it('reconciles explicitly with task and agent ids, and implicitly with an empty list', async () => {
    const streams: EventWriter[] = [];
    const m = await subscribingMaster(streams);
    const { c, events } = client(m.url);
    c.start();
    await until(() => events.length === 1);
    await c.reconcile([{ taskId: 't1', agentId: 'a1' }, { taskId: 't2' }]);
    await c.reconcile([]);
    const [explicit, implicit] = m.calls('RECONCILE').map((r) => r.body as any);
    expect(explicit.reconcile.tasks).toEqual([
      { task_id: { value: 't1' }, agent_id: { value: 'a1' } },
      { task_id: { value: 't2' } },
    ]);
    expect(implicit.reconcile).toEqual({});
    for (const body of [explicit, implicit]) expect(protoViolations('mesos.scheduler.Call', body)).toEqual([]);
  });

  it('refuses calls before it is subscribed, with a retryable error', async () => {
    const m = await master((_req, res) => reply(res, 503, 'no leader'));
    const { c } = client(m.url);
    await expect(c.decline(['o1'])).rejects.toBeInstanceOf(MesosNotSubscribedError);
    await expect(c.kill('t1')).rejects.toMatchObject({ retryable: true, code: 'MESOS_NOT_SUBSCRIBED' });
  });

  it('reports a 400 answer as a terminal MesosBadRequestError carrying the body', async () => {
    const streams: EventWriter[] = [];
    const m = await master((req, res) => {
      if (req.body.type === 'SUBSCRIBE') {
        const w = eventStream(res, 's1');
        streams.push(w);
        return w.send(subscribed());
      }
      reply(res, 400, 'Failed to validate scheduler::Call: Expecting offer_ids');
    });
    const { c, events } = client(m.url);
    c.start();
    await until(() => events.length === 1);
    const err = await c.accept(['o1'], []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MesosBadRequestError);
    expect(err).toMatchObject({ retryable: false, status: 400 });
    expect((err as Error).message).toContain('Expecting offer_ids');
  });

  it('sends TEARDOWN, then stops reconnecting and forgets the framework id', async () => {
    const streams: EventWriter[] = [];
    const m = await subscribingMaster(streams);
    const { c, events } = client(m.url);
    c.start();
    await until(() => events.length === 1);
    await c.teardown();
    expect(m.calls('TEARDOWN')).toHaveLength(1);
    expect(c.frameworkId).toBeUndefined();
    await new Promise((r) => setTimeout(r, 100));
    expect(m.calls('SUBSCRIBE')).toHaveLength(1);
  });

  it('keeps retrying with backoff while the master refuses connections, and stop() ends it', async () => {
    const m = await master();
    const url = m.url;
    await m.close();
    const { c, events } = client(url);
    c.start();
    await until(() => events.filter((e) => e.type === 'DISCONNECTED').length >= 2);
    expect((events[0] as { reason: string }).reason).toMatch(/MesosConnectionError/);
    await c.stop();
    const count = events.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toHaveLength(count);
  });

  it('rejects invalid options naming the field', () => {
    expect(
      () => new MesosSchedulerClient({ master: 'http://127.0.0.1:1', framework: { name: 'x', roles: [] } }),
    ).toThrow(/options\.framework\.roles/);
    expect(() => new MesosSchedulerClient({ master: 'not a url', framework: { name: 'x', roles: ['r'] } })).toThrow(
      ValidationError,
    );
  });
});
