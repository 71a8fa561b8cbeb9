import { PortworxError, PortworxProtocolError } from './errors';
import { describeIssues, type SdkTransport } from './http';
import { alertQueriesInput, validateInput, type AlertQueryInput } from './inputs';
import { responses } from './schemas';
import { RESOURCE_TYPES, type Alert } from './types';

const PATH = '/v1/alerts/filters';

/**
 * The SDK refuses an empty query list ("Must provide at least one query"); "all alerts" is one
 * resource-type query per resource type, OR-ed by the server.
 */
export const ALL_ALERTS: AlertQueryInput[] = RESOURCE_TYPES.filter((r) => r !== 'RESOURCE_TYPE_NONE').map(
  (resource_type) => ({ resource_type_query: { resource_type } }),
);

export interface StreamAlertsOptions {
  signal?: AbortSignal;
  /** SdkAlertsQuery list; default: every resource type. */
  filters?: AlertQueryInput[];
}

/**
 * Alerts from OpenStorageAlerts.EnumerateWithFilters, a server stream: each line is
 * `{"result": {"alerts": [...]}}`; an `{"error": …}` line ends it with that error.
 * Not retried (a retry would repeat alerts already yielded); enumerateAlerts retries whole.
 */
export async function* streamAlerts(t: SdkTransport, opts: StreamAlertsOptions = {}): AsyncGenerator<Alert, void, undefined> {
  const queries = validateInput(alertQueriesInput, opts.filters ?? ALL_ALERTS, 'alert filters');
  const spec = { method: 'POST' as const, path: PATH, body: { queries }, idempotent: false };
  for await (const result of t.stream(spec, opts.signal)) {
    const parsed = responses.alertsResult.safeParse(result);
    if (!parsed.success) {
      throw new PortworxProtocolError(`unexpected alert stream result: ${describeIssues(parsed.error)}`, {
        method: 'POST',
        path: PATH,
        httpStatus: 200,
        cause: parsed.error,
      });
    }
    yield* parsed.data;
  }
}

/** Collect the whole alert stream; retried as a whole on retryable errors (it only reads). */
export async function enumerateAlerts(
  t: SdkTransport,
  filters?: AlertQueryInput[],
  signal?: AbortSignal,
): Promise<Alert[]> {
  const { retries, backoff } = t.opts;
  for (let attempt = 0; ; attempt++) {
    try {
      const out: Alert[] = [];
      for await (const alert of streamAlerts(t, { ...(filters ? { filters } : {}), ...(signal ? { signal } : {}) })) {
        out.push(alert);
      }
      return out;
    } catch (err) {
      if (!(err instanceof PortworxError && err.retryable && attempt < retries) || signal?.aborted) throw err;
      await new Promise((r) => setTimeout(r, Math.min(backoff.baseMs * 2 ** attempt, backoff.maxMs)));
    }
  }
}
