import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { ServiceStateStore } from '../../src/state/state-store';
import { LeaderLease } from '../../src/state/leader-lease';
import { LeaseHeldError, StateConflictError } from '../../src/state/errors';
import { SHARED_NATS_URL } from '../helpers/nats-server';

describe('service state in JetStream KV', () => {
  let nc: NatsConnection;
  let store: ServiceStateStore;

  beforeAll(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
    store = await ServiceStateStore.open(nc, `t-${randomUUID().slice(0, 8)}`);
  });
  afterAll(async () => {
    await store.destroy();
    await nc.close();
  });

  it('creates a key only when it does not exist yet', async () => {
    const rev = await store.put('framework', { id: 'fw-1' }, 0);
    expect(rev).toBeGreaterThan(0);
    await expect(store.put('framework', { id: 'fw-2' }, 0)).rejects.toBeInstanceOf(StateConflictError);
    expect((await store.get('framework'))?.value).toEqual({ id: 'fw-1' });
  });

  it('rejects a write based on a stale revision', async () => {
    const first = await store.put('pods.node.0', { state: 'pending' }, 0);
    await store.put('pods.node.0', { state: 'running' }, first);
    await expect(store.put('pods.node.0', { state: 'failed' }, first)).rejects.toBeInstanceOf(StateConflictError);
    expect((await store.get('pods.node.0'))?.value).toEqual({ state: 'running' });
  });

  it('modify retries until its compare-and-set wins', async () => {
    await Promise.all(Array.from({ length: 5 }, () => store.modify<number>('counter', (n) => (n ?? 0) + 1)));
    expect((await store.get<number>('counter'))?.value).toBe(5);
  });

  it('lists live keys under a prefix and forgets deleted ones', async () => {
    await store.put('pods.node.1', { state: 'pending' }, 0);
    await store.delete('pods.node.1');
    expect(await store.keys('pods.')).toEqual(['pods.node.0']);
    // A deleted key can be created again from scratch.
    await store.put('pods.node.1', { state: 'pending' }, 0);
    expect(await store.keys('pods.')).toEqual(['pods.node.0', 'pods.node.1']);
  });

  it('readAll reads every live key under a prefix with its value and revision (more than one batch), leaving out deleted keys and other prefixes', async () => {
    const own = await ServiceStateStore.open(nc, `t-ra-${randomUUID().slice(0, 8)}`);
    try {
      expect((await own.readAll('pods.')).size).toBe(0);
      await Promise.all(Array.from({ length: 250 }, (_, i) => own.put(`pods.node.${i}`, { index: i }, 0)));
      const rev7 = await own.put('pods.node.7', { index: 7, again: true }, (await own.get('pods.node.7'))!.revision);
      await own.delete('pods.node.3');
      await own.delete('pods.node.200');
      await own.put('framework', { other: true }, 0);
      const all = await own.readAll<{ index: number }>('pods.');
      expect(all.size).toBe(248);
      expect(all.has('pods.node.3') || all.has('pods.node.200') || all.has('framework')).toBe(false);
      expect(all.get('pods.node.7')).toEqual({ value: { index: 7, again: true }, revision: rev7 });
      for (const i of [0, 99, 100, 249]) expect(all.get(`pods.node.${i}`)).toEqual(await own.get(`pods.node.${i}`));
      expect([...(await own.readAll('')).keys()].sort()).toEqual([...all.keys(), 'framework'].sort());
    } finally {
      await own.destroy();
    }
  });

  it('a second scheduler instance waits while the leader lease is held, and takes it after expiry', async () => {
    let now = 1_000;
    const a = new LeaderLease(store, { holder: 'a', ttlMs: 100, now: () => now });
    const b = new LeaderLease(store, { holder: 'b', ttlMs: 100, now: () => now });
    await a.acquire();
    await expect(b.acquire()).rejects.toBeInstanceOf(LeaseHeldError);
    await a.renew();
    now += 150;
    await b.acquire();
    await expect(a.renew()).rejects.toBeInstanceOf(LeaseHeldError);
    await b.release();
    await a.acquire();
  });
});
