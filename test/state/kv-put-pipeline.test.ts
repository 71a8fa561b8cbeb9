import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { JetStreamApiError } from '@nats-io/jetstream';
import type { Msg } from '@nats-io/nats-core';
import { randomUUID } from 'node:crypto';
import { KvPutFailedError, KvPutPipeline, KvPutTimeoutError, PUT_TIMEOUT_MS } from '../../src/state/kv-put-pipeline';
import { isRevisionMismatch, StateConflictError } from '../../src/state/errors';
import { ServiceStateStore } from '../../src/state/state-store';
import { SHARED_NATS_URL } from '../helpers/nats-server';

/** One turn of the event loop: puts leave once per turn. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A connection that records what is published and lets the test answer it (the JetStream side). */
function fakeConnection() {
  const published: { subject: string; data: string; reply: string; expected: string | undefined }[] = [];
  let deliver: ((err: Error | null, msg: Msg) => void) | undefined;
  /** Subscriptions made, and whether each is closed (nats.js closes one that got an error). */
  const subs: { subject: string; closed: boolean }[] = [];
  let closed = false;
  let closedResolve: () => void = () => undefined;
  const closedP = new Promise<void>((r) => (closedResolve = r));
  const nc = {
    subscribe: (subject: string, opts: { callback: (err: Error | null, msg: Msg) => void }) => {
      const sub = { subject, closed: false };
      subs.push(sub);
      deliver = (err, msg) => {
        opts.callback(err, msg);
        if (err) sub.closed = true;
      };
      return { unsubscribe: () => void (sub.closed = true), isClosed: () => sub.closed };
    },
    publish: (subject: string, data: string, opts: { reply: string; headers: { get(k: string): string } }) => {
      published.push({ subject, data, reply: opts.reply, expected: opts.headers.get('Nats-Expected-Last-Subject-Sequence') });
    },
    isClosed: () => closed,
    closed: () => closedP,
  };
  /** JetStream's answer to the `i`th put: a JSON body, or an empty status message (e.g. 503). */
  const answer = (i: number, body: unknown, status?: { code: number; description: string }) => {
    const data = body === undefined ? new Uint8Array() : new TextEncoder().encode(JSON.stringify(body));
    const msg = { subject: published[i]!.reply, data, headers: status, json: () => JSON.parse(new TextDecoder().decode(data)) };
    deliver!(null, msg as unknown as Msg);
  };
  const close = async () => {
    closed = true;
    closedResolve();
    await closedP;
  };
  /** The server refuses the subscription (a permission violation): nats.js tells the callback and closes it. */
  const kill = () => deliver!(new Error('Permissions Violation for Subscription'), undefined as unknown as Msg);
  return { nc: nc as unknown as NatsConnection, published, answer, close, subs, kill };
}

describe('KvPutPipeline (compare-and-set KV puts pipelined over one reply subscription)', () => {
  afterEach(() => vi.useRealTimers());

  it('listens again once its reply subscription was closed by an error: later puts are answered', async () => {
    const { nc, published, answer, subs, kill } = fakeConnection();
    const pipe = KvPutPipeline.of(nc);
    const lost = pipe.put('$KV.b.k', '1', 0);
    await turn();
    kill();
    await expect(lost).rejects.toThrow('Permissions Violation');
    const next = pipe.put('$KV.b.k', '2', 0);
    await turn();
    expect(subs).toHaveLength(2);
    expect(published[1]!.reply.startsWith(subs[1]!.subject.slice(0, -1))).toBe(true);
    answer(1, { stream: 'KV_b', seq: 3 });
    await expect(next).resolves.toBe(3);
  });

  it('publishes each put to its subject with the expected last sequence and a reply subject of its own', async () => {
    const { nc, published, answer } = fakeConnection();
    const pipe = KvPutPipeline.of(nc);
    const a = pipe.put('$KV.b.pods.node.0', '{"a":1}', 7);
    const b = pipe.put('$KV.b.pods.node.1', '{"b":2}', 0);
    await turn();
    expect(published.map((p) => [p.subject, p.data, p.expected])).toEqual([
      ['$KV.b.pods.node.0', '{"a":1}', '7'],
      ['$KV.b.pods.node.1', '{"b":2}', '0'],
    ]);
    expect(published[0]!.reply).not.toBe(published[1]!.reply);
    // Answered out of order: each put gets its own sequence.
    answer(1, { stream: 'KV_b', seq: 12 });
    answer(0, { stream: 'KV_b', seq: 11 });
    await expect(a).resolves.toBe(11);
    await expect(b).resolves.toBe(12);
    expect(pipe.inFlight).toBe(0);
  });

  it('rejects a put JetStream refused with its API error (a wrong last sequence reads as a revision mismatch)', async () => {
    const { nc, answer } = fakeConnection();
    const put = KvPutPipeline.of(nc).put('$KV.b.k', '1', 3);
    await turn();
    answer(0, { error: { code: 400, err_code: 10071, description: 'wrong last sequence: 4' } });
    const err = await put.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JetStreamApiError);
    expect(isRevisionMismatch(err)).toBe(true);
  });

  it('rejects a put answered with no ack (503: no stream listens on the subject)', async () => {
    const { nc, answer } = fakeConnection();
    const put = KvPutPipeline.of(nc).put('$KV.gone.k', '1', 0);
    await turn();
    answer(0, undefined, { code: 503, description: 'No Responders' });
    await expect(put).rejects.toBeInstanceOf(KvPutFailedError);
  });

  it('times a put out after PUT_TIMEOUT_MS without an answer, and ignores the answer that comes later', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    const { nc, answer } = fakeConnection();
    const pipe = KvPutPipeline.of(nc);
    const put = pipe.put('$KV.b.k', '1', 1);
    const outcome = put.catch((e: unknown) => e);
    await turn();
    await vi.advanceTimersByTimeAsync(PUT_TIMEOUT_MS + 1_000);
    expect(await outcome).toBeInstanceOf(KvPutTimeoutError);
    expect(() => answer(0, { stream: 'KV_b', seq: 2 })).not.toThrow();
    expect(pipe.inFlight).toBe(0);
  });

  it('publishes the puts of one turn together, in order, though each was made after an await', async () => {
    const { nc, published } = fakeConnection();
    const pipe = KvPutPipeline.of(nc);
    const puts: Promise<number>[] = [];
    for (let i = 0; i < 5; i++) {
      puts.push(pipe.put(`$KV.b.k${i}`, String(i), 0));
      await Promise.resolve();
    }
    // Not yet: they leave once the turn's other work is done, in one go.
    expect(published).toHaveLength(0);
    await turn();
    expect(published.map((p) => p.subject)).toEqual(['$KV.b.k0', '$KV.b.k1', '$KV.b.k2', '$KV.b.k3', '$KV.b.k4']);
    for (const p of puts) p.catch(() => undefined);
  });

  it('fails a put made just before the connection closed and never publishes it', async () => {
    const { nc, published, close } = fakeConnection();
    const put = KvPutPipeline.of(nc).put('$KV.b.late', '1', 0).catch((e: unknown) => e);
    await close();
    expect(await put).toBeInstanceOf(KvPutFailedError);
    await turn();
    expect(published).toHaveLength(0);
  });

  it('fails every put in flight when the connection closes, and refuses new ones', async () => {
    const { nc, close } = fakeConnection();
    const pipe = KvPutPipeline.of(nc);
    const puts = [pipe.put('$KV.b.a', '1', 1), pipe.put('$KV.b.b', '1', 1)].map((p) => p.catch((e: unknown) => e));
    await close();
    for (const outcome of await Promise.all(puts)) expect(outcome).toBeInstanceOf(KvPutFailedError);
    await expect(KvPutPipeline.of(nc).put('$KV.b.c', '1', 1)).rejects.toBeInstanceOf(KvPutFailedError);
  });
});

describe('ServiceStateStore puts through the pipeline (real NATS)', () => {
  let nc: NatsConnection;
  let store: ServiceStateStore;

  beforeAll(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
    store = await ServiceStateStore.open(nc, `t-pipe-${randomUUID().slice(0, 8)}`);
  });
  afterAll(async () => {
    await store.destroy();
    await nc.close();
  });

  it('keeps 500 puts of different keys in flight at once with no timer per put (one sweep for all)', async () => {
    const revs = await Promise.all(Array.from({ length: 500 }, (_, i) => store.put(`pods.node.${i}`, { i }, 0)));
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      const puts = Array.from({ length: 500 }, (_, i) => store.put(`pods.node.${i}`, { i, v: 2 }, revs[i]!));
      // Every put is published before any is answered: they are pipelined, not one after another.
      const pipe = KvPutPipeline.of(nc);
      expect(pipe.inFlight).toBe(500);
      await Promise.all(puts);
      expect(timers).not.toHaveBeenCalled();
    } finally {
      timers.mockRestore();
    }
    expect((await store.get('pods.node.499'))?.value).toEqual({ i: 499, v: 2 });
  });

  it('writes the puts of status updates handled one after another (each after an await) in a few socket writes, not one each', async () => {
    const socket = (nc as unknown as { protocol: { transport: { socket: { write: (...a: unknown[]) => boolean } } } }).protocol.transport.socket;
    const write = vi.spyOn(socket, 'write');
    try {
      const puts: Promise<number>[] = [];
      for (let i = 0; i < 200; i++) {
        puts.push(store.put(`pods.burst.${i}`, { i }, 0));
        await Promise.resolve();
      }
      await Promise.all(puts);
      // 200 puts of ~100 bytes: one batch; nats.js may split it at its 32 KiB flush threshold.
      expect(write.mock.calls.length).toBeLessThanOrEqual(5);
    } finally {
      write.mockRestore();
    }
  });

  it('still refuses a stale revision (StateConflictError) and replaces a deleted key created again', async () => {
    const first = await store.put('framework', { v: 1 }, 0);
    await store.put('framework', { v: 2 }, first);
    await expect(store.put('framework', { v: 3 }, first)).rejects.toBeInstanceOf(StateConflictError);
    await store.delete('framework');
    await store.put('framework', { v: 4 }, 0);
    expect((await store.get('framework'))?.value).toEqual({ v: 4 });
  });
});
