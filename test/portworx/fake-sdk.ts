import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake server received. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export type Handler = (req: SeenRequest, res: ServerResponse) => void | Promise<void>;

/**
 * A scripted HTTP server on an ephemeral loopback port, standing in for the Portworx SDK
 * gateway (or legacy REST) in client tests. Routes are "METHOD /path"; unmatched requests get
 * the gateway's 404 body.
 */
export class FakeSdk {
  readonly seen: SeenRequest[] = [];
  private readonly routes = new Map<string, Handler>();
  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const seen: SeenRequest = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: text ? (JSON.parse(text) as unknown) : null,
        };
        this.seen.push(seen);
        const handler = this.routes.get(`${seen.method} ${seen.path}`);
        if (!handler) {
          sendJson(res, 404, { error: 'Not Found', code: 5, message: 'Not Found' });
          return;
        }
        void Promise.resolve(handler(seen, res)).catch((err: unknown) => {
          sendJson(res, 500, { error: String(err), code: 13, message: String(err) });
        });
      });
    });
  }

  static async start(): Promise<FakeSdk> {
    const fake = new FakeSdk();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  on(route: string, handler: Handler): this {
    this.routes.set(route, handler);
    return this;
  }

  /** Reply with a fixed JSON body. */
  reply(route: string, status: number, body: unknown): this {
    return this.on(route, (_req, res) => sendJson(res, status, body));
  }

  /** Reply from a list, one entry per request; the last one repeats. */
  sequence(route: string, replies: { status: number; body: unknown }[]): this {
    let i = 0;
    return this.on(route, (_req, res) => {
      const r = replies[Math.min(i++, replies.length - 1)]!;
      sendJson(res, r.status, r.body);
    });
  }

  count(route: string): number {
    return this.seen.filter((s) => `${s.method} ${s.path}` === route).length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A gateway error body for a gRPC code, with the HTTP status grpc-gateway maps it to. */
export function grpcError(code: number, message: string): { status: number; body: unknown } {
  const status: Record<number, number> = {
    3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 412, 10: 409, 12: 501, 13: 500, 14: 503, 16: 401,
  };
  return { status: status[code] ?? 500, body: { error: message, code, message, details: [] } };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
