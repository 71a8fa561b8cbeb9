import { parseJson } from '../../util/lossless-json';
import { SimControlError } from './errors';

/**
 * Client side of the `/sim/v1/…` control endpoint (used by `pxfw sim agent …`): one POST,
 * the JSON answer on success, a SimControlError with the server's one-line reason otherwise.
 */
export async function simControl(baseUrl: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<unknown> {
  let url: URL;
  try {
    url = new URL(path, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  } catch (cause) {
    throw new SimControlError(`invalid Mesos simulator URL '${baseUrl}'`, undefined, false, { cause });
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? '' : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (cause) {
    const reason = cause instanceof Error && cause.cause instanceof Error ? cause.cause.message : String(cause);
    throw new SimControlError(`cannot reach the Mesos simulator at ${url.origin}: ${reason}`, undefined, true, { cause });
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? {} : parseJson(text);
  } catch (cause) {
    throw new SimControlError(`${url.origin} answered ${res.status} with a non-JSON body; is it a Mesos simulator?`, res.status, false, { cause });
  }
  if (!res.ok) {
    const message = (json as { error?: { message?: unknown } }).error?.message;
    const detail = typeof message === 'string' ? message : `HTTP ${res.status}`;
    throw new SimControlError(detail, res.status, res.status >= 500);
  }
  return json;
}

export type CheckAction = 'unready' | 'ready' | 'unhealthy' | 'healthy';

/** `pxfw sim task ACTION --pod POD`: the pod's next tasks fail that check (sticky), or pass again. */
export async function simPodCheck(baseUrl: string, pod: string, action: CheckAction, opts: { hang?: boolean } = {}): Promise<{ pod: string; rule: Record<string, string>; tasks: string[] }> {
  const body = opts.hang === true ? { hang: true } : undefined;
  return (await simControl(baseUrl, `sim/v1/pods/${encodeURIComponent(pod)}/${action}`, body)) as { pod: string; rule: Record<string, string>; tasks: string[] };
}
