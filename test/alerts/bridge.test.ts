import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertBridge, AlertStreamConfigError, ensureAlertStream, subscribeAlerts, type AlertSubscription, type SdkAlert } from '../../src/alerts';
import { AlertSourceError } from '../../src/alerts/errors';
import { PortworxSimulator } from '../../src/sim/portworx';
import { freePort, PrivateNatsServer } from '../helpers/nats-server';

async function until(pred: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function eventKey(a: SdkAlert): string {
  return `${a.id}:${a.timestamp}:${a.cleared ? 'cleared' : 'open'}`;
}

// A private server: a default PORTWORX_ALERTS stream (portworx.alerts.>) that another test leaves on
// the shared server would overlap the per-test streams below, and JetStream refuses overlaps.
describe('pxfw alert-bridge relaying to JetStream', () => {
  let nats: PrivateNatsServer;
  beforeAll(async () => {
    nats = await PrivateNatsServer.start();
  });
  afterAll(async () => {
    await nats.dispose();
  });
  let sim: PortworxSimulator;
  let nc: NatsConnection;
  let stream: { name: string; subjects: string[] };
  let clusterId: string;
  const stops: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    clusterId = `br-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;
    stream = { name: `ALERTS_${clusterId.replace(/-/g, '_')}`, subjects: [`portworx.alerts.${clusterId}.>`] };
    sim = await PortworxSimulator.start({ hosts: 'h1,h2,h3', clusterId });
    nc = await connect({ servers: nats.url });
  });
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream.name).catch(() => false);
    await nc.close();
    await sim.stop();
  });

  async function subscribe(seen: { key: string; alert: SdkAlert; type: string }[]): Promise<AlertSubscription> {
    const sub = await subscribeAlerts(nc, {
      clusterId,
      durable: `test-${clusterId}`,
      stream,
      handler: (alert, d) => void seen.push({ key: d.key, alert, type: d.resourceType }),
    });
    stops.push(() => sub.stop());
    return sub;
  }

  it('publishes each alert event once, and a cleared alert again as a new event', async () => {
    const seen: { key: string; alert: SdkAlert; type: string }[] = [];
    await subscribe(seen);
    const bridge = AlertBridge.start({ portworxUrl: sim.url, nc, pollIntervalMs: 50, stream });
    stops.push(() => bridge.stop());
    sim.nodeDown('h1');
    await until(() => seen.length === 1, 'the node-offline alert');
    expect(seen[0]).toMatchObject({ type: 'node', alert: { resource: 'RESOURCE_TYPE_NODE', severity: 'SEVERITY_TYPE_ALARM' } });
    const polls = bridge.stats.polls;
    await until(() => bridge.stats.polls >= polls + 3, 'three more polls');
    expect(seen).toHaveLength(1);
    sim.nodeUp('h1');
    await until(() => seen.length === 3, 'the cleared offline alert and the online alert');
    expect(seen.map((s) => [s.alert.id, s.alert.cleared ?? false])).toEqual([
      [seen[0]!.alert.id, false],
      [seen[0]!.alert.id, true],
      [seen[2]!.alert.id, false],
    ]);
    expect(new Set(seen.map((s) => s.key)).size).toBe(3);
  });

  it('does not publish again after a restart: it remembers what the stream already holds', async () => {
    const seen: { key: string; alert: SdkAlert; type: string }[] = [];
    await subscribe(seen);
    sim.nodeDown('h2');
    const first = AlertBridge.start({ portworxUrl: sim.url, nc, pollIntervalMs: 50, stream });
    await until(() => first.stats.published >= 1, 'the first bridge to publish');
    await first.stop();
    const second = AlertBridge.start({ portworxUrl: sim.url, nc, pollIntervalMs: 50, stream });
    stops.push(() => second.stop());
    await until(() => second.stats.polls >= 3, 'the second bridge to poll');
    expect(second.stats).toMatchObject({ published: 0, duplicatesDropped: 0, pending: 0 });
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toHaveLength(1);
  });

  it('keeps retrying while the Portworx endpoint does not answer, saying why', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const bridge = AlertBridge.start({ portworxUrl: dead, nc, pollIntervalMs: 30, stream });
    stops.push(() => bridge.stop());
    await until(() => bridge.stats.polls >= 2, 'two polls');
    expect(bridge.stats.lastError).toMatch(/AlertSourceError: cannot read the cluster id/);
    await expect(bridge.pollOnce()).rejects.toBeInstanceOf(AlertSourceError);
  });
});

describe('pxfw alert-bridge across a NATS server restart', () => {
  it('delivers every alert event exactly once to a durable consumer', async () => {
    const nats = await PrivateNatsServer.start();
    const sim = await PortworxSimulator.start({ hosts: 'h1,h2,h3,h4', clusterId: 'restart-test' });
    const opts = { servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 };
    const bridgeNc = await connect(opts);
    const consumerNc = await connect(opts);
    const counts = new Map<string, number>();
    const sub = await subscribeAlerts(consumerNc, {
      clusterId: 'restart-test',
      durable: 'counter',
      handler: (alert) => void counts.set(eventKey(alert), (counts.get(eventKey(alert)) ?? 0) + 1),
    });
    const bridge = AlertBridge.start({ portworxUrl: sim.url, nc: bridgeNc, pollIntervalMs: 50, publishTimeoutMs: 1000 });
    try {
      sim.nodeDown('h1');
      await until(() => counts.size === 1, 'the first alert before the restart');

      await nats.stop();
      // Raised while NATS is down: the bridge must buffer them.
      sim.nodeUp('h1');
      sim.nodeDown('h2');
      await until(() => bridge.stats.lastError !== undefined, 'the bridge to notice NATS is gone');
      await nats.launch();

      const expected = new Set(sim.alerts().map((a) => `${a.id}:${a.timestamp.toISOString()}:${a.cleared ? 'cleared' : 'open'}`));
      await until(() => [...expected].every((k) => counts.has(k)), 'every alert event after the restart', 30_000);
      // Give a late redelivery the chance to show up.
      await new Promise((r) => setTimeout(r, 1500));
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      expect(counts.size).toBeGreaterThanOrEqual(4);
      expect(bridge.stats.pending).toBe(0);
    } finally {
      await bridge.stop();
      await sub.stop();
      await bridgeNc.close();
      await consumerNc.close();
      await sim.stop();
      await nats.dispose();
    }
  });
});

describe('the alerts stream', () => {
  it('explains, instead of failing obscurely, when another stream already takes the alert subjects', async () => {
    const nats = await PrivateNatsServer.start();
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      await ensureAlertStream(jsm);
      await expect(ensureAlertStream(jsm, { name: 'OTHER', subjects: ['portworx.alerts.x.>'] })).rejects.toThrow(AlertStreamConfigError);
      expect(await ensureAlertStream(jsm)).toBe('PORTWORX_ALERTS');
    } finally {
      await nc.close();
      await nats.dispose();
    }
  });
});
