import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import got, { RequestError, TimeoutError, type Response } from 'got';
import { Agent as UndiciAgent } from 'undici';
import { z } from 'zod';
import { childLogger, type Logger } from '../log/logger';
import type { Recorder } from '../record/recorder';
import { stringifyJson } from '../util/lossless-json';
import { parseJsonInSlices } from '../util/sliced-json';
import { WorkBudget } from '../util/work-budget';
import { exchange, type ExchangeAnswer } from '../util/http-exchange';
import {
  PortworxConnectionError,
  PortworxError,
  PortworxProtocolError,
  PortworxTimeoutError,
  portworxErrorForCode,
  portworxErrorFromResponse,
  GrpcCode,
} from './errors';
import { JsonLineDecoder } from './json-lines';
import { streamLineSchema } from './schemas';

/**
 * Header naming the Portworx node a node-local call (attach, mount, …) is meant for.
 * Real Portworx attaches on the node that serves the SDK request, so the client reaches a node
 * by sending the request to that node's own SDK endpoint (`nodeEndpoint`). The pxfw simulator
 * serves every node on one port and reads this header instead; sending both keeps one client
 * correct against either.
 */
export const NODE_HEADER = 'x-pxfw-node';

/**
 * How long a kept-alive connection to Portworx may sit idle before this client closes it. The SDK
 * gateway (Go net/http) keeps idle connections open, the simulator 75 s: the client always closes
 * first, so it never sends a call (a volume create under load) onto a socket the server is
 * closing (ECONNRESET). A server's `Keep-Alive: timeout=N` hint shortens it: the calls (undici)
 * close 2 s before it, the alert stream's node agent 1 s before.
 */
export const PORTWORX_IDLE_TIMEOUT_MS = 30_000;

/** For the streams (alerts) got reads: node's agents. */
const AGENTS = {
  http: new HttpAgent({ keepAlive: true, timeout: PORTWORX_IDLE_TIMEOUT_MS }),
  https: new HttpsAgent({ keepAlive: true, timeout: PORTWORX_IDLE_TIMEOUT_MS }),
};

/**
 * For the calls (a create, an inspect, a lookup per volume: tens of thousands in a big deploy):
 * undici, one pool per SDK endpoint (got cost ~50 KB of garbage per call).
 */
const CALL_DISPATCHER = new UndiciAgent({ keepAliveTimeout: PORTWORX_IDLE_TIMEOUT_MS, keepAliveMaxTimeout: PORTWORX_IDLE_TIMEOUT_MS });

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface TransportOptions {
  url: string;
  legacyUrl: string;
  token: string | undefined;
  timeoutMs: number;
  retries: number;
  backoff: { baseMs: number; maxMs: number };
  recorder: Recorder | undefined;
  logger: Logger | undefined;
  nodeEndpoint: ((node: string) => string) | undefined;
}

export interface CallSpec {
  method: HttpMethod;
  /** Path below the base URL, starting with '/', query string included. */
  path: string;
  body?: unknown;
  /** Only idempotent calls are retried on retryable errors. */
  idempotent: boolean;
  /** Route to this node's endpoint and name it in the node header. */
  node?: string;
  /** Send to the legacy REST (port 9001) instead of the SDK gateway. */
  legacy?: boolean;
  /** Abort the exchange (and any retry) when this fires: the caller is stopping. */
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class SdkTransport {
  private readonly log: Logger;

  constructor(readonly opts: TransportOptions) {
    this.log = opts.logger ?? childLogger({ module: 'portworx' });
  }

  /** One SDK call: timeout per attempt, capped exponential backoff for idempotent calls. */
  async call<T>(spec: CallSpec, schema: z.ZodType<T>): Promise<T> {
    return this.withRetries(spec, async () => this.decode(spec, schema, await this.once(spec)));
  }

  /**
   * A call answered by one big list, `{ [field]: T[] }` (2,000 storage nodes are megabytes of
   * JSON): the body parsed and each item checked a slice at a time, so that the event loop turns
   * in between, with the checks and errors `call` would give.
   */
  async callList<T>(spec: CallSpec, field: string, item: z.ZodType<T>): Promise<T[]> {
    return this.withRetries(spec, async () => this.decodeList(spec, field, item, await this.once(spec)));
  }

  private async withRetries<T>(spec: CallSpec, exchange: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await exchange();
      } catch (err) {
        const retry =
          spec.idempotent && err instanceof PortworxError && err.retryable && attempt < this.opts.retries && !spec.signal?.aborted;
        if (!retry) throw err;
        const delay = Math.min(this.opts.backoff.baseMs * 2 ** attempt, this.opts.backoff.maxMs);
        this.log.warn({ method: spec.method, path: spec.path, attempt: attempt + 1, delay, err: err.message }, 'portworx call failed; retrying');
        await sleep(delay);
      }
    }
  }

  /**
   * A grpc-gateway server stream: yields the `result` of each line. An `{"error"}` line ends the
   * stream with its typed error. Aborting `signal` ends the iteration quietly (the caller asked).
   * The recorder gets the array of streamed line objects once the stream is over.
   */
  async *stream(spec: CallSpec, signal?: AbortSignal): AsyncGenerator<unknown, void, undefined> {
    const lines: unknown[] = [];
    let status = 0;
    let recorded: unknown = lines;
    const req = got.stream(this.urlFor(spec), {
      method: spec.method,
      headers: this.headers(spec),
      body: spec.body === undefined ? undefined : stringifyJson(spec.body),
      timeout: { response: this.opts.timeoutMs, socket: this.opts.timeoutMs },
      agent: AGENTS,
      retry: { limit: 0 },
      throwHttpErrors: false,
      signal,
    });
    try {
      const response = await new Promise<Response>((resolve, reject) => {
        req.once('response', resolve);
        req.once('error', reject);
      });
      status = response.statusCode;
      if (status < 200 || status >= 300) {
        recorded = await parseBody(await readAll(req));
        throw streamErrorLine(spec, status, recorded) ?? portworxErrorFromResponse(status, recorded, { method: spec.method, path: spec.path });
      }
      const decoder = new JsonLineDecoder();
      for await (const chunk of req as AsyncIterable<Buffer>) {
        for (const line of decoder.push(chunk)) yield this.streamLine(spec, line, lines);
      }
      for (const line of decoder.end()) yield this.streamLine(spec, line, lines);
    } catch (err) {
      if (signal?.aborted) return;
      if (err instanceof PortworxError) throw err;
      throw this.transportError(spec, err);
    } finally {
      req.destroy();
      this.record(spec, status, recorded);
    }
  }

  private streamLine(spec: CallSpec, line: unknown, lines: unknown[]): unknown {
    lines.push(line);
    const parsed = streamLineSchema.safeParse(line);
    if (!parsed.success) {
      throw new PortworxProtocolError(`stream line is not {result} or {error}: ${describeIssues(parsed.error)}`, {
        method: spec.method,
        path: spec.path,
        httpStatus: 200,
      });
    }
    const failure = streamErrorLine(spec, 200, line);
    if (failure) throw failure;
    return parsed.data.result ?? {};
  }

  private async once(spec: CallSpec): Promise<unknown> {
    let response: ExchangeAnswer;
    try {
      const req = { method: spec.method, url: this.urlFor(spec), headers: this.headers(spec), body: spec.body === undefined ? undefined : stringifyJson(spec.body) };
      response = await exchange(CALL_DISPATCHER, req, this.opts.timeoutMs, () => new PortworxTimeoutError(this.opts.timeoutMs, { method: spec.method, path: spec.path }), spec.signal);
    } catch (err) {
      this.record(spec, 0, null);
      throw this.transportError(spec, err);
    }
    const body = await parseBody(response.body);
    this.record(spec, response.status, body);
    if (response.status < 200 || response.status >= 300) {
      throw portworxErrorFromResponse(response.status, body, { method: spec.method, path: spec.path });
    }
    return body;
  }

  private decode<T>(spec: CallSpec, schema: z.ZodType<T>, body: unknown): T {
    if (typeof body === 'string') throw textBodyError(spec, body);
    const parsed = schema.safeParse(body ?? {});
    if (!parsed.success) throw unexpectedResponse(spec, parsed.error);
    return parsed.data;
  }

  private async decodeList<T>(spec: CallSpec, field: string, item: z.ZodType<T>, body: unknown): Promise<T[]> {
    if (typeof body === 'string') throw textBodyError(spec, body);
    // The answer's shape in one go, its items (the bulk) one by one below.
    const envelope = z.looseObject({ [field]: z.array(z.unknown()).optional() }).safeParse(body ?? {});
    if (!envelope.success) throw unexpectedResponse(spec, envelope.error);
    const list = envelope.data[field] as unknown[] | undefined;
    if (list === undefined) return [];
    const budget = new WorkBudget({ maxUnits: CHECK_SLICE_ITEMS });
    const out: T[] = new Array<T>(list.length);
    for (let i = 0; i < list.length; i++) {
      const parsed = item.safeParse(list[i]);
      if (!parsed.success) throw unexpectedResponse(spec, parsed.error, [field, i]);
      out[i] = parsed.data;
      await budget.step(1);
    }
    return out;
  }

  private transportError(spec: CallSpec, err: unknown): PortworxError {
    if (err instanceof PortworxError) return err;
    const ctx = { method: spec.method, path: spec.path, cause: err };
    if (err instanceof TimeoutError) return new PortworxTimeoutError(this.opts.timeoutMs, ctx);
    if (err instanceof RequestError) return new PortworxConnectionError(`cannot reach Portworx: ${err.code} ${err.message}`, ctx);
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return new PortworxConnectionError(`cannot reach Portworx: ${code} ${(err as Error).message}`, ctx);
    return new PortworxConnectionError(`request to Portworx failed: ${String(err)}`, ctx);
  }

  private urlFor(spec: CallSpec): string {
    let base = spec.legacy ? this.opts.legacyUrl : this.opts.url;
    if (spec.node !== undefined && this.opts.nodeEndpoint) base = this.opts.nodeEndpoint(spec.node);
    return base.replace(/\/+$/, '') + spec.path;
  }

  private headers(spec: CallSpec): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json' };
    if (spec.body !== undefined) h['content-type'] = 'application/json';
    // The SDK authenticates with `Authorization: bearer <JWT>` (OpenAPI securityScheme http/bearer).
    if (this.opts.token) h.authorization = `bearer ${this.opts.token}`;
    if (spec.node !== undefined) h[NODE_HEADER] = spec.node;
    return h;
  }

  private record(spec: CallSpec, status: number, response: unknown): void {
    this.log.debug({ method: spec.method, path: spec.path, status, node: spec.node }, 'portworx exchange');
    this.opts.recorder?.portworx({
      method: spec.method,
      path: spec.path,
      status,
      request: spec.body ?? null,
      response: response ?? null,
    });
  }
}

/**
 * The typed error of a stream's `{"error": …}` line, or undefined when `body` is not one.
 * grpc-gateway answers a stream that fails before its first message with the error's HTTP
 * status and that one line as the body (e.g. 400 with grpc_code 3), so a non-2xx stream
 * answer is read this way before the plain gateway error body.
 */
function streamErrorLine(spec: CallSpec, httpStatus: number, body: unknown): PortworxError | undefined {
  const parsed = streamLineSchema.safeParse(body);
  const error = parsed.success ? parsed.data.error : undefined;
  if (!error) return undefined;
  const code = error.grpc_code ?? error.code ?? GrpcCode.UNKNOWN;
  return portworxErrorForCode(code, error.message || 'stream error without message', {
    method: spec.method,
    path: spec.path,
    httpStatus: error.http_code ?? httpStatus,
  });
}

/** Items of a big list answer checked per slice (~1-2 ms of zod for storage nodes). */
const CHECK_SLICE_ITEMS = 200;

function textBodyError(spec: CallSpec, body: string): PortworxProtocolError {
  return new PortworxProtocolError(`expected a JSON body, got text: ${body.slice(0, 200)}`, {
    method: spec.method,
    path: spec.path,
    httpStatus: 200,
  });
}

function unexpectedResponse(spec: CallSpec, error: z.ZodError, at: PropertyKey[] = []): PortworxProtocolError {
  return new PortworxProtocolError(`unexpected response: ${describeIssues(error, at)}`, {
    method: spec.method,
    path: spec.path,
    httpStatus: 200,
    cause: error,
  });
}

/**
 * JSON when it parses, the text otherwise (legacy REST errors are text/plain), null when empty.
 * A big body (a list of 2,000 nodes) is parsed a slice at a time (sliced-json.ts).
 */
async function parseBody(text: string): Promise<unknown> {
  if (text.trim() === '') return null;
  try {
    return await parseJsonInSlices(text);
  } catch {
    // Not JSON: keep the text so the error mapping can quote it.
    return text;
  }
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

/** The first issues, each at its path (`at` first: where the checked value sits in the answer). */
export function describeIssues(error: z.ZodError, at: readonly PropertyKey[] = []): string {
  return error.issues
    .slice(0, 5)
    .map((i) => {
      const path = [...at, ...i.path].map(String);
      return `${path.length ? path.join('.') : '(root)'}: ${i.message}`;
    })
    .join('; ');
}
