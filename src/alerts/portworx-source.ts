import got, { RequestError } from 'got';
import { z } from 'zod';
import { AlertSourceError, AlertStreamError } from './errors';
import { sdkAlertSchema, type SdkAlert } from './alert';

/** Every resource type: the bridge relays all alerts the cluster keeps. */
const ALL_RESOURCES = ['RESOURCE_TYPE_VOLUME', 'RESOURCE_TYPE_NODE', 'RESOURCE_TYPE_CLUSTER', 'RESOURCE_TYPE_DRIVE', 'RESOURCE_TYPE_POOL'];

const streamLineSchema = z.union([
  z.object({ result: z.object({ alerts: z.array(sdkAlertSchema).optional() }) }),
  z.object({
    error: z.object({ grpc_code: z.number().optional(), http_code: z.number().optional(), message: z.string().optional() }).loose(),
  }),
]);
const clusterSchema = z.object({ cluster: z.object({ id: z.string().min(1) }).loose() });
const gatewayErrorSchema = z.object({ code: z.number().optional(), message: z.string().optional() }).loose();

async function post(url: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<{ status: number; text: string }> {
  try {
    const res = await got.post(url, {
      json: body,
      throwHttpErrors: false,
      retry: { limit: 0 },
      timeout: { request: timeoutMs },
      signal,
    });
    return { status: res.statusCode, text: res.body };
  } catch (err) {
    const reason = err instanceof RequestError ? `${err.code}: ${err.message}` : (err as Error).message;
    throw new AlertSourceError(`Portworx SDK at ${url} is unreachable (${reason})`, { cause: err });
  }
}

/** The id of the cluster behind an SDK endpoint (`GET /v1/clusters/inspectcurrent`). */
export async function fetchClusterId(baseUrl: string, timeoutMs = 5000, signal?: AbortSignal): Promise<string> {
  const url = `${baseUrl}/v1/clusters/inspectcurrent`;
  let text: string;
  try {
    const res = await got(url, { throwHttpErrors: true, retry: { limit: 0 }, timeout: { request: timeoutMs }, signal });
    text = res.body;
  } catch (err) {
    throw new AlertSourceError(`cannot read the cluster id from ${url}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = clusterSchema.safeParse(safeJson(text));
  if (!parsed.success) throw new AlertSourceError(`${url} did not answer an SdkClusterInspectCurrentResponse: ${text.slice(0, 200)}`);
  return parsed.data.cluster.id;
}

/**
 * Every alert the cluster stores (`POST /v1/alerts/filters`, a server stream of
 * newline-separated `{"result"}` / `{"error"}` objects that ends when the RPC returns).
 */
export async function fetchAlerts(baseUrl: string, timeoutMs = 10_000, signal?: AbortSignal): Promise<SdkAlert[]> {
  const url = `${baseUrl}/v1/alerts/filters`;
  const res = await post(url, { queries: ALL_RESOURCES.map((r) => ({ resource_type_query: { resource_type: r } })) }, timeoutMs, signal);
  const lines = res.text.split('\n').filter((l) => l.trim() !== '');
  if (res.status !== 200 && lines.length === 0) throw new AlertStreamError(`${url} answered HTTP ${res.status}`, undefined);
  const alerts: SdkAlert[] = [];
  for (const [i, line] of lines.entries()) {
    const json = safeJson(line);
    const parsed = streamLineSchema.safeParse(json);
    if (!parsed.success) {
      const gw = gatewayErrorSchema.safeParse(json);
      if (res.status !== 200 && gw.success) {
        throw new AlertStreamError(`${url}: ${gw.data.message ?? `HTTP ${res.status}`}`, gw.data.code);
      }
      const where = parsed.error.issues.map((x) => `${x.path.join('.') || '(line)'}: ${x.message}`).join('; ');
      throw new AlertSourceError(`${url} line ${i + 1} is not an alerts stream message (${where})`);
    }
    if ('error' in parsed.data) {
      throw new AlertStreamError(`${url}: ${parsed.data.error.message ?? 'stream error'}`, parsed.data.error.grpc_code);
    }
    alerts.push(...(parsed.data.result.alerts ?? []));
  }
  return alerts;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
