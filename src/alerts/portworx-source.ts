import {
  PortworxClient,
  PortworxConnectionError,
  PortworxError,
  PortworxProtocolError,
  PortworxTimeoutError,
  type Alert,
} from '../portworx';
import { AlertSourceError, AlertStreamError } from './errors';
import type { SdkAlert } from './alert';

/**
 * The Portworx client the bridge reads alerts with. No retries inside the client: the bridge's
 * poll loop is the retry, and a retried alert stream would only repeat what a later poll reads.
 */
export function alertSourceClient(portworxUrl: string, timeoutMs = 10_000): PortworxClient {
  return new PortworxClient({ url: portworxUrl, timeoutMs, retries: 0 });
}

/** The id of the cluster behind an SDK endpoint (`GET /v1/clusters/inspectcurrent`). */
export async function fetchClusterId(px: PortworxClient, signal?: AbortSignal): Promise<string> {
  const url = `${px.url}/v1/clusters/inspectcurrent`;
  let id: string | undefined;
  try {
    id = (await px.inspectCluster(signal ? { signal } : {})).id;
  } catch (err) {
    throw new AlertSourceError(`cannot read the cluster id from ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!id) throw new AlertSourceError(`${url} did not answer an SdkClusterInspectCurrentResponse with a cluster id`);
  return id;
}

/**
 * Every alert the cluster stores (`POST /v1/alerts/filters` with one query per resource type,
 * a server stream the client reads to its end).
 */
export async function fetchAlerts(px: PortworxClient, signal?: AbortSignal): Promise<SdkAlert[]> {
  let alerts: Alert[];
  try {
    alerts = await px.enumerateAlerts(undefined, signal);
  } catch (err) {
    throw alertSourceFailure(px.url, err);
  }
  // The client ends an aborted stream quietly; a partial list must not be relayed as the whole.
  signal?.throwIfAborted();
  return alerts;
}

/**
 * The bridge's reading of a client failure: the SDK answered with a status (AlertStreamError,
 * retryable by its gRPC code), or there is no usable SDK there at all (AlertSourceError).
 */
function alertSourceFailure(url: string, err: unknown): Error {
  const noSdk = err instanceof PortworxConnectionError || err instanceof PortworxTimeoutError || err instanceof PortworxProtocolError;
  if (err instanceof PortworxError && !noSdk) {
    return new AlertStreamError(`${url}/v1/alerts/filters: ${err.message}`, err.grpcCode, { cause: err });
  }
  return new AlertSourceError(`Portworx SDK at ${url} is unreachable or not the SDK (${(err as Error).message})`, { cause: err });
}
