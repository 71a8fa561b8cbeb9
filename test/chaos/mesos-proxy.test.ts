import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeRecord, RecordIODecoder, RecordIOTruncatedError } from '../../src/mesos/recordio';
import { MesosChaosProxy, type WireFaultRates } from '../../src/sim/chaos/mesos-proxy';

/** A stand-in master: SUBSCRIBE opens a stream the test writes to; other calls answer 202. */
class FakeMaster {
  readonly calls: { type: string; path: string }[] = [];
  streams: ServerResponse[] = [];
  closedStreams = 0;
  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeMaster> {
    const server = createServer();
    const m = new FakeMaster(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/api/v1') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          return res.end('{"type":"GET_HEALTH","get_health":{"healthy":true}}');
        }
        const type = (JSON.parse(Buffer.concat(chunks).toString() || '{}') as { type?: string }).type ?? '';
        m.calls.push({ type, path: req.url ?? '' });
        if (type === 'SUBSCRIBE') {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Mesos-Stream-Id': 'stream-1' });
          res.flushHeaders();
          res.on('close', () => m.closedStreams++);
          m.streams.push(res);
          return;
        }
        res.writeHead(202, { 'Content-Length': 0 });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return m;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Send events on the newest stream, one byte per write so chunk boundaries fall anywhere. */
  async send(events: object[], bytewise = false): Promise<void> {
    const res = this.streams.at(-1)!;
    for (const e of events) {
      const framed = encodeRecord(JSON.stringify(e));
      if (!bytewise) res.write(framed);
      else for (const b of framed) res.write(Buffer.from([b]));
    }
  }

  async stop(): Promise<void> {
    for (const s of this.streams) s.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

interface Subscription {
  headers: IncomingMessage['headers'];
  events: Record<string, unknown>[];
  ended: Promise<'end' | 'error' | 'truncated'>;
}

function subscribe(url: string): Promise<Subscription> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/v1/scheduler`, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
      const events: Record<string, unknown>[] = [];
      const decoder = new RecordIODecoder();
      const ended = new Promise<'end' | 'error' | 'truncated'>((done) => {
        res.on('data', (c: Buffer) => {
          for (const r of decoder.push(c)) events.push(JSON.parse(Buffer.from(r).toString()) as Record<string, unknown>);
        });
        const finish = (how: 'end' | 'error') => {
          try {
            decoder.end();
            done(how);
          } catch (err) {
            done(err instanceof RecordIOTruncatedError ? 'truncated' : 'error');
          }
        };
        res.on('end', () => finish('end'));
        res.on('aborted', () => finish('error'));
        res.on('error', () => finish('error'));
      });
      resolve({ headers: res.headers, events, ended });
    });
    req.on('error', reject);
    req.end(JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'f' } } }));
  });
}

function call(url: string, type: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/v1/scheduler`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Mesos-Stream-Id': 'stream-1' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ type, framework_id: { value: 'fw' } }));
  });
}

const update = (task: string, n: number) => ({ type: 'UPDATE', update: { status: { task_id: { value: task }, state: `S${n}`, uuid: `u-${task}-${n}` } } });
const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};
const taskOf = (e: Record<string, unknown>) => (e.update as { status: { task_id: { value: string }; state: string } }).status;

describe('the Mesos chaos proxy', { timeout: 10_000 }, () => {
  let master: FakeMaster;
  let proxy: MesosChaosProxy;
  const startProxy = async (rates: Partial<WireFaultRates> = {}, seed = 7) => (proxy = await MesosChaosProxy.start({ target: master.url, seed, rates }));

  beforeEach(async () => {
    master = await FakeMaster.start();
  });
  afterEach(async () => {
    await proxy?.stop();
    await master.stop();
  });

  it('without faults re-frames every event unchanged, whatever the chunk boundaries, and keeps the stream id header', async () => {
    await startProxy();
    const sub = await subscribe(proxy.url);
    expect(sub.headers['mesos-stream-id']).toBe('stream-1');
    const sent = [{ type: 'SUBSCRIBED', subscribed: { framework_id: { value: 'fw' } } }, update('a', 1), { type: 'HEARTBEAT' }, { type: 'OFFERS', offers: { offers: [{ text: 'é✓ multi-byte' }] } }, update('b', 1)];
    await master.send(sent, true);
    await until(() => sub.events.length === sent.length);
    expect(sub.events).toEqual(sent);
    expect(proxy.faults()).toEqual([]);
  });

  it('duplicates updates (as Mesos resends unacknowledged ones) and keeps each task in order', async () => {
    await startProxy({ duplicateUpdate: 1, maxDelayMs: 20 });
    const sub = await subscribe(proxy.url);
    await master.send([update('a', 1), update('a', 2), { type: 'HEARTBEAT' }]);
    await until(() => sub.events.length === 5);
    expect(sub.events.filter((e) => e.type === 'UPDATE').map((e) => taskOf(e).state)).toEqual(['S1', 'S1', 'S2', 'S2']);
    expect(proxy.counts().duplicate).toBe(2);
  });

  it('delays updates so tasks overtake each other, but never reorders the updates of one task', async () => {
    await startProxy({ delayUpdate: 0.5, duplicateUpdate: 0.2, maxDelayMs: 40 });
    const sub = await subscribe(proxy.url);
    const sent = [];
    for (let n = 1; n <= 6; n++) for (const t of ['a', 'b', 'c', 'd']) sent.push(update(t, n));
    await master.send(sent);
    const seenLast = () => new Set(sub.events.map((e) => taskOf(e)).filter((s) => s.state === 'S6').map((s) => s.task_id.value)).size === 4;
    await until(() => seenLast() && sub.events.length === sent.length + proxy.counts().duplicate);
    const order = sub.events.map((e) => `${taskOf(e).task_id.value}${taskOf(e).state}`);
    for (const t of ['a', 'b', 'c', 'd']) {
      const states = order.filter((o) => o.startsWith(t)).map((o) => Number(o.slice(2)));
      expect(states, `task ${t}`).toEqual([...states].sort((x, y) => x - y));
      expect(new Set(states).size).toBe(6);
    }
    const sentOrder = sent.map((e) => `${taskOf(e).task_id.value}${taskOf(e).state}`);
    expect(order.filter((o, i) => order.indexOf(o) === i), 'some task overtook another').not.toEqual(sentOrder);
    expect(proxy.counts().delay).toBeGreaterThan(0);
  });

  it('makes the same fault decisions for the same seed', async () => {
    const run = async () => {
      await startProxy({ delayUpdate: 0.3, duplicateUpdate: 0.3, maxDelayMs: 5 }, 42);
      const sub = await subscribe(proxy.url);
      await master.send([1, 2, 3, 4, 5, 6, 7, 8].map((n) => update(`t${n % 3}`, n)));
      await until(() => sub.events.length === 8 + proxy.counts().duplicate);
      const kinds = proxy.faults().map((f) => `${f.kind}:${f.detail.split(' ').slice(0, 2).join(' ')}`);
      await proxy.stop();
      return kinds;
    };
    const first = await run();
    const second = await run();
    expect(first.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
  });

  it('forwards a call and then loses its reply: the master acted, the caller sees a reset', async () => {
    await startProxy();
    proxy.loseNext(1, { callType: 'ACCEPT' });
    await expect(call(proxy.url, 'ACCEPT')).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(master.calls.map((c) => c.type)).toEqual(['ACCEPT']);
    expect(await call(proxy.url, 'ACCEPT')).toBe(202);
    expect(proxy.counts()['lost-reply']).toBe(1);
  });

  it('can lose a call before it reaches the master', async () => {
    await startProxy({ lostRequest: 1, callTypes: ['KILL'] });
    await expect(call(proxy.url, 'KILL')).rejects.toThrow();
    expect(await call(proxy.url, 'REVIVE')).toBe(202);
    expect(master.calls.map((c) => c.type)).toEqual(['REVIVE']);
  });

  it.each(['reset', 'end', 'truncate'] as const)('cuts an event stream (%s) and the master sees the disconnection', async (mode) => {
    await startProxy();
    const sub = await subscribe(proxy.url);
    await master.send([update('a', 1)]);
    await until(() => sub.events.length === 1);
    expect(proxy.cutStreams(mode)).toBe(1);
    const how = await sub.ended;
    expect(how).toBe(mode === 'end' ? 'end' : mode === 'truncate' ? 'truncated' : 'error');
    await until(() => master.closedStreams === 1);
    expect(proxy.openStreams).toBe(0);
  });

  it('cuts streams at random when asked to, and a new subscription works', async () => {
    await startProxy({ cutStream: 1 });
    const sub = await subscribe(proxy.url);
    await master.send([{ type: 'SUBSCRIBED' }]);
    expect(['end', 'error', 'truncated']).toContain(await sub.ended);
    proxy.setRates({ cutStream: 0 });
    const again = await subscribe(proxy.url);
    await master.send([{ type: 'HEARTBEAT' }]);
    await until(() => again.events.length === 1);
  });

  it('passes every other path through untouched', async () => {
    await startProxy({ lostReply: 1, lostRequest: 1 });
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${proxy.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end('{"type":"GET_HEALTH"}');
    });
    expect(JSON.parse(body)).toEqual({ type: 'GET_HEALTH', get_health: { healthy: true } });
  });
});
