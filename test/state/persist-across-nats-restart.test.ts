import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { PersistQueue } from '../../src/controller/persist-queue';
import { ServiceStateStore } from '../../src/state/state-store';
import { StateNotSavedError, StateUnavailableError } from '../../src/state/errors';
import { PrivateNatsServer } from '../helpers/nats-server';
import { silentLogger } from '../controller/fixtures';

/*
 * The scale-down lost after a NATS restart (test/chaos/repro): while KV does not answer, a
 * state write is not reported saved, and a write dropped by a deposed leader is reported as such.
 * Own nats-server: these tests stop it.
 */
describe('PersistQueue.flushed across a NATS restart (own nats-server)', () => {
  let nats: PrivateNatsServer;
  let nc: NatsConnection;
  let store: ServiceStateStore;

  beforeAll(async () => {
    nats = await PrivateNatsServer.start();
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    store = await ServiceStateStore.open(nc, 'pq-restart');
  }, 20_000);
  afterAll(async () => {
    await nc?.close();
    await nats?.dispose();
  });

  /** A read retried until JetStream answers again (it recovers its streams after a restart). */
  async function readOnceUp(key: string) {
    for (let tries = 0; ; tries++) {
      try {
        return await store.get(key);
      } catch (err) {
        if (!(err instanceof StateUnavailableError) || tries >= 20) throw err;
      }
    }
  }

  it('does not report a write saved while NATS is down, and reports it once it is in KV', async () => {
    const q = new PersistQueue(store, silentLogger());
    q.write('framework', { count: 5 });
    await q.flushed('framework', 5_000);

    await nats.stop();
    q.write('framework', { count: 2 });
    await expect(q.flushed('framework', 500)).rejects.toMatchObject({ name: 'StateNotSavedError', why: 'timeout' });

    await nats.launch();
    await q.flushed('framework', 15_000);
    expect((await store.get('framework'))?.value).toEqual({ count: 2 });
  }, 30_000);

  it('reports a write dropped when the lease is lost during the outage; KV keeps the last saved value', async () => {
    let leading = true;
    const q = new PersistQueue(store, silentLogger(), () => leading);
    q.write('pods.node.4', { state: 'running' });
    await q.flushed('pods.node.4', 5_000);

    await nats.stop();
    q.write('pods.node.4', { state: 'stopping' });
    const outcome = q.flushed('pods.node.4').then(
      () => 'saved',
      (err: unknown) => err,
    );
    // The write is tried (and fails) during the outage before the lease goes.
    await new Promise((r) => setTimeout(r, 200));
    leading = false;
    await nats.launch();

    const err = await outcome;
    expect(err).toBeInstanceOf(StateNotSavedError);
    expect(err).toMatchObject({ why: 'dropped' });
    expect((await readOnceUp('pods.node.4'))?.value).toEqual({ state: 'running' });
  }, 30_000);
});
