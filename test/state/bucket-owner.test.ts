import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { bucketExists, claimServiceState, destroyOwnSandboxState, OWNER_KEY, type BucketOwner } from '../../src/state/bucket-owner';
import { StateOwnershipError } from '../../src/state/errors';
import { ServiceStateStore } from '../../src/state/state-store';
import { SHARED_NATS_URL } from '../helpers/nats-server';

/** Each test uses its own service names on the shared server and removes only what it made. */
describe('state bucket ownership: pxfw never uses or deletes state it did not create', () => {
  let nc: NatsConnection;
  const made: string[] = [];
  const name = (tag: string) => {
    const n = `own-${tag}-${randomUUID().slice(0, 6)}`;
    made.push(n);
    return n;
  };

  beforeAll(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
  });
  afterAll(async () => {
    for (const n of made) if (await bucketExists(nc, n)) await (await ServiceStateStore.open(nc, n)).destroy();
    await nc.close();
  });

  it('a scheduler creates the bucket with an owner record and opens it again on restart', async () => {
    const svc = name('sched');
    const first = await claimServiceState(nc, svc, { kind: 'scheduler' });
    expect(first.created).toBe(true);
    expect(first.owner).toMatchObject({ service: svc, kind: 'scheduler' });
    const again = await claimServiceState(nc, svc, { kind: 'scheduler' });
    expect(again.created).toBe(false);
    expect(again.owner).toEqual(first.owner);
  });

  it('a scheduler refuses a bucket whose owner record names another service, and leaves it as it was', async () => {
    const svc = name('other');
    const store = await ServiceStateStore.open(nc, svc);
    const foreign: BucketOwner = { service: 'kafka', kind: 'scheduler', createdAt: '2026-01-01T00:00:00.000Z', createdBy: 'h/1' };
    await store.put(OWNER_KEY, foreign, 0);
    const rev = await store.put('framework', { frameworkId: 'fw-kafka' }, 0);
    const err = await claimServiceState(nc, svc, { kind: 'scheduler' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateOwnershipError);
    expect((err as Error).message).toMatch(new RegExp(`^state bucket pxfw-${svc} belongs to service 'kafka'.*nats kv rm pxfw-${svc}\\)$`));
    expect((await store.get('framework'))).toEqual({ value: { frameworkId: 'fw-kafka' }, revision: rev });
  });

  it('a scheduler refuses a bucket a sandbox made (a sandbox state cannot drive a real service)', async () => {
    const svc = name('sbx');
    await claimServiceState(nc, svc, { kind: 'sandbox', sandbox: 'sb123456' });
    await expect(claimServiceState(nc, svc, { kind: 'scheduler' })).rejects.toThrow(/was made by pxfw sandbox sb123456 .*not by a scheduler/);
  });

  it('a sandbox refuses any bucket that exists and is not its own, and deletes only its own', async () => {
    const svc = name('real');
    await claimServiceState(nc, svc, { kind: 'scheduler' });
    await expect(claimServiceState(nc, svc, { kind: 'sandbox', sandbox: 'sbaaaaaa' })).rejects.toBeInstanceOf(StateOwnershipError);
    expect(await destroyOwnSandboxState(nc, svc, 'sbaaaaaa')).toBe(false);
    expect(await bucketExists(nc, svc)).toBe(true);

    const mine = name('mine');
    const claimed = await claimServiceState(nc, mine, { kind: 'sandbox', sandbox: 'sbbbbbbb' });
    expect(claimed.created).toBe(true);
    await expect(claimServiceState(nc, mine, { kind: 'sandbox', sandbox: 'sbcccccc' })).rejects.toThrow(/made by pxfw sandbox sbbbbbbb/);
    expect(await destroyOwnSandboxState(nc, mine, 'sbcccccc')).toBe(false);
    expect(await destroyOwnSandboxState(nc, mine, 'sbbbbbbb')).toBe(true);
    expect(await bucketExists(nc, mine)).toBe(false);
  });

  it('a bucket from before owner records is adopted by its own service and refused when its tasks name another', async () => {
    const legacy = name('legacy');
    const store = await ServiceStateStore.open(nc, legacy);
    await store.put('pods.node.0', { snapshot: { context: { task: { taskId: `${legacy}__node-0__1` } } } }, 0);
    const adopted = await claimServiceState(nc, legacy, { kind: 'scheduler' });
    expect(adopted).toMatchObject({ created: false, owner: { service: legacy, kind: 'scheduler' } });

    const wrong = name('wrong');
    const other = await ServiceStateStore.open(nc, wrong);
    await other.put('pods.node.0', { snapshot: { context: { task: { taskId: 'cassandra__node-0__3-0a1b2c3d' } } } }, 0);
    await expect(claimServiceState(nc, wrong, { kind: 'scheduler' })).rejects.toThrow(`state bucket pxfw-${wrong} holds tasks of service 'cassandra'`);
    expect(await other.get(OWNER_KEY)).toBeUndefined();
    // A sandbox never adopts a bucket without an owner record.
    await expect(claimServiceState(nc, wrong, { kind: 'sandbox', sandbox: 'sbdddddd' })).rejects.toThrow(/has no owner record/);
    expect(await other.get(OWNER_KEY)).toBeUndefined();
  });
});

describe('a leader lease on a bucket that was replaced underneath', () => {
  it('refuses to take the lease again when the owner record changed (the state is someone else’s now)', async () => {
    const { LeaderLease } = await import('../../src/state/leader-lease');
    const nc = await connect({ servers: SHARED_NATS_URL });
    const svc = `own-repl-${randomUUID().slice(0, 6)}`;
    try {
      const { store } = await claimServiceState(nc, svc, { kind: 'scheduler' });
      const lease = new LeaderLease(store, { holder: 'a', ttlMs: 10_000 });
      await lease.acquire();
      await lease.release();
      await lease.acquire();
      // Someone deletes the bucket and a sandbox makes its own under the same name.
      await store.destroy();
      await claimServiceState(nc, svc, { kind: 'sandbox', sandbox: 'sbeeeeee' });
      const again = new LeaderLease(await ServiceStateStore.open(nc, svc), { holder: 'a', ttlMs: 10_000 });
      await expect(again.acquire()).resolves.toBeUndefined(); // a new process has no memory of the old bucket
      const err = await lease.acquire().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StateOwnershipError);
      expect((err as Error).message).toMatch(new RegExp(`^state bucket pxfw-${svc} was replaced while this scheduler ran .*"kind":"sandbox"`));
    } finally {
      if (await bucketExists(nc, svc)) await (await ServiceStateStore.open(nc, svc)).destroy();
      await nc.close();
    }
  });
});
