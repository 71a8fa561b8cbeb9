import { headers, type NatsConnection } from '@nats-io/transport-node';
import { alertDedupeKey, alertSubject, type SdkAlert } from '../../alerts/alert';
import { childLogger } from '../../log/logger';
import { connectNats, natsSettingsFromEnv } from '../../nats/connect';
import type { SimAlert } from './model/types';
import { renderAlert } from './wire/render';

const log = childLogger({ module: 'sim-portworx-alerts' });

/**
 * Publishes every alert change on `portworx.alerts.<cluster-id>.<resource-type>` with the
 * alert-bridge's dedupe key as `Nats-Msg-Id`, so a JetStream stream on those subjects keeps each
 * event once even if the bridge relays the same alert too.
 */
export class AlertPublisher {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly clusterId: string,
    private readonly ownsConnection: boolean,
  ) {}

  static async connect(url: string, clusterId: string): Promise<AlertPublisher> {
    const nc = await connectNats({ ...natsSettingsFromEnv(process.env, url), name: 'pxfw-sim-portworx' });
    return new AlertPublisher(nc, clusterId, true);
  }

  static over(nc: NatsConnection, clusterId: string): AlertPublisher {
    return new AlertPublisher(nc, clusterId, false);
  }

  publish(alert: SimAlert): void {
    const json = renderAlert(alert) as SdkAlert;
    const h = headers();
    h.set('Nats-Msg-Id', alertDedupeKey(this.clusterId, json));
    try {
      // While disconnected the client buffers and sends on reconnect.
      this.nc.publish(alertSubject(this.clusterId, json.resource), JSON.stringify(json), { headers: h });
    } catch (err) {
      // A closed connection cannot publish; the alert stays queryable on /v1/alerts/filters.
      log.error({ err, alertId: alert.id }, 'could not publish alert on NATS');
    }
  }

  async close(): Promise<void> {
    if (!this.ownsConnection) return;
    await this.nc.drain();
  }
}
