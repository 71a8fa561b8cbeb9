import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { PxfwError } from '../errors';
import { CONSOLE_HTML } from './console-page';
import { CONSOLE_SCRIPT } from './console-script';

/**
 * The HTTP port cannot be bound (in use, or not allowed). A startup error: a scheduler without its
 * HTTP face can never pass Marathon's health check, so it must not run on (issue 10, problem 5).
 */
export class HttpPortUnavailableError extends PxfwError {
  readonly code = 'HTTP_PORT_UNAVAILABLE';
  readonly retryable = false;
  constructor(
    readonly port: number,
    readonly errno: string,
    options?: { cause?: unknown },
  ) {
    const why = errno === 'EADDRINUSE' ? 'it is in use by another process' : errno === 'EACCES' ? 'this user may not bind it' : `the system refused (${errno})`;
    super(`cannot serve HTTP on port ${port}: ${why}; free it or choose another port with --http PORT (PXFW_HTTP_PORT)`, options);
  }
}

export interface HealthReport {
  healthy: boolean;
  details: Record<string, unknown>;
  /** One entry per dependency (mesos, portworx, lease), each with `ok`. */
  checks?: Record<string, { ok: boolean } & Record<string, unknown>>;
}

export interface HttpSources {
  /** Healthy = pxfw can act: subscribed to Mesos, Portworx reachable, leading (see docs/operations.md). */
  health: () => HealthReport | Promise<HealthReport>;
  state: () => unknown;
  /** Live events for `/v1/events`; returns an unsubscribe function. */
  subscribe: (listener: (event: { type: string; data: unknown }) => void) => () => void;
  registry: Registry;
  /** The operations console (docs/console.md): its state, its live events, the scrape-time gauges. */
  console?: ConsoleSource;
}

/** What the console page reads: `/v1/console`, and `console` / `console-event` SSE events. */
export interface ConsoleSource {
  state(): Promise<unknown>;
  /** `states`: also the whole state (`console` events) after each change; else `console-event`s only. */
  subscribe(listener: (event: { type: string; data: unknown }) => void, opts?: { states?: boolean }): () => void;
  /** Set the scrape-time gauges (called before each /metrics answer). */
  beforeScrape?(): Promise<void>;
  close?(): void;
}

export interface ListenOptions {
  host?: string;
  /** When `port` is taken, listen on a free port instead (the sandbox's default port only). */
  fallbackToFreePort?: boolean;
}

/** What answers before the scheduler is up: the port is held, every route says "starting". */
const STARTING: HealthReport = { healthy: false, details: { framework: 'starting' } };

/**
 * The scheduler's HTTP face: Marathon health check, Prometheus, JSON state, SSE and the operations console.
 * It binds its port first (`listen`), before anything else starts, so a port that cannot be bound
 * stops the process before it touches Mesos, Portworx or the state; `attach` gives it the sources.
 */
export class SchedulerHttpServer {
  private sources: HttpSources | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    /** The port asked for, when a taken default port made us fall back to `port`. */
    readonly fellBackFrom: number | undefined,
  ) {}

  static async listen(port: number, opts: ListenOptions = {}): Promise<SchedulerHttpServer> {
    const host = opts.host ?? '0.0.0.0';
    let holder: SchedulerHttpServer | undefined;
    const server = createServer((req, res) => {
      route(req, res, holder?.sources).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: (err as Error).message }));
      });
    });
    const bind = (p: number) =>
      new Promise<void>((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException) => reject(err);
        server.once('error', onError);
        server.listen(p, host, () => {
          server.off('error', onError);
          resolve();
        });
      });
    let fellBackFrom: number | undefined;
    try {
      await bind(port);
    } catch (err) {
      const errno = (err as NodeJS.ErrnoException).code ?? 'UNKNOWN';
      if (!(opts.fallbackToFreePort && port !== 0 && errno === 'EADDRINUSE')) throw new HttpPortUnavailableError(port, errno, { cause: err });
      fellBackFrom = port;
      try {
        await bind(0);
      } catch (err2) {
        throw new HttpPortUnavailableError(0, (err2 as NodeJS.ErrnoException).code ?? 'UNKNOWN', { cause: err2 });
      }
    }
    holder = new SchedulerHttpServer(server, (server.address() as AddressInfo).port, fellBackFrom);
    return holder;
  }

  /** Bind `port` and serve `sources` at once. */
  static async start(port: number, sources: HttpSources, host = '0.0.0.0'): Promise<SchedulerHttpServer> {
    const srv = await SchedulerHttpServer.listen(port, { host });
    srv.attach(sources);
    return srv;
  }

  /** The sources served now (undefined while starting). */
  get attached(): HttpSources | undefined {
    return this.sources;
  }

  attach(sources: HttpSources): void {
    if (this.sources !== sources) this.sources?.console?.close?.();
    this.sources = sources;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.sources?.console?.close?.();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function route(req: IncomingMessage, res: ServerResponse, src: HttpSources | undefined): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET') return send(res, 405, { error: `method ${req.method} not allowed; use GET` });
  if (!src) return send(res, 503, path === '/health' ? STARTING : { error: 'the scheduler is starting' });
  switch (path) {
    case '/health': {
      const h = await src.health();
      return send(res, h.healthy ? 200 : 503, h);
    }
    case '/metrics': {
      // A console that cannot read its state must not cost Prometheus the other metrics.
      await src.console?.beforeScrape?.().catch(() => undefined);
      const body = await src.registry.metrics();
      res.writeHead(200, { 'content-type': src.registry.contentType });
      res.end(body);
      return;
    }
    case '/v1/state':
      return send(res, 200, src.state());
    case '/v1/console':
      if (!src.console) return send(res, 404, { error: 'this scheduler serves no console state' });
      return send(res, 200, await src.console.state());
    case '/v1/events':
      return streamEvents(req, res, src);
    case '/':
    case '/index.html':
      return sendText(res, 'text/html; charset=utf-8', CONSOLE_HTML);
    case '/console.js':
      return sendText(res, 'text/javascript; charset=utf-8', CONSOLE_SCRIPT);
    default:
      return send(res, 404, { error: `no route ${path}; try /health, /metrics, /v1/state, /v1/console, /v1/events or /` });
  }
}

/**
 * Server-sent events: every transition and console event (`console-event`); with `?console=1`
 * also the whole console state (`console`) after each change, which is what the page renders.
 */
function streamEvents(req: IncomingMessage, res: ServerResponse, src: HttpSources): void {
  const wantsState = new URL(req.url ?? '/', 'http://x').searchParams.get('console') === '1';
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.write(': pxfw events\n\n');
  const write = (ev: { type: string; data: unknown }) => res.write(`event: ${ev.type}\ndata: ${JSON.stringify(ev.data)}\n\n`);
  const unsubscribe = [src.subscribe(write)];
  if (src.console) unsubscribe.push(src.console.subscribe(write, { states: wantsState }));
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  req.on('close', () => {
    clearInterval(keepAlive);
    for (const u of unsubscribe) u();
  });
}

function sendText(res: ServerResponse, type: string, body: string): void {
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
  res.end(body);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}
