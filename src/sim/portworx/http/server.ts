import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PxfwError } from '../../../errors';
import { childLogger } from '../../../log/logger';
import type { Recorder } from '../../../record/recorder';
import { LegacyApiError, SdkStatusError, SimControlError, SimUnknownNodeError, invalidArgument, unavailable } from '../errors';
import { httpStatusFromCode, httpStatusText } from '../grpc-status';
import type { ClusterModel } from '../model/cluster';
import { answers } from '../model/node-status';
import type { SimNode } from '../model/types';
import { Router, type Route, type RouteContext, type RouteKind, type RouteResult } from './router';

const log = childLogger({ module: 'sim-portworx-http' });

/** Header naming the node whose SDK endpoint a request stands for (hostname or node id). */
export const SERVING_NODE_HEADER = 'x-pxfw-node';
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/**
 * Idle keep-alive connections are kept this long. The real SDK gateway is Go net/http
 * (grpc-gateway), which by default never closes an idle connection; node's default (5 s) equals
 * node's client idle timeout, so under load a client wrote volume creates onto sockets this
 * server was closing (ECONNRESET, then retries). Longer than every pxfw client's idle timeout.
 */
export const SIM_KEEP_ALIVE_TIMEOUT_MS = 75_000;

interface Reply {
  status: number;
  contentType: string;
  text: string;
  /** What the recorder keeps as the response. */
  recorded: unknown;
}

/** The simulator's one HTTP port: SDK gateway routes, the legacy group snapshot, control routes. */
export class SimHttpServer {
  private readonly router: Router;

  private constructor(
    private readonly server: Server,
    private readonly model: ClusterModel,
    routes: Route[],
    private readonly recorder: Recorder | undefined,
  ) {
    this.router = new Router(routes);
  }

  static async listen(
    model: ClusterModel,
    routes: Route[],
    opts: { port: number; host: string; recorder?: Recorder },
  ): Promise<SimHttpServer> {
    const server = createServer({ keepAlive: true });
    server.keepAliveTimeout = SIM_KEEP_ALIVE_TIMEOUT_MS;
    // Must exceed keepAliveTimeout, or node cuts a kept-alive connection waiting for its next request.
    server.headersTimeout = SIM_KEEP_ALIVE_TIMEOUT_MS + 1_000;
    const sim = new SimHttpServer(server, model, routes, opts.recorder);
    server.on('request', (req, res) => sim.onRequest(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return sim;
  }

  /** How long this server keeps an idle connection open (ms). */
  get keepAliveTimeoutMs(): number {
    return this.server.keepAliveTimeout;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    readBody(req)
      .then((raw) => this.respond(req, res, raw))
      .catch((err: unknown) => {
        log.error({ err }, 'request failed before it could be answered');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
  }

  private respond(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const match = this.router.match(method, url.pathname);
    const kind: RouteKind = url.pathname.startsWith('/sim/') ? 'sim' : 'sdk';
    let reply: Reply;
    let requestJson: unknown = null;
    if (!match || match === 'methodMismatch') {
      const err = match
        ? new SdkStatusError('Unimplemented', 'Method Not Allowed')
        : new SdkStatusError('NotFound', 'Not Found');
      reply = errorReply(kind, err, false);
    } else {
      const route = match.route;
      try {
        requestJson = parseJsonBody(raw);
        const ctx = this.context(req, match.params, url.searchParams, requestJson, route.kind);
        reply = successReply(route.handle(ctx));
      } catch (err) {
        reply = errorReply(route.kind, err, route.pattern === '/v1/alerts/filters');
      }
    }
    res.writeHead(reply.status, { 'content-type': reply.contentType });
    res.end(reply.text);
    const recordKind = match && match !== 'methodMismatch' ? match.route.kind : kind;
    if (this.recorder && recordKind !== 'sim') {
      const path = url.pathname + url.search;
      this.recorder.portworx({ method, path, status: reply.status, request: requestJson, response: reply.recorded });
    }
  }

  private context(
    req: IncomingMessage,
    params: Record<string, string>,
    query: URLSearchParams,
    body: unknown,
    kind: RouteKind,
  ): RouteContext {
    const header = req.headers[SERVING_NODE_HEADER];
    const ref = Array.isArray(header) ? header[0] : header;
    // A request to a node whose Portworx is down fails as the real endpoint would not answer.
    const node = kind === 'sim' ? undefined : this.servingNode(ref);
    return {
      req,
      params,
      query,
      body,
      get node(): SimNode {
        if (!node) throw unavailable('no serving node for a simulator control request');
        return node;
      },
    };
  }

  private servingNode(ref: string | undefined): SimNode {
    if (ref) {
      const node = this.model.findNode(ref);
      if (!node) throw unavailable(`no Portworx node "${ref}" in cluster ${this.model.clusterId}`);
      // A stale entry's node id runs nowhere any more (the host answers under its current id).
      if (node.stale) throw unavailable(`node ${node.id} is a stale entry of host ${node.hostname}`);
      if (node.hostDown) throw unavailable(`host ${node.hostname} does not answer`);
      if (!answers(node)) throw unavailable(`Portworx on node ${node.hostname} is offline`);
      return node;
    }
    for (const n of this.model.nodes.values()) if (!n.stale && answers(n)) return n;
    throw unavailable(`no Portworx node of cluster ${this.model.clusterId} is online`);
  }
}

function parseJsonBody(raw: string): unknown {
  if (raw.trim() === '') return null;
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw invalidArgument(`request body is not JSON: ${(err as Error).message}`);
  }
}

function successReply(result: RouteResult): Reply {
  if (result.kind === 'stream') {
    return {
      status: 200,
      contentType: 'application/json',
      text: result.lines.map((l) => JSON.stringify(l)).join('\n') + '\n',
      recorded: result.lines,
    };
  }
  return { status: result.status, contentType: 'application/json', text: JSON.stringify(result.body), recorded: result.body };
}

/** Render a failure the way each API does: gateway error body, Go http.Error text, or sim JSON. */
function errorReply(kind: RouteKind, err: unknown, streaming: boolean): Reply {
  if (kind === 'sim') {
    const status = err instanceof SimUnknownNodeError ? 404 : err instanceof PxfwError ? 400 : 500;
    if (status === 500) log.error({ err }, 'simulator control request failed');
    const body = { error: err instanceof Error ? err.message : String(err) };
    return { status, contentType: 'application/json', text: JSON.stringify(body), recorded: body };
  }
  const sdkErr = toSdkError(err);
  if (kind === 'legacy') {
    const status = err instanceof LegacyApiError ? err.httpStatus : sdkErr.httpStatus;
    const message = err instanceof LegacyApiError ? err.message : sdkErr.message;
    return { status, contentType: 'text/plain; charset=utf-8', text: `${message}\n`, recorded: message };
  }
  const code = sdkErr.grpcCode;
  const status = httpStatusFromCode(code);
  if (streaming) {
    // grpc-gateway v1 writes a stream failure as an `{"error": StreamError}` chunk.
    const body = {
      error: { grpc_code: code, http_code: status, message: sdkErr.message, http_status: httpStatusText(status), details: [] },
    };
    return { status, contentType: 'application/json', text: JSON.stringify(body) + '\n', recorded: [body] };
  }
  const body = { error: sdkErr.message, code, message: sdkErr.message, details: [] };
  return { status, contentType: 'application/json', text: JSON.stringify(body), recorded: body };
}

function toSdkError(err: unknown): SdkStatusError {
  if (err instanceof SdkStatusError) return err;
  if (err instanceof LegacyApiError || err instanceof SimControlError || err instanceof SimUnknownNodeError) {
    return new SdkStatusError('InvalidArgument', err.message, { cause: err });
  }
  log.error({ err }, 'unexpected failure in a simulated SDK call');
  const message = err instanceof Error ? err.message : String(err);
  return new SdkStatusError('Internal', message, { cause: err });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.byteLength;
    if (size > MAX_BODY_BYTES) throw new Error(`request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

