import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedCluster } from '../../src/sandbox/simulated-cluster';
import { SHARED_NATS_URL } from '../helpers/nats-server';

async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the sandbox cluster: a host crash in Mesos is a host crash in Portworx', () => {
  let nc: NatsConnection;
  let cluster: SimulatedCluster | undefined;
  beforeEach(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
  });
  afterEach(async () => {
    await cluster?.stop();
    await nc.close();
  });

  it('runs Portworx at the Mesos speed: the node is offline the scaled detection delay after the agent crashes, and back after the reboot', async () => {
    cluster = await SimulatedCluster.start({ agents: 3, racks: 3, speed: 10, nc, detectDelaySeconds: 3 });
    const { mesos, portworx } = cluster;
    expect(portworx.faultTiming.detectDelayMs).toBe(300);
    const host = mesos.agents()[0]!.hostname;
    const node = () => portworx.nodes().find((n) => n.hostname === host)!;

    const t0 = Date.now();
    mesos.crashAgent(host);
    // The host is dead at once; the cluster reports it only after the detection delay.
    expect(node()).toMatchObject({ hostDown: true, status: 'STATUS_OK' });
    await until(() => node().status === 'STATUS_OFFLINE', 'the detection');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);

    mesos.restartAgent(host, { newId: true });
    await until(() => node().status === 'STATUS_OK' && !node().hostDown, 'the reboot');
  });
});
