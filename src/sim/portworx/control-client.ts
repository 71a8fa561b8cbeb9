import got from 'got';
import { z } from 'zod';
import { SimControlError, SimUnknownNodeError } from './errors';

const nodeSchema = z
  .object({ id: z.string(), hostname: z.string(), status: z.string(), host_down: z.boolean().optional(), stale: z.boolean().optional() })
  .loose();
const replySchema = z.object({ node: nodeSchema }).loose();
const errorSchema = z.object({ error: z.string() });

export interface NodeStateReply {
  id: string;
  hostname: string;
  status: string;
  online: boolean;
  hostDown: boolean;
  stale: boolean;
}

type Method = 'GET' | 'POST' | 'DELETE';

/** One request to a control route of the Portworx simulator; non-200 answers become errors. */
async function control(portworxUrl: string, method: Method, path: string, body?: unknown): Promise<unknown> {
  const url = `${portworxUrl.replace(/\/+$/, '')}${path}`;
  let res;
  try {
    res = await got(url, {
      method,
      ...(body === undefined ? {} : { json: body }),
      throwHttpErrors: false,
      retry: { limit: 0 },
      timeout: { request: 5000 },
    });
  } catch (err) {
    throw new SimControlError(`cannot reach the Portworx simulator at ${portworxUrl}: ${(err as Error).message}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    parsed = undefined;
  }
  if (res.statusCode !== 200) {
    const msg = errorSchema.safeParse(parsed).data?.error ?? `HTTP ${res.statusCode}`;
    if (res.statusCode === 404 && /no node/.test(msg)) throw new SimUnknownNodeError(msg);
    throw new SimControlError(res.statusCode === 404 ? `${url}: not a Portworx simulator control route (${msg})` : msg);
  }
  return parsed;
}

function nodeReply(url: string, body: unknown): NodeStateReply {
  const parsed = replySchema.safeParse(body);
  if (!parsed.success) throw new SimControlError(`${url} is not a Portworx simulator control route (unexpected reply)`);
  const n = parsed.data.node;
  const online = n.status === 'STATUS_OK' || n.status === 'STATUS_STORAGE_DOWN' || n.status === 'STATUS_NONE';
  return { id: n.id, hostname: n.hostname, status: n.status, online, hostDown: !!n.host_down, stale: !!n.stale };
}

const nodePath = (host: string, action?: string) => `/sim/v1/nodes/${encodeURIComponent(host)}${action ? `/${action}` : ''}`;

/** Take a simulated node down or bring it up through the simulator's control route. */
export async function setSimNodeState(portworxUrl: string, host: string, state: 'down' | 'up'): Promise<NodeStateReply> {
  return nodeReply(portworxUrl, await control(portworxUrl, 'POST', nodePath(host, state)));
}

/** Set a node's status (an SDK enum name such as STATUS_MAINTENANCE). */
export async function setSimNodeStatus(portworxUrl: string, host: string, status: string): Promise<NodeStateReply> {
  return nodeReply(portworxUrl, await control(portworxUrl, 'POST', nodePath(host, 'status'), { status }));
}

/** A node's current entry and every entry for its host (duplicates included). */
export async function getSimNode(portworxUrl: string, host: string): Promise<{ node: NodeStateReply; entries: NodeStateReply[] }> {
  const body = await control(portworxUrl, 'GET', nodePath(host));
  const entries = z.object({ entries: z.array(z.unknown()) }).loose().safeParse(body).data?.entries ?? [];
  return { node: nodeReply(portworxUrl, body), entries: entries.map((e) => nodeReply(portworxUrl, { node: e })) };
}

export async function flapSimNode(portworxUrl: string, host: string, periodMs: number, count: number): Promise<NodeStateReply> {
  return nodeReply(portworxUrl, await control(portworxUrl, 'POST', nodePath(host, 'flap'), { period_ms: periodMs, count }));
}

export async function addSimDuplicateNode(portworxUrl: string, host: string, status?: string): Promise<NodeStateReply> {
  const body = status === undefined ? {} : { status };
  return nodeReply(portworxUrl, await control(portworxUrl, 'POST', nodePath(host, 'duplicate'), body));
}

export async function removeSimDuplicateNode(portworxUrl: string, host: string): Promise<number> {
  const body = await control(portworxUrl, 'DELETE', nodePath(host, 'duplicate'));
  return z.object({ removed: z.number() }).loose().safeParse(body).data?.removed ?? 0;
}

/** The host died / is back (what the Mesos simulator calls when an agent crashes or reboots). */
export async function simHostEvent(portworxUrl: string, host: string, event: 'crash' | 'boot'): Promise<NodeStateReply> {
  return nodeReply(portworxUrl, await control(portworxUrl, 'POST', `/sim/v1/hosts/${encodeURIComponent(host)}/${event}`));
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
