import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Logger } from '../log/logger';

/** The lease's own NATS connection, and whether we opened it (then we close it). */
export interface LeaseConnection {
  nc: NatsConnection;
  owned: boolean;
  close(): Promise<void>;
}

/**
 * A second connection to the server the state connection uses, for the leader lease alone: state
 * writes are pipelined on the state connection, and a renewal queued behind thousands of them (a
 * 10,000-pod deploy) arrived after the lease expired. On its own socket, no amount of state writes
 * delays it. Falls back to the state connection (with a warning) when a second one cannot be made,
 * e.g. a server that wants credentials this process does not hold apart from its connection.
 */
export async function openLeaseConnection(nc: NatsConnection, logger: Logger): Promise<LeaseConnection> {
  try {
    const lease = await connect({ servers: nc.getServer(), name: 'pxfw-lease', maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: 5_000 });
    return { nc: lease, owned: true, close: () => lease.close().catch(() => undefined) };
  } catch (err) {
    logger.warn({ err }, 'cannot open a NATS connection of its own for the leader lease: renewing it on the state connection');
    return { nc, owned: false, close: async () => undefined };
  }
}
