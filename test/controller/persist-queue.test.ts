import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { awaitDurable, PersistQueue } from '../../src/controller/persist-queue';
import { ServiceStateStore } from '../../src/state/state-store';
import { StateConflictError, StateNotSavedError, StateUnavailableError } from '../../src/state/errors';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { silentLogger } from './fixtures';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An in-memory compare-and-set store with a settable delay per put, recording every stored value. */
class MemoryStore {
  revision = 0;
  value: unknown;
  readonly stored: unknown[] = [];
  puts = 0;
  delays: number[] = [];
  /** While set, every put loses the compare-and-set. */
  alwaysConflict = false;
  /** While set, every put fails as if NATS were down. */
  down = false;

  async get() {
    return this.revision === 0 ? undefined : { value: this.value, revision: this.revision };
  }

  async put(key: string, value: unknown, expected: number): Promise<number> {
    this.puts += 1;
    await sleep(this.delays.shift() ?? 0);
    if (this.down) throw new StateUnavailableError('NATS is down');
    if (this.alwaysConflict || expected !== this.revision) throw new StateConflictError(key);
    this.value = value;
    this.stored.push(value);
    return ++this.revision;
  }

  async delete() {
    this.revision = 0;
  }

  asStore(): ServiceStateStore {
    return this as unknown as ServiceStateStore;
  }
}

describe('PersistQueue (ordered compare-and-set writes of the latest state per key)', () => {
  let nc: NatsConnection;
  let store: ServiceStateStore;

  beforeAll(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
    store = await ServiceStateStore.open(nc, `t-pq-${randomUUID().slice(0, 8)}`);
  });
  afterAll(async () => {
    await store.destroy();
    await nc.close();
  });

  it('leaves the last of rapid writes v1..v5 to one key in KV', async () => {
    const q = new PersistQueue(store, silentLogger());
    for (let v = 1; v <= 5; v++) q.write('framework', { v });
    await q.flushAll();
    expect((await store.get('framework'))?.value).toEqual({ v: 5 });
  });

  it('never stores an older value after a newer one, however writes and slow puts interleave', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean()), { minLength: 1, maxLength: 12 }), async (steps) => {
        const mem = new MemoryStore();
        mem.delays = steps.map(([d]) => d);
        const q = new PersistQueue(mem.asStore(), silentLogger());
        for (const [i, [, pause]] of steps.entries()) {
          q.write('k', i);
          if (pause) await sleep(1);
        }
        await q.flushAll();
        const seen = mem.stored as number[];
        expect(seen.at(-1)).toBe(steps.length - 1);
        expect([...seen].sort((a, b) => a - b)).toEqual(seen);
      }),
      { numRuns: 40 },
    );
  });

  it('writes its value over a revision another writer made meanwhile (re-reading the revision)', async () => {
    const q = new PersistQueue(store, silentLogger());
    q.write('pods.node.0', { v: 1 });
    await q.flushAll();
    const theirs = await store.get('pods.node.0');
    await store.put('pods.node.0', { v: 'theirs' }, theirs!.revision);

    q.write('pods.node.0', { v: 2 });
    await q.flushAll();

    expect((await store.get('pods.node.0'))?.value).toEqual({ v: 2 });
  });

  it('drops queued writes once mayWrite() says it no longer leads', async () => {
    let leading = true;
    const q = new PersistQueue(store, silentLogger(), () => leading);
    q.write('pods.node.1', { v: 1 });
    await q.flushAll();

    leading = false;
    q.write('pods.node.1', { v: 2 });
    await q.flushAll();

    expect((await store.get('pods.node.1'))?.value).toEqual({ v: 1 });
  });

  it('does not force its write over a conflicting writer once it learns it was deposed', async () => {
    // The conflict is the new leader's write; the deposed one finds out (lease lost) meanwhile.
    let leading = true;
    const wrapped = Object.create(store) as ServiceStateStore;
    wrapped.put = async (key, value, expected) => {
      try {
        return await store.put(key, value, expected);
      } catch (err) {
        if (err instanceof StateConflictError) leading = false;
        throw err;
      }
    };
    const q = new PersistQueue(wrapped, silentLogger(), () => leading);
    q.write('pods.node.2', { by: 'old leader', v: 1 });
    await q.flushAll();
    const cur = await store.get('pods.node.2');
    await store.put('pods.node.2', { by: 'new leader' }, cur!.revision);

    q.write('pods.node.2', { by: 'old leader', v: 2 });
    await q.flushAll();

    expect((await store.get('pods.node.2'))?.value).toEqual({ by: 'new leader' });
  });

  it('retries a conflict after a backoff rather than in a tight loop', async () => {
    const mem = new MemoryStore();
    mem.alwaysConflict = true;
    const q = new PersistQueue(mem.asStore(), silentLogger());
    q.write('k', 'mine');
    await sleep(300);
    const putsIn300ms = mem.puts;
    // Let the write through so the queue drains and the test leaves nothing running.
    mem.alwaysConflict = false;
    await q.flushAll();
    // Backoff 40, 80, 160 ms: a handful of attempts, not hundreds.
    expect(putsIn300ms).toBeGreaterThanOrEqual(2);
    expect(putsIn300ms).toBeLessThanOrEqual(6);
    expect(mem.value).toBe('mine');
  });
});

describe('PersistQueue batching', () => {
  it('starts the writes queued by separate callbacks of one loop turn together, after it (one NATS write for all)', async () => {
    const mem = new MemoryStore();
    const started: string[] = [];
    const put = mem.put.bind(mem);
    mem.put = (key, value, expected) => (started.push(key), put(key, value, expected));
    const q = new PersistQueue(mem.asStore(), silentLogger());
    let startedWhenLastQueued: string[] = [];
    // Two callbacks of one turn (like two ACK answers read from two sockets): each queues a write.
    await new Promise<void>((resolve) => {
      setImmediate(() => q.write('pods.node.1', { v: 1 }));
      setImmediate(() => {
        startedWhenLastQueued = [...started];
        q.write('pods.node.2', { v: 2 });
        resolve();
      });
    });
    await q.flushAll();
    expect(startedWhenLastQueued).toEqual([]);
    expect([...new Set(started)].sort()).toEqual(['pods.node.1', 'pods.node.2']);
  });
});

describe('PersistQueue once its store is gone (bucket destroyed, connection closed)', () => {
  /** Whether `p` settled within `ms` (a queue retrying for ever never settles). */
  const settles = (p: Promise<unknown>, ms: number) =>
    Promise.race([p.then(() => true, () => true), sleep(ms).then(() => false)]);

  it('drops the writes in flight and queued when the bucket is destroyed under them, instead of retrying for ever', async () => {
    const nc = await connect({ servers: SHARED_NATS_URL });
    const own = await ServiceStateStore.open(nc, `t-pq-gone-${randomUUID().slice(0, 8)}`);
    try {
      const q = new PersistQueue(own, silentLogger());
      for (let i = 0; i < 300; i++) q.write(`pods.node.${i}`, { v: i });
      const outcomes = Array.from({ length: 300 }, (_, i) => q.flushed(`pods.node.${i}`).then(() => 'stored', (err: unknown) => err));
      await own.destroy();
      // A put caught mid-way by the deletion ends at its request timeout (5 s); then nothing is retried.
      expect(await settles(q.flushAll(), 12_000)).toBe(true);
      const results = await Promise.all(outcomes);
      // Some writes may have landed before the bucket went; every other one is reported not saved.
      for (const r of results) if (r !== 'stored') expect(r).toBeInstanceOf(StateNotSavedError);
      expect(results.filter((r) => r !== 'stored').length).toBeGreaterThan(0);
      // A write queued afterwards is not tried at all.
      q.write('pods.node.0', { v: 'late' });
      await expect(q.flushed('pods.node.0')).rejects.toBeInstanceOf(StateNotSavedError);
    } finally {
      await nc.close();
    }
  });

  it('drops its writes once the connection is closed', async () => {
    const service = `t-pq-closed-${randomUUID().slice(0, 8)}`;
    const nc = await connect({ servers: SHARED_NATS_URL });
    const own = await ServiceStateStore.open(nc, service);
    try {
      const q = new PersistQueue(own, silentLogger());
      q.write('pods.node.1', { v: 1 });
      await q.flushAll();
      await nc.close();
      q.write('pods.node.1', { v: 2 });
      expect(await settles(q.flushAll(), 5_000)).toBe(true);
      await expect(q.flushed('pods.node.1')).rejects.toBeInstanceOf(StateNotSavedError);
    } finally {
      // Clean up the bucket over another connection.
      await nc.close();
      const other = await connect({ servers: SHARED_NATS_URL });
      await (await ServiceStateStore.open(other, service)).destroy();
      await other.close();
    }
  });
});

describe('PersistQueue.flushed (persist before acting: wait for one write to be in KV)', () => {
  it('resolves only once the value written so far is in KV', async () => {
    const mem = new MemoryStore();
    mem.delays = [50];
    const q = new PersistQueue(mem.asStore(), silentLogger());
    q.write('framework', { count: 2 });
    let saved = false;
    const done = q.flushed('framework').then(() => (saved = true));
    await sleep(10);
    expect(saved).toBe(false);
    await done;
    expect(mem.value).toEqual({ count: 2 });
  });

  it('waits, in every flush and barrier, for writes a producer still queues in slices (deferWrites) and then for those writes', async () => {
    const mem = new MemoryStore();
    const q = new PersistQueue(mem.asStore(), silentLogger());
    q.write('framework', { count: 1 });
    let queueLater!: () => void;
    q.deferWrites(new Promise<void>((r) => (queueLater = r)).then(() => q.write('framework', { count: 2 })));
    const outcomes: string[] = [];
    const waits = [
      q.flushed('framework').then(() => outcomes.push(`flushed ${JSON.stringify(mem.value)}`)),
      q.flushedAll().then(() => outcomes.push(`flushedAll ${JSON.stringify(mem.value)}`)),
      awaitDurable(mem.asStore()).then(() => outcomes.push(`awaitDurable ${JSON.stringify(mem.value)}`)),
    ];
    await sleep(20);
    expect(mem.value).toEqual({ count: 1 });
    expect(outcomes).toEqual([]);
    queueLater();
    await Promise.all(waits);
    expect(outcomes.sort()).toEqual(['awaitDurable {"count":2}', 'flushed {"count":2}', 'flushedAll {"count":2}']);
  });

  it('rejects with StateNotSavedError (dropped) when the write is dropped because we no longer lead', async () => {
    const mem = new MemoryStore();
    mem.down = true;
    let leading = true;
    const q = new PersistQueue(mem.asStore(), silentLogger(), () => leading);
    q.write('framework', { count: 2 });
    const outcome = q.flushed('framework').then(
      () => 'saved',
      (err: unknown) => err,
    );
    await sleep(30);
    leading = false;
    mem.down = false;
    const err = await outcome;
    expect(err).toBeInstanceOf(StateNotSavedError);
    expect(err).toMatchObject({ code: 'STATE_NOT_SAVED', why: 'dropped', retryable: true, status: 503 });
    expect(mem.stored).toEqual([]);
    // Asked again after the drop, it still says so rather than waiting for ever.
    await expect(q.flushed('framework')).rejects.toBeInstanceOf(StateNotSavedError);
  });

  it('rejects with StateNotSavedError (timeout) while KV does not answer; the write still lands later', async () => {
    const mem = new MemoryStore();
    mem.down = true;
    const q = new PersistQueue(mem.asStore(), silentLogger());
    q.write('framework', { count: 2 });
    await expect(q.flushed('framework', 100)).rejects.toMatchObject({ name: 'StateNotSavedError', why: 'timeout' });
    mem.down = false;
    await q.flushed('framework');
    expect(mem.value).toEqual({ count: 2 });
  });

  it('is satisfied by a newer value of the key (writes coalesce)', async () => {
    const mem = new MemoryStore();
    mem.delays = [20];
    const q = new PersistQueue(mem.asStore(), silentLogger());
    q.write('k', 1);
    const first = q.flushed('k');
    q.write('k', 2);
    q.write('k', 3);
    await first;
    await q.flushed('k');
    expect(mem.value).toBe(3);
  });

  it('awaitDurable waits for every queue writing to the store (the supervisor and the pods)', async () => {
    const mem = new MemoryStore();
    const framework = new PersistQueue(mem.asStore(), silentLogger());
    const pods = new PersistQueue(mem.asStore(), silentLogger());
    mem.delays = [40, 0];
    framework.write('framework', { count: 2 });
    pods.write('pods.node.4', { state: 'stopping' });
    await awaitDurable(mem.asStore());
    expect(mem.stored).toEqual(expect.arrayContaining([{ count: 2 }, { state: 'stopping' }]));
    // Only the keys asked for, when given.
    mem.down = true;
    pods.write('pods.node.3', { state: 'stopping' });
    await awaitDurable(mem.asStore(), { keys: ['framework'], timeoutMs: 50 });
    await expect(awaitDurable(mem.asStore(), { timeoutMs: 50 })).rejects.toBeInstanceOf(StateNotSavedError);
    mem.down = false;
    await pods.flushAll();
  });
});
