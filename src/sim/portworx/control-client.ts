import got from 'got';
import { z } from 'zod';
import { SimControlError, SimUnknownNodeError } from './errors';

const replySchema = z.object({ node: z.object({ id: z.string(), hostname: z.string(), status: z.string() }).loose() });
const errorSchema = z.object({ error: z.string() });

export interface NodeStateReply {
  id: string;
  hostname: string;
  online: boolean;
}

/** Take a simulated node down or bring it up through the simulator's control route. */
export async function setSimNodeState(portworxUrl: string, host: string, state: 'down' | 'up'): Promise<NodeStateReply> {
  const url = `${portworxUrl.replace(/\/+$/, '')}/sim/v1/nodes/${encodeURIComponent(host)}/${state}`;
  let res;
  try {
    res = await got.post(url, { throwHttpErrors: false, retry: { limit: 0 }, timeout: { request: 5000 } });
  } catch (err) {
    throw new SimControlError(`cannot reach the Portworx simulator at ${portworxUrl}: ${(err as Error).message}`, { cause: err });
  }
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    body = undefined;
  }
  if (res.statusCode !== 200) {
    const msg = errorSchema.safeParse(body).data?.error ?? `HTTP ${res.statusCode}`;
    if (res.statusCode === 404) throw new SimUnknownNodeError(msg);
    throw new SimControlError(`${url}: ${msg}`);
  }
  const parsed = replySchema.safeParse(body);
  if (!parsed.success) throw new SimControlError(`${url} is not a Portworx simulator control route (unexpected reply)`);
  const n = parsed.data.node;
  return { id: n.id, hostname: n.hostname, online: n.status === 'STATUS_OK' };
}

const UNITS: Record<string, number> = { '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, TIB: 1024 ** 4 };

/** `100GiB`, `1TiB`, `500GB`, or a plain byte count → bytes. */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*$/i.exec(text);
  const unit = UNITS[(m?.[2] ?? '').toUpperCase()];
  if (!m || unit === undefined) throw new SimControlError(`"${text}" is not a size: use bytes or a unit such as 100GiB or 1TiB`);
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new SimControlError(`size ${text} is out of range`);
  return bytes;
}
