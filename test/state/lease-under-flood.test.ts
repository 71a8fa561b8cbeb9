import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { PersistQueue } from '../../src/controller/persist-queue';
import { LeaseLeadership } from '../../src/controller/ports/leadership';
import { LeaderLease, LEASE_KEY, type LeaseRecord } from '../../src/state/leader-lease';
import { openLeaseConnection, type LeaseConnection } from '../../src/state/lease-connection';
import { ServiceStateStore } from '../../src/state/state-store';
import { PrivateNatsServer } from '../helpers/nats-server';
import { silentLogger } from '../controller/fixtures';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The leader lease under a flood of state writes: a 10,000-pod deploy queues thousands of puts on
 * the state connection. The lease renews on its own connection, so it keeps the lease.
 */
describe('a lease holder under a write flood keeps its lease', () => {
  let server: PrivateNatsServer;
  let nc: NatsConnection;
  let lease: LeaseConnection;

  beforeAll(async () => {
    // Its own server: the flood must not slow the engineers' shared NATS.
    server = await PrivateNatsServer.start();
    nc = await connect({ servers: server.url });
    lease = await openLeaseConnection(nc, silentLogger());
  });
  afterAll(async () => {
    await lease?.close();
    await nc?.close();
    await server?.dispose();
  });

  it('renews a short lease on its own connection while 8,000 state writes go through the persist queue', async () => {
    expect(lease.owned).toBe(true);
    const store = await ServiceStateStore.open(nc, 'flood');
    const leaseStore = await ServiceStateStore.open(lease.nc, 'flood');
    let lost = 0;
    const ttlMs = 1_500;
    const leadership = new LeaseLeadership(new LeaderLease(leaseStore, { holder: 'me', ttlMs }), ttlMs, silentLogger(), () => void (lost += 1));
    expect((await leadership.acquire()).acquired).toBe(true);

    // The pod records of a 8,000-pod burst through the real write path (persist queue, pipelined).
    const queue = new PersistQueue(store, silentLogger());
    const value = { pad: 'x'.repeat(2_000) };
    for (let batch = 0; batch < 16; batch++) {
      // Queued in batches with a yield between them: what is measured is the connection, not a blocked loop.
      for (let i = 0; i < 500; i++) queue.write(`pods.node.${batch * 500 + i}`, value);
      await sleep(0);
    }
    await queue.flushedAll();
    await sleep(ttlMs);
    leadership.stepDown();
    expect(lost).toBe(0);
    expect((await leaseStore.get<LeaseRecord>(LEASE_KEY))?.value.holder).toBe('me');
    expect((await store.keys('pods.')).length).toBe(8_000);
  }, 120_000);
});
