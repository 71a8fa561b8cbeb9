import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import { PxfwError } from '../errors';

/**
 * How long a kept-alive call connection may sit idle before this client closes it. Shorter than
 * any server we talk to keeps one (Mesos/libprocess never closes an idle connection; the
 * simulators keep them 65 s and more), so the client always closes first and never writes a call
 * onto a socket the server is closing under it (ECONNRESET). A server's `Keep-Alive: timeout=N`
 * hint shortens it further (undici closes 2 s before the hint).
 */
export const CALL_IDLE_TIMEOUT_MS = 30_000;

/** Connections per master: a burst of thousands of ACKNOWLEDGEs queues here instead. */
export const CALL_CONNECTIONS = 32;

/**
 * The scheduler's hot calls (ACKNOWLEDGE, ACCEPT, DECLINE, …) go through undici: it measured
 * about twice node:http's rate and six times got's on the same keep-alive sink
 * (bench/http-clients.bench.ts, docs/bench.md). One dispatcher for the process, one pool per origin
 * (a 307 to another master gets its own pool).
 */
const CALL_DISPATCHER: Dispatcher = new Agent({
  connections: CALL_CONNECTIONS,
  keepAliveTimeout: CALL_IDLE_TIMEOUT_MS,
  keepAliveMaxTimeout: CALL_IDLE_TIMEOUT_MS,
});

/** A call's whole exchange took longer than its timeout (got's `timeout.request` did the same). */
export class CallTimeoutError extends PxfwError {
  readonly code = 'MESOS_CALL_TIMEOUT';
  readonly retryable = true;
  constructor(readonly timeoutMs: number) {
    super(`Timeout awaiting 'request' for ${timeoutMs}ms`);
  }
}

export interface CallAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * POST one JSON call and read the whole answer, with no redirect following and no retries (the
 * caller does both). Rejects with the transport's error (connection refused, reset, timeout,
 * abort); `cause.code` keeps the socket error code callSurelyRejected reads.
 *
 * Through undici's dispatch with a handler of our own (CallHandler), not undici.request: no
 * AbortController per call for the deadline, no async resource and no body stream per answer (an
 * ACKNOWLEDGE per status update goes through here).
 */
export function postCall(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<CallAnswer> {
  return new Promise<CallAnswer>((resolve, reject) => {
    const call = new CallHandler(resolve, reject);
    if (signal?.aborted) return call.fail(signal.reason);
    call.watch(timeoutMs, signal);
    CALL_DISPATCHER.dispatch({ origin: originOf(url), path: pathOf(url), method: 'POST', headers, body }, call);
  });
}

/** One call's exchange: collects the answer, and ends it at its deadline or the caller's abort. */
class CallHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  /** Why the call was ended before it reached a socket: it is aborted as soon as it does. */
  private reason: unknown;
  private settled = false;
  private timer: NodeJS.Timeout | undefined;
  private signal: AbortSignal | undefined;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private chunks: Buffer[] = [];
  private readonly onAbort = () => this.fail(this.signal?.reason);

  constructor(
    private readonly resolve: (answer: CallAnswer) => void,
    private readonly reject: (err: unknown) => void,
  ) {}

  watch(timeoutMs: number, signal: AbortSignal | undefined): void {
    this.timer = setTimeout(() => this.fail(new CallTimeoutError(timeoutMs)), timeoutMs);
    if (signal) {
      this.signal = signal;
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  /** End the call now (deadline, caller's abort): rejects with `reason`. */
  fail(reason: unknown): void {
    if (this.settled) return;
    this.reason = reason ?? new Error('call aborted');
    this.controller?.abort(this.reason as Error);
    this.settle();
    this.reject(this.reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.reason !== undefined) controller.abort(this.reason as Error);
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.status = statusCode;
    this.headers = headers;
    this.chunks = [];
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settle();
    const body = this.chunks.length === 0 ? '' : this.chunks.length === 1 ? this.chunks[0]!.toString('utf8') : Buffer.concat(this.chunks).toString('utf8');
    this.resolve({ status: this.status, headers: this.headers, body });
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (this.settled) return;
    this.settle();
    this.reject(err);
  }

  private settle(): void {
    this.settled = true;
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

const origins = new Map<string, { origin: string; path: string }>();

/** Split once per distinct URL: the endpoint changes only on a redirect. */
function parts(url: string): { origin: string; path: string } {
  let p = origins.get(url);
  if (!p) {
    const u = new URL(url);
    p = { origin: u.origin, path: u.pathname + u.search };
    if (origins.size > 64) origins.clear();
    origins.set(url, p);
  }
  return p;
}

function originOf(url: string): string {
  return parts(url).origin;
}

function pathOf(url: string): string {
  return parts(url).path;
}
