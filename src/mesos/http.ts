import { Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import got, { type Request } from 'got';
import { childLogger, type Logger } from '../log/logger';
import type { Recorder } from '../record/recorder';
import { Backoff, DEFAULT_BACKOFF, sleep, type BackoffOptions } from '../util/backoff';
import { parseJson, stringifyJson } from '../util/lossless-json';
import type { AuthProvider } from './auth';
import {
  MesosAuthError,
  MesosBadRequestError,
  MesosConnectionError,
  MesosFrameworkNotSubscribedError,
  MesosHttpError,
  MesosNotLeaderError,
  MesosProtocolError,
  MesosUnavailableError,
  isNotSubscribedAnswer,
} from './errors';
import { CALL_CONNECTIONS, CALL_IDLE_TIMEOUT_MS, postCall } from './call-transport';
import { recordStrings } from './recordio';
import { parseJsonInSlices } from '../util/sliced-json';

/**
 * Operator calls share a bounded pool of kept-alive connections, idle ones closed before any
 * server would close them (see CALL_IDLE_TIMEOUT_MS). They stay on got: their answers
 * (GET_STATE, GET_TASKS) can be megabytes, which got asks for compressed. The scheduler's calls
 * are small and hot and go through undici (call-transport.ts).
 */
const OPERATOR_AGENTS = {
  http: new HttpAgent({ keepAlive: true, maxSockets: CALL_CONNECTIONS, timeout: CALL_IDLE_TIMEOUT_MS }),
  https: new HttpsAgent({ keepAlive: true, maxSockets: CALL_CONNECTIONS, timeout: CALL_IDLE_TIMEOUT_MS }),
};

export type MesosApi = 'scheduler' | 'operator';

const API_PATHS: Record<MesosApi, string> = { scheduler: '/api/v1/scheduler', operator: '/api/v1' };

export interface MesosHttpOptions {
  /** Base URL of any master, e.g. http://127.0.0.1:5050 (a path prefix is kept). */
  master: string;
  api: MesosApi;
  auth?: AuthProvider;
  recorder?: Recorder;
  logger?: Logger;
  /** 307 hops followed per call before giving up (default 5). */
  maxRedirects?: number;
  /** 503 answers retried per call, with backoff, before giving up (default 4). */
  unavailableRetries?: number;
  unavailableBackoff?: BackoffOptions;
  /** Timeout of a whole non-streaming exchange (default 30 s). */
  requestTimeoutMs?: number;
}

export interface ExchangeOptions {
  headers?: Record<string, string>;
  /** Cuts waits between 503 retries short (the owner stopping). */
  signal?: AbortSignal;
}

export interface MesosReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  url: string;
}

export interface MesosEventStream {
  headers: IncomingHttpHeaders;
  url: string;
  /** Each RecordIO record parsed as lossless JSON (a big one in slices), already recorded as an 'event'. */
  events: AsyncGenerator<unknown>;
  /** Stop reading and drop the connection. */
  close(): void;
}

type CallBody = { type: string };
type Raw = { status: number; headers: IncomingHttpHeaders; body: string; stream?: Request };

/**
 * POSTs Mesos v1 JSON calls to one API of the leading master. Follows 307s to the leader by
 * hand (the Location is protocol-relative) and remembers it, retries 503 with backoff,
 * refreshes a token once on 401, and records each call, event and operator response.
 */
export class MesosHttp {
  private endpoint: URL;
  private readonly log: Logger;

  constructor(private readonly opts: MesosHttpOptions) {
    const base = new URL(opts.master);
    base.pathname = base.pathname.replace(/\/+$/, '') + API_PATHS[opts.api];
    this.endpoint = base;
    this.log = opts.logger ?? childLogger({ module: 'mesos-http', api: opts.api });
  }

  /** The URL calls currently go to (the last known leader). */
  get url(): string {
    return this.endpoint.toString();
  }

  /** Send a call that gets a synchronous answer; resolves on 2xx, throws a typed error otherwise. */
  async call(body: CallBody, options: ExchangeOptions = {}): Promise<MesosReply> {
    const raw = await this.exchange(body, options, false);
    if (this.opts.api === 'operator' && raw.body.trim() !== '') {
      this.opts.recorder?.mesos('operator', 'response', this.parse(raw.body, `${body.type} response`));
    }
    return { status: raw.status, headers: raw.headers, body: raw.body, url: this.url };
  }

  /** Send a call answered by a RecordIO event stream (SUBSCRIBE). */
  async openStream(body: CallBody, options: ExchangeOptions = {}): Promise<MesosEventStream> {
    const raw = await this.exchange(body, options, true);
    const stream = raw.stream!;
    return {
      headers: raw.headers,
      url: this.url,
      events: this.events(stream),
      close: () => stream.destroy(),
    };
  }

  /** Parse a JSON body losslessly, or throw MesosProtocolError naming what it was. */
  parse(text: string, what: string): unknown {
    try {
      return parseJson(text);
    } catch (cause) {
      throw new MesosProtocolError(`${what} from ${this.url} is not JSON: ${text.slice(0, 200)}`, { cause });
    }
  }

  /**
   * `parse` a slice at a time (sliced-json.ts): an event stream's records and operator answers
   * can be megabytes (an OFFERS event or GET_AGENTS at 2,000 agents, whose nanosecond timestamps
   * send them down the lossless parser: 150-300 ms in one go) and one parse of them would hold
   * the event loop for tens to hundreds of ms.
   */
  async parseInSlices(text: string, what: string): Promise<unknown> {
    try {
      return await parseJsonInSlices(text);
    } catch (cause) {
      throw new MesosProtocolError(`${what} from ${this.url} is not JSON: ${text.slice(0, 200)}`, { cause });
    }
  }

  private async *events(stream: Request): AsyncGenerator<unknown> {
    for await (const text of recordStrings(stream)) {
      const event = await this.parseInSlices(text, 'event');
      this.opts.recorder?.mesos(this.opts.api, 'event', event);
      yield event;
    }
  }

  private async exchange(body: CallBody, options: ExchangeOptions, stream: boolean): Promise<Raw> {
    const { headers: extra = {}, signal } = options;
    const text = callText(body);
    this.opts.recorder?.mesos(this.opts.api, 'call', body);
    const maxRedirects = this.opts.maxRedirects ?? 5;
    const maxUnavailable = this.opts.unavailableRetries ?? 4;
    const backoff = new Backoff(this.opts.unavailableBackoff ?? DEFAULT_BACKOFF);
    let redirects = 0;
    let authRetried = false;
    for (;;) {
      const url = this.endpoint.toString();
      const headers = await this.headers(extra);
      const raw = stream ? await this.sendStream(url, text, headers, signal) : await this.send(url, text, headers, signal);
      if (raw.status >= 200 && raw.status < 300) return raw;
      raw.stream?.destroy();
      if (raw.status === 307) {
        this.followRedirect(raw, url, ++redirects, maxRedirects);
        continue;
      }
      if (raw.status === 503 && backoff.attempt < maxUnavailable && !signal?.aborted) {
        const wait = backoff.next();
        this.log.warn({ url, wait, attempt: backoff.attempt, call: body.type }, 'Mesos master unavailable (503); retrying');
        await sleep(wait, signal);
        continue;
      }
      if (raw.status === 401 && this.opts.auth?.refreshable && !authRetried) {
        authRetried = true;
        this.opts.auth.invalidate();
        continue;
      }
      throw this.statusError(raw, url, body.type);
    }
  }

  private followRedirect(raw: Raw, from: string, hops: number, max: number): void {
    const location = raw.headers.location;
    if (!location) throw new MesosNotLeaderError(`Mesos master ${from} answered 307 without a Location header`);
    if (hops > max) {
      throw new MesosNotLeaderError(`gave up after ${max} redirects without reaching a leading master (last: ${location})`);
    }
    // Mesos writes `//host:port/path`; resolving against the current URL keeps our scheme.
    const next = new URL(location, from);
    if (next.pathname === '/' || next.pathname === '') next.pathname = API_PATHS[this.opts.api];
    this.log.info({ from, to: next.toString() }, 'following redirect to the leading Mesos master');
    this.endpoint = next;
  }

  private statusError(raw: Raw, url: string, callType: string): Error {
    if (isNotSubscribedAnswer(raw.status, raw.body)) return new MesosFrameworkNotSubscribedError(raw.status, raw.body, callType);
    switch (raw.status) {
      case 400:
        return new MesosBadRequestError(raw.body, callType);
      case 401:
      case 403:
        return new MesosAuthError(raw.status, raw.body);
      case 503:
        return new MesosUnavailableError(raw.body, url);
      default:
        return new MesosHttpError(raw.status, raw.body, url);
    }
  }

  private async headers(extra: Record<string, string>): Promise<Record<string, string>> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...extra,
    };
    if (this.opts.auth) headers.authorization = await this.opts.auth.header();
    return headers;
  }

  private async send(url: string, body: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Raw> {
    const timeoutMs = this.opts.requestTimeoutMs ?? 30_000;
    if (this.opts.api === 'scheduler') {
      try {
        return await postCall(url, body, headers, timeoutMs, signal);
      } catch (cause) {
        throw new MesosConnectionError(url, { cause });
      }
    }
    try {
      const res = await got.post(url, {
        body,
        headers,
        agent: OPERATOR_AGENTS,
        followRedirect: false,
        throwHttpErrors: false,
        retry: { limit: 0 },
        timeout: { request: timeoutMs },
        signal,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (cause) {
      throw new MesosConnectionError(url, { cause });
    }
  }

  private async sendStream(
    url: string,
    body: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Raw> {
    const stream = got.stream.post(url, {
      body,
      headers,
      followRedirect: false,
      throwHttpErrors: false,
      retry: { limit: 0 },
      // No overall timeout: the stream lives for hours. Heartbeats watch it instead.
      timeout: { connect: 10_000, response: this.opts.requestTimeoutMs ?? 30_000 },
      signal,
    });
    const response = await new Promise<{ statusCode: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
      stream.once('response', resolve);
      stream.once('error', (cause: unknown) => reject(new MesosConnectionError(url, { cause })));
    });
    if (response.statusCode >= 200 && response.statusCode < 300) {
      return { status: response.statusCode, headers: response.headers, body: '', stream };
    }
    const text = await readAll(stream).catch((cause: unknown) => {
      throw new MesosConnectionError(url, { cause });
    });
    return { status: response.statusCode, headers: response.headers, body: text };
  }
}

/**
 * A call as JSON text: the native serializer, unless the call holds a bigint (an int64 beyond 2^53
 * read from Mesos), which only the lossless one writes (as a bare number). The two write the same
 * text for everything else; the native one is several times faster (an ACKNOWLEDGE per update).
 */
export function callText(body: unknown): string {
  try {
    return JSON.stringify(body);
  } catch (err) {
    if (err instanceof TypeError) return stringifyJson(body);
    throw err;
  }
}

async function readAll(stream: Request): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}
