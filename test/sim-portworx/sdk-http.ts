import got from 'got';

export interface SdkReply {
  status: number;
  body: any;
  text: string;
}

/** One raw HTTP exchange with the simulator, as any SDK REST client would make it. */
export async function call(
  base: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  node?: string,
): Promise<SdkReply> {
  const res = await got(`${base}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(node ? { 'x-pxfw-node': node } : {}) },
    throwHttpErrors: false,
    retry: { limit: 0 },
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, body: parsed, text: res.body };
}

export const GiB = 1024 ** 3;

export async function createVolume(base: string, name: string, spec: Record<string, unknown>, labels?: Record<string, string>): Promise<string> {
  const r = await call(base, 'POST', '/v1/volumes', { name, spec, ...(labels ? { labels } : {}) });
  if (r.status !== 200) throw new Error(`create ${name} failed: ${r.status} ${r.text}`);
  return r.body.volume_id as string;
}

export async function inspect(base: string, id: string): Promise<any> {
  const r = await call(base, 'GET', `/v1/volumes/inspect/${id}`);
  if (r.status !== 200) throw new Error(`inspect ${id} failed: ${r.status} ${r.text}`);
  return r.body;
}
