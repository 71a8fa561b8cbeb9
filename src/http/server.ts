import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { DASHBOARD_HTML } from './dashboard';

export interface HttpSources {
  /** Healthy = subscribed to Mesos and holding the lease (Marathon restarts us otherwise). */
  health: () => { healthy: boolean; details: Record<string, unknown> };
  state: () => unknown;
  /** Live events for `/v1/events`; returns an unsubscribe function. */
  subscribe: (listener: (event: { type: string; data: unknown }) => void) => () => void;
  registry: Registry;
}

/** The scheduler's HTTP face: Marathon health check, Prometheus, JSON state, SSE and a dashboard. */
export class SchedulerHttpServer {
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(port: number, sources: HttpSources, host = '0.0.0.0'): Promise<SchedulerHttpServer> {
    const server = createServer((req, res) => {
      route(req, res, sources).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: (err as Error).message }));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return new SchedulerHttpServer(server, (server.address() as AddressInfo).port);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function route(req: IncomingMessage, res: ServerResponse, src: HttpSources): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET') return send(res, 405, { error: `method ${req.method} not allowed; use GET` });
  switch (path) {
    case '/health': {
      const h = src.health();
      return send(res, h.healthy ? 200 : 503, h);
    }
    case '/metrics': {
      const body = await src.registry.metrics();
      res.writeHead(200, { 'content-type': src.registry.contentType });
      res.end(body);
      return;
    }
    case '/v1/state':
      return send(res, 200, src.state());
    case '/v1/events':
      return streamEvents(req, res, src);
    case '/':
    case '/index.html':
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(DASHBOARD_HTML);
      return;
    default:
      return send(res, 404, { error: `no route ${path}; try /health, /metrics, /v1/state, /v1/events or /` });
  }
}

function streamEvents(req: IncomingMessage, res: ServerResponse, src: HttpSources): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.write(': pxfw events\n\n');
  const unsubscribe = src.subscribe((ev) => res.write(`event: ${ev.type}\ndata: ${JSON.stringify(ev.data)}\n\n`));
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  req.on('close', () => {
    clearInterval(keepAlive);
    unsubscribe();
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}
