import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { describeError } from '../errors';
import { childLogger } from '../log/logger';
import { sleep } from '../util/backoff';
import { ALERT_SUBJECT_ROOT, alertDedupeKey, alertSubject, type SdkAlert } from './alert';
import { AlertPublishError } from './errors';
import type { PortworxClient } from '../portworx';
import { alertSourceClient, fetchAlerts, fetchClusterId } from './portworx-source';
import { RememberedKeys } from './remembered-keys';
import { ensureAlertStream, type AlertStreamOptions } from './stream';

const log = childLogger({ module: 'alert-bridge' });

export interface AlertBridgeOptions {
  portworxUrl: string;
  /** The client to read alerts with (e.g. one with a token); default: `alertSourceClient(portworxUrl)`. */
  portworx?: PortworxClient;
  nc: NatsConnection;
  /** How often the SDK alerts are read (default 2000 ms). */
  pollIntervalMs?: number;
  stream?: AlertStreamOptions;
  /** How many published event keys are remembered (default 100 000). */
  rememberKeys?: number;
  publishTimeoutMs?: number;
}

interface Pending {
  key: string;
  subject: string;
  payload: string;
}

export interface AlertBridgeStats {
  polls: number;
  published: number;
  duplicatesDropped: number;
  pending: number;
  lastError?: string;
}

/**
 * Relays Portworx alerts from the SDK (`POST /v1/alerts/filters`) to JetStream. Each alert event
 * (an alert's id with its timestamp and cleared state) is published once: the bridge remembers
 * what it published (seeded from the stream at start), buffers events while NATS is away, and
 * sends each with `Nats-Msg-Id` = its key so the stream drops a repeat after a lost ack.
 */
export class AlertBridge {
  private readonly js: JetStreamClient;
  private readonly published: RememberedKeys;
  private readonly px: PortworxClient;
  private queue: Pending[] = [];
  private readonly queued = new Set<string>();
  private readonly abort = new AbortController();
  private clusterId: string | undefined;
  private streamName: string | undefined;
  private loop: Promise<void> | undefined;
  readonly stats: AlertBridgeStats = { polls: 0, published: 0, duplicatesDropped: 0, pending: 0 };

  private constructor(private readonly opts: AlertBridgeOptions) {
    this.js = jetstream(opts.nc);
    this.published = new RememberedKeys(opts.rememberKeys ?? 100_000);
    this.px = opts.portworx ?? alertSourceClient(opts.portworxUrl);
  }

  /** Start relaying in the background. */
  static start(opts: AlertBridgeOptions): AlertBridge {
    const bridge = new AlertBridge(opts);
    bridge.loop = bridge.run();
    return bridge;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  /** One round: read the SDK's alerts, queue unseen events, publish what is queued. */
  async pollOnce(): Promise<void> {
    this.stats.polls += 1;
    if (!this.clusterId) {
      this.clusterId = await fetchClusterId(this.px, this.abort.signal);
      log.info({ clusterId: this.clusterId }, 'relaying alerts of Portworx cluster');
    }
    // Read Portworx first: alerts raised while NATS is away are queued even though the stream
    // cannot be prepared yet.
    const alerts = await fetchAlerts(this.px, this.abort.signal);
    for (const alert of alerts) this.enqueue(this.clusterId, alert);
    if (!this.streamName) {
      await this.prepareStream(this.clusterId);
      this.forgetPublished();
    }
    await this.drain();
  }

  /** Drop queued events the stream already holds (learnt when seeding from it). */
  private forgetPublished(): void {
    this.queue = this.queue.filter((q) => {
      if (!this.published.has(q.key)) return true;
      this.queued.delete(q.key);
      return false;
    });
    this.stats.pending = this.queue.length;
  }

  private async run(): Promise<void> {
    const interval = this.opts.pollIntervalMs ?? 2000;
    while (!this.abort.signal.aborted) {
      try {
        await this.pollOnce();
        this.stats.lastError = undefined;
      } catch (err) {
        if (this.abort.signal.aborted) break;
        this.stats.lastError = describeError(err);
        log.warn({ err, pending: this.queue.length }, 'alert relay round failed; retrying');
      }
      await sleep(interval, this.abort.signal).catch(() => undefined);
    }
  }

  private async prepareStream(clusterId: string): Promise<void> {
    const jsm = await jetstreamManager(this.opts.nc);
    const name = await ensureAlertStream(jsm, this.opts.stream);
    await this.seedFromStream(name, clusterId);
    this.streamName = name;
  }

  /** Remember the events already in the stream, so a restarted bridge does not send them again. */
  private async seedFromStream(stream: string, clusterId: string): Promise<void> {
    const jsm = await jetstreamManager(this.opts.nc);
    const filter = `${ALERT_SUBJECT_ROOT}.${clusterId}.>`;
    const info = await jsm.streams.info(stream, { subjects_filter: filter });
    const total = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
    if (total === 0) return;
    const consumer = await this.js.consumers.get(stream, { filter_subjects: filter, deliver_policy: DeliverPolicy.All });
    const messages = await consumer.consume({ max_messages: 500 });
    for await (const m of messages) {
      const key = m.headers?.get('Nats-Msg-Id');
      if (key) this.published.add(key);
      if (m.info.pending === 0) break;
    }
    await messages.close();
    log.info({ remembered: this.published.size }, 'seeded published alert events from the stream');
  }

  private enqueue(clusterId: string, alert: SdkAlert): void {
    const key = alertDedupeKey(clusterId, alert);
    if (this.published.has(key) || this.queued.has(key)) return;
    this.queue.push({ key, subject: alertSubject(clusterId, alert.resource), payload: JSON.stringify(alert) });
    this.queued.add(key);
    this.stats.pending = this.queue.length;
  }

  /** Publish queued events in order; stop at the first failure and keep the rest for later. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      let ack;
      try {
        ack = await this.js.publish(next.subject, next.payload, { msgID: next.key, timeout: this.opts.publishTimeoutMs ?? 3000 });
      } catch (err) {
        // The stream may be gone (a fresh server): make sure it exists before the next round.
        this.streamName = undefined;
        throw new AlertPublishError(`could not publish alert event ${next.key}: ${describeError(err)}`, { cause: err });
      }
      if (ack.duplicate) this.stats.duplicatesDropped += 1;
      else this.stats.published += 1;
      this.published.add(next.key);
      this.queue.shift();
      this.queued.delete(next.key);
      this.stats.pending = this.queue.length;
    }
  }
}
