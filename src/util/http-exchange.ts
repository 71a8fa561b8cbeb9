import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/**
 * One HTTP exchange through undici's dispatch with a handler of our own, read whole: no
 * AbortController per exchange for the deadline, no async resource and no body stream per answer.
 * The scheduler's calls to Mesos (an ACKNOWLEDGE per status update) and to Portworx (a volume
 * create per pod) go through here; got's per-request options, hooks and streams cost several times
 * more CPU and garbage per exchange (bench/http-clients.bench.ts, docs/bench.md).
 */
export interface ExchangeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface ExchangeAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Send `req` and read the whole answer, with no redirect following and no retries (the caller does
 * both). Rejects with `timeoutError()` once `timeoutMs` passed, with the signal's reason when the
 * caller aborts, and otherwise with the transport's error (`code`: ECONNREFUSED, UND_ERR_SOCKET…).
 */
export function exchange(dispatcher: Dispatcher, req: ExchangeRequest, timeoutMs: number, timeoutError: () => Error, signal?: AbortSignal): Promise<ExchangeAnswer> {
  return new Promise<ExchangeAnswer>((resolve, reject) => {
    const call = new ExchangeHandler(resolve, reject);
    if (signal?.aborted) return call.fail(signal.reason);
    call.watch(timeoutMs, timeoutError, signal);
    dispatcher.dispatch({ origin: originOf(req.url), path: pathOf(req.url), method: req.method, headers: req.headers, body: req.body }, call);
  });
}

/** One exchange: collects the answer, and ends it at its deadline or the caller's abort. */
class ExchangeHandler implements Dispatcher.DispatchHandler {
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
    private readonly resolve: (answer: ExchangeAnswer) => void,
    private readonly reject: (err: unknown) => void,
  ) {}

  watch(timeoutMs: number, timeoutError: () => Error, signal: AbortSignal | undefined): void {
    this.timer = setTimeout(() => this.fail(timeoutError()), timeoutMs);
    if (signal) {
      this.signal = signal;
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  /** End the exchange now (deadline, caller's abort): rejects with `reason`. */
  fail(reason: unknown): void {
    if (this.settled) return;
    this.reason = reason ?? new Error('exchange aborted');
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
