import { AckPolicy, jetstream, jetstreamManager, JetStreamApiError, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { childLogger } from '../log/logger';
import { ALERT_STREAM, ALERT_SUBJECT_ROOT, assertSubjectToken, sdkAlertSchema, type SdkAlert } from './alert';
import { RememberedKeys } from './remembered-keys';
import { ensureAlertStream, type AlertStreamOptions } from './stream';

const log = childLogger({ module: 'alert-subscriber' });
const CONSUMER_NOT_FOUND = 10014;

export interface AlertDelivery {
  subject: string;
  clusterId: string;
  /** The last subject token: `node`, `volume`, … */
  resourceType: string;
  /** The event's dedupe key (`Nats-Msg-Id`). */
  key: string;
  streamSequence: number;
}

export interface SubscribeAlertsOptions {
  /** Only this cluster's alerts (default: every cluster). */
  clusterId?: string;
  /** Durable consumer name (default `pxfw-alerts-<cluster-id|all>`). */
  durable?: string;
  handler: (alert: SdkAlert, delivery: AlertDelivery) => void | Promise<void>;
  stream?: AlertStreamOptions;
}

export interface AlertSubscription {
  /** Stop consuming (the durable consumer stays, so nothing is missed until the next subscribe). */
  stop(): Promise<void>;
  /** Settles when consumption ends. */
  readonly closed: Promise<void>;
}

/**
 * Consume Portworx alerts from the JetStream stream through a durable consumer. The handler runs
 * once per alert event: a redelivery of an event already handled (an ack lost in a NATS restart)
 * is acknowledged without calling it again. A handler that throws gets the event again later.
 */
export async function subscribeAlerts(nc: NatsConnection, opts: SubscribeAlertsOptions): Promise<AlertSubscription> {
  if (opts.clusterId) assertSubjectToken(opts.clusterId, 'cluster id');
  const durable = opts.durable ?? `pxfw-alerts-${opts.clusterId ?? 'all'}`;
  assertSubjectToken(durable, 'durable consumer name');
  const jsm = await jetstreamManager(nc);
  const stream = await ensureAlertStream(jsm, opts.stream ?? { name: ALERT_STREAM });
  const filter = `${ALERT_SUBJECT_ROOT}.${opts.clusterId ?? '*'}.*`;
  try {
    await jsm.consumers.info(stream, durable);
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || err.code !== CONSUMER_NOT_FOUND) throw err;
    await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: filter });
  }
  const consumer = await jetstream(nc).consumers.get(stream, durable);
  const messages = await consumer.consume({ max_messages: 100 });
  const handled = new RememberedKeys(100_000);
  const closed = (async () => {
    for await (const m of messages) await deliver(m, opts.handler, handled);
  })();
  return {
    async stop() {
      await messages.close();
      await closed;
    },
    closed,
  };
}

async function deliver(m: JsMsg, handler: SubscribeAlertsOptions['handler'], handled: RememberedKeys): Promise<void> {
  const key = m.headers?.get('Nats-Msg-Id') || `${m.subject}#${m.seq}`;
  if (handled.has(key)) {
    m.ack();
    return;
  }
  let alert: SdkAlert;
  try {
    alert = sdkAlertSchema.parse(m.json());
  } catch (err) {
    // Not an SDK alert: redelivering it cannot help, so it is terminated (and logged).
    log.error({ err, subject: m.subject, seq: m.seq }, 'message on the alerts stream is not an SDK alert; dropping it');
    m.term();
    return;
  }
  const tokens = m.subject.split('.');
  const delivery: AlertDelivery = {
    subject: m.subject,
    clusterId: tokens[2] ?? '',
    resourceType: tokens[3] ?? '',
    key,
    streamSequence: m.seq,
  };
  try {
    await handler(alert, delivery);
  } catch (err) {
    log.error({ err, key }, 'alert handler failed; the event will be delivered again');
    m.nak(1000);
    return;
  }
  handled.add(key);
  m.ack();
}
