import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { ALERT_STREAM, AlertBridge, alertDedupeKey, subscribeAlerts, type AlertDelivery, type SdkAlert } from '../../src/alerts';
import { PortworxAlreadyExistsError } from '../../src/portworx';
import type { PortworxSimulator } from '../../src/sim/portworx';
import { expectConformantRecordings } from '../conformance/recordings';
import { PrivateNatsServer } from '../helpers/nats-server';
import { startPxStack, uniqueClusterId, until, type PxStack } from './helpers/px-stack';

/** Delivery counts per alert event (its Nats-Msg-Id), as a durable consumer sees them. */
class DeliveryCounter {
  readonly counts = new Map<string, number>();
  readonly alerts: SdkAlert[] = [];
  readonly handler = (alert: SdkAlert, d: AlertDelivery): void => {
    this.counts.set(d.key, (this.counts.get(d.key) ?? 0) + 1);
    this.alerts.push(alert);
  };
  has(key: string): boolean {
    return this.counts.has(key);
  }
  duplicates(): string[] {
    return [...this.counts].filter(([, n]) => n !== 1).map(([k, n]) => `${k} ×${n}`);
  }
}

/** The event key of every alert in the simulator's current state: what a poll of the SDK shows. */
function currentKeys(sim: PortworxSimulator): string[] {
  return sim.alerts().map((a) =>
    alertDedupeKey(sim.clusterId, { id: a.id, timestamp: a.timestamp.toISOString(), ...(a.cleared ? { cleared: true } : {}) }),
  );
}

/** Messages the alerts stream holds for one cluster. */
async function storedCount(nc: NatsConnection, clusterId: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(ALERT_STREAM, { subjects_filter: `portworx.alerts.${clusterId}.>` });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}

// A private NATS server: these tests restart it, and the default PORTWORX_ALERTS stream they
// create must not overlap streams that other tests make on the shared server.
describe('the alert bridge between the Portworx simulator and JetStream', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    // Run every cleanup even if one fails, then fail with all of them.
    const errors: unknown[] = [];
    for (const c of cleanups.splice(0).reverse()) await c().catch((err: unknown) => errors.push(err));
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} cleanup step(s) failed`);
  });

  async function natsServer(): Promise<PrivateNatsServer> {
    const nats = await PrivateNatsServer.start();
    cleanups.push(() => nats.dispose());
    return nats;
  }
  async function natsConnection(url: string): Promise<NatsConnection> {
    const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    cleanups.push(() => nc.close());
    return nc;
  }
  async function stack(hosts: string, natsUrl?: string): Promise<PxStack> {
    const s = await startPxStack({ hosts, clusterId: uniqueClusterId('bridge-it'), recordSim: true, ...(natsUrl ? { natsUrl } : {}) });
    cleanups.push(() => s.stop());
    return s;
  }

  it('delivers each alert exactly once to a durable consumer across a NATS server restart', async () => {
    const nats = await natsServer();
    const { sim, client, dir, clusterId } = await stack('h1=rack-1,h2=rack-2,h3=rack-3,h4=rack-1');
    const bridgeNc = await natsConnection(nats.url);
    const consumerNc = await natsConnection(nats.url);
    const counter = new DeliveryCounter();
    const sub = await subscribeAlerts(consumerNc, { clusterId, durable: `it-${clusterId}`, handler: counter.handler });
    cleanups.push(() => sub.stop());
    const bridge = AlertBridge.start({ portworxUrl: sim.url, nc: bridgeNc, pollIntervalMs: 50, publishTimeoutMs: 1000 });
    cleanups.push(() => bridge.stop());

    // Before: a node goes down, degrading the volume that has a replica there.
    const id = await client.createVolume({ name: 'pxfw-hdfs-data-0', spec: { size: 1024 ** 3, ha_level: 3 } });
    await client.attach(id, { node: 'h2' });
    sim.nodeDown('h1');
    const before = currentKeys(sim);
    await until(() => before.every((k) => counter.has(k)), 'the alerts raised before the restart');

    // During: NATS is gone; a refused attach and another node failure raise alerts the bridge must hold.
    await nats.stop();
    await expect(client.attach(id, { node: 'h3' })).rejects.toBeInstanceOf(PortworxAlreadyExistsError);
    sim.nodeDown('h4');
    sim.nodeUp('h1');
    const during = currentKeys(sim).filter((k) => !before.includes(k));
    expect(during.length).toBeGreaterThanOrEqual(3);
    await until(() => bridge.stats.pending >= during.length && bridge.stats.lastError !== undefined, 'the bridge to buffer the alerts');
    await nats.launch();

    // After: more alerts once NATS is back.
    sim.nodeUp('h4');
    const expected = currentKeys(sim);
    await until(() => expected.every((k) => counter.has(k)), 'every alert event after the restart', 30_000);
    await until(() => bridge.stats.pending === 0, 'the bridge to drain its buffer');
    // Leave room for a late redelivery (an ack lost in the restart) to show up.
    const polls = bridge.stats.polls;
    await until(() => bridge.stats.polls >= polls + 10, 'ten more polls');
    expect(counter.duplicates()).toEqual([]);
    expect(counter.alerts.some((a) => a.resource_id === id && a.resource === 'RESOURCE_TYPE_VOLUME' && /Failed to attach/.test(a.message ?? ''))).toBe(true);
    // The stream itself keeps each event once: nothing a new consumer would see twice.
    expect(await storedCount(consumerNc, clusterId)).toBe(counter.counts.size);

    expectConformantRecordings(dir, { require: ['portworx'] });
    // The simulator's own recording holds the bridge's SDK traffic (cluster inspect, alert stream).
    const simSide = expectConformantRecordings(join(dir, 'sim'), { require: ['portworx'] });
    expect(simSide.portworxLines).toBeGreaterThan(bridge.stats.polls / 2);
  });

  it('stores and delivers each event once when the simulator publishes it directly and the bridge relays it too', async () => {
    const nats = await natsServer();
    const { sim, client, dir, clusterId } = await stack('h1,h2,h3', nats.url);
    const nc = await natsConnection(nats.url);
    const counter = new DeliveryCounter();
    // The consumer creates the stream, so the simulator's first direct publishes are kept.
    const sub = await subscribeAlerts(nc, { clusterId, durable: `both-${clusterId}`, handler: counter.handler });
    cleanups.push(() => sub.stop());
    const bridge = AlertBridge.start({ portworxUrl: sim.url, nc, pollIntervalMs: 50 });
    cleanups.push(() => bridge.stop());
    // Once its first round is over the bridge has seeded its memory from the (still empty) stream,
    // so it relays every event that follows, racing the simulator's own publish.
    await until(() => bridge.stats.polls >= 2 && bridge.stats.lastError === undefined, 'the bridge to finish its first round');

    const id = await client.createVolume({ name: 'pxfw-zk-data-0', spec: { size: 1024 ** 3, ha_level: 2 } });
    await client.attach(id, { node: 'h1' });
    sim.nodeDown('h1');
    await expect(client.attach(id, { node: 'h2' })).rejects.toBeInstanceOf(PortworxAlreadyExistsError);
    sim.nodeUp('h1');
    const expected = currentKeys(sim);
    await until(() => expected.every((k) => counter.has(k)) && bridge.stats.pending === 0, 'every alert event');
    const polls = bridge.stats.polls;
    await until(() => bridge.stats.polls >= polls + 10, 'ten more polls');

    expect(counter.duplicates()).toEqual([]);
    // Both publishers sent every event, yet the stream holds each once: JetStream dropped the
    // second copy by its Nats-Msg-Id (whichever publisher came second).
    expect(bridge.stats.published + bridge.stats.duplicatesDropped).toBeGreaterThanOrEqual(expected.length);
    expect(await storedCount(nc, clusterId)).toBe(counter.counts.size);
    expectConformantRecordings(dir, { require: ['portworx'] });
    expectConformantRecordings(join(dir, 'sim'), { require: ['portworx'] });
  });
});
