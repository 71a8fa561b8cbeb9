import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { AlertBridge } from '../../src/alerts';
import { PortworxSimulator } from '../../src/sim/portworx';
import { PrivateNatsServer } from '../helpers/nats-server';

async function until(pred: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('pxfw alert-bridge while NATS is away', () => {
  it('keeps reading Portworx and queues every alert raised during the outage, not only the first round', async () => {
    const nats = await PrivateNatsServer.start();
    const clusterId = `out-${Date.now().toString(36)}`;
    const sim = await PortworxSimulator.start({ hosts: 'h1,h2,h3', clusterId });
    const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const stream = { name: `ALERTS_${clusterId.replace(/-/g, '_')}`, subjects: [`portworx.alerts.${clusterId}.>`] };
    const bridge = AlertBridge.start({ portworxUrl: sim.url, nc, pollIntervalMs: 50, publishTimeoutMs: 300, stream });
    try {
      await until(() => bridge.stats.polls >= 2 && bridge.stats.lastError === undefined, 'a first clean round');
      await nats.stop();
      sim.nodeDown('h1');
      // A round fails on publishing; from then on the stream must be prepared again.
      await until(() => bridge.stats.lastError !== undefined && bridge.stats.pending >= 1, 'the first failed round');
      const afterFirstFailure = bridge.stats.pending;
      sim.nodeDown('h2');
      await until(() => bridge.stats.pending > afterFirstFailure, 'the alert raised after the first failed round to be queued', 10_000);
      await nats.launch();
      await until(() => bridge.stats.pending === 0, 'the queue to drain once NATS is back', 20_000);
      expect(bridge.stats.published).toBeGreaterThanOrEqual(2);
    } finally {
      await bridge.stop();
      await nc.close().catch(() => undefined);
      await sim.stop();
      await nats.dispose();
    }
  }, 60_000);
});
