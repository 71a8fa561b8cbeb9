import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeRecord } from '../../../src/mesos/recordio';
import { parseJson, stringifyJson } from '../../../src/util/lossless-json';

/** One request the fake master received: path, headers and the lossless-parsed JSON body. */
export interface SeenRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> & { type?: string };
}

export type Handler = (req: SeenRequest, res: ServerResponse) => void;

/**
 * A tiny programmable Mesos master on an ephemeral port, written for these tests: each request
 * is recorded and handed to `handler`. Not a simulator: tests script every answer.
 */
export class FakeMaster {
  readonly requests: SeenRequest[] = [];
  private readonly open = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    public handler: Handler,
  ) {}

  static async start(handler: Handler = (_r, res) => accepted(res)): Promise<FakeMaster> {
    let self: FakeMaster | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const seen: SeenRequest = {
          path: req.url ?? '',
          headers: req.headers,
          body: (text ? parseJson(text) : {}) as SeenRequest['body'],
        };
        self!.requests.push(seen);
        self!.open.add(res);
        res.on('close', () => self!.open.delete(res));
        self!.handler(seen, res);
      });
    });
    self = new FakeMaster(server, handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests whose call type is `type`. */
  calls(type: string): SeenRequest[] {
    return this.requests.filter((r) => r.body.type === type);
  }

  async close(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function accepted(res: ServerResponse): void {
  res.writeHead(202).end();
}

export function reply(res: ServerResponse, status: number, body = '', headers: Record<string, string> = {}): void {
  res.writeHead(status, headers).end(body);
}

/** Start a RecordIO event stream on `res` (200, chunked, optional Mesos-Stream-Id). */
export function eventStream(res: ServerResponse, streamId?: string): EventWriter {
  res.writeHead(200, {
    'content-type': 'application/json',
    ...(streamId ? { 'mesos-stream-id': streamId } : {}),
  });
  res.flushHeaders();
  return {
    send: (event: unknown) => res.write(encodeRecord(stringifyJson(event))),
    sendRaw: (text: string) => res.write(text),
    end: () => res.end(),
    destroyed: () => res.destroyed || res.writableEnded,
  };
}

export interface EventWriter {
  send(event: unknown): void;
  sendRaw(text: string): void;
  end(): void;
  destroyed(): boolean;
}

/** Resolve when `predicate` holds, polling; fail after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
