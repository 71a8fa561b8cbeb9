import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { errors } from '@nats-io/transport-node';
import { callCommand } from '../../src/api/client';
import { verbSubject } from '../../src/api/subjects';
import { CommandTimeoutError, SchedulerNotRunningError } from '../../src/api/client-errors';
import { connectNats } from '../../src/nats/connect';
import { StateUnavailableError } from '../../src/state/errors';
import { ServiceStateStore } from '../../src/state/state-store';
import { SHARED_NATS_URL } from '../helpers/nats-server';

/**
 * The scheduler's connection runs without nats.js async traces (a stack capture per request):
 * a failed request must still say what failed, with its typed NATS cause and where we awaited it.
 */
describe('NATS failures through the scheduler connection (connectNats)', () => {
  it('a KV write to a bucket gone under it names the key, keeps the NATS cause and the caller in its stack', async () => {
    const nc = await connectNats({ url: SHARED_NATS_URL, name: 'pxfw-test-traces' });
    try {
      const service = `t-traces-${randomUUID().slice(0, 8)}`;
      const store = await ServiceStateStore.open(nc, service);
      const other = await ServiceStateStore.open(nc, service);
      await other.destroy();
      async function writeAfterTheBucketWent(): Promise<unknown> {
        try {
          await store.put('pods.node.7', { v: 1 }, 0);
          return undefined;
        } catch (err) {
          return err;
        }
      }
      const err = await writeAfterTheBucketWent();
      expect(err).toBeInstanceOf(StateUnavailableError);
      expect((err as Error).message).toContain('pods.node.7');
      expect((err as Error).cause).toBeInstanceOf(Error);
      expect((err as Error).stack).toContain('writeAfterTheBucketWent');
    } finally {
      await nc.close();
    }
  });

  it('a command nobody answers or answers late comes back typed', async () => {
    const nc = await connectNats({ url: SHARED_NATS_URL, name: 'pxfw-test-traces' });
    try {
      const service = `t-traces-${randomUUID().slice(0, 8)}`;
      await expect(callCommand(nc, service, 'status', {}, { timeoutMs: 2_000 })).rejects.toBeInstanceOf(SchedulerNotRunningError);
      const silent = nc.subscribe(verbSubject(service, 'status'));
      const late = await callCommand(nc, service, 'status', {}, { timeoutMs: 200 }).catch((e: unknown) => e);
      expect(late).toBeInstanceOf(CommandTimeoutError);
      expect((late as Error).cause).toBeInstanceOf(errors.TimeoutError);
      silent.unsubscribe();
    } finally {
      await nc.close();
    }
  });
});
