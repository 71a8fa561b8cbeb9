import { Agent, createServer, request, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PxfwError } from '../../errors';
import { RecordIODecoder } from '../../mesos/recordio';
import { EventShaper, type EventFaultRates, type WireFault, type WireFaultKind } from './event-shaper';
import { Prng } from './prng';

export type { WireFault, WireFaultKind } from './event-shaper';

export class ChaosProxyListenError extends PxfwError {
  readonly code = 'CHAOS_PROXY_LISTEN';
  readonly retryable = false;
}

/** Fault rates of the proxy; every probability is per event or per call. */
export interface WireFaultRates extends EventFaultRates {
  /** Probability that a call is forwarded but its reply is lost (the connection is reset). */
  lostReply: number;
  /** Probability that a call is lost before it reaches the master (the connection is reset). */
  lostRequest: number;
  /** Call types whose replies or requests may be lost (default: every call but SUBSCRIBE). */
  callTypes?: readonly string[];
}

export const NO_FAULTS: WireFaultRates = {
  duplicateUpdate: 0,
  delayUpdate: 0,
  maxDelayMs: 0,
  cutStream: 0,
  lostReply: 0,
  lostRequest: 0,
};

export interface MesosChaosProxyOptions {
  /** The master (or simulator) base URL, e.g. http://127.0.0.1:5050. */
  target: string;
  seed: number;
  rates?: Partial<WireFaultRates>;
  host?: string;
  port?: number;
}

/** How an open event stream is cut: a reset, a clean end, or a reset in the middle of a record. */
export type CutMode = 'reset' | 'end' | 'truncate';

interface OpenStream {
  res: ServerResponse;
  upstream: { destroy(): void };
  shaper: EventShaper;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host', 'upgrade', 'proxy-connection', 'te', 'trailer']);

function forwardHeaders(h: IncomingMessage['headers']): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

/**
 * An HTTP proxy in front of a Mesos master's scheduler API that injects, from a seeded PRNG,
 * the wire faults a real network and master produce: duplicated, delayed and cross-task reordered
 * status updates, cut event streams, and calls whose reply (or the call itself) is lost. Event
 * streams are parsed and re-framed as RecordIO. Every other path (operator API, agent API,
 * simulator control) passes through untouched.
 */
export class MesosChaosProxy {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly streams = new Set<OpenStream>();
  private readonly log: WireFault[] = [];
  private readonly forced: { kind: 'lost-reply' | 'lost-request'; callType?: string }[] = [];
  private rates: WireFaultRates;
  private readonly rng: Prng;
  private readonly calls = new Map<string, number>();
  private readonly killed = new Set<string>();

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
    seed: number,
    rates: Partial<WireFaultRates>,
  ) {
    this.rng = new Prng(seed);
    this.rates = { ...NO_FAULTS, ...rates };
  }

  static async start(opts: MesosChaosProxyOptions): Promise<MesosChaosProxy> {
    const server = createServer({ keepAlive: true });
    server.keepAliveTimeout = 65_000;
    const proxy = new MesosChaosProxy(server, new URL(opts.target), opts.seed, opts.rates ?? {});
    server.on('request', (req, res) => proxy.route(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new ChaosProxyListenError(`chaos proxy cannot listen: ${err.message}`, { cause: err })));
      server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get url(): string {
    const a = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${a.port}`;
  }

  setRates(rates: Partial<WireFaultRates>): void {
    this.rates = { ...this.rates, ...rates };
  }

  currentRates(): WireFaultRates {
    return { ...this.rates };
  }

  /** The next `n` matching calls lose their reply (or, with 'lost-request', never reach the master). */
  loseNext(n: number, opts: { callType?: string; kind?: 'lost-reply' | 'lost-request' } = {}): void {
    for (let i = 0; i < n; i++) this.forced.push({ kind: opts.kind ?? 'lost-reply', ...(opts.callType ? { callType: opts.callType } : {}) });
  }

  /** Cut every open scheduler event stream now; returns how many were cut. */
  cutStreams(mode: CutMode = 'reset'): number {
    const open = [...this.streams];
    for (const s of open) this.cut(s, mode, 'on request');
    return open.length;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** Every fault injected so far, oldest first. */
  faults(): readonly WireFault[] {
    return this.log;
  }

  /** Scheduler calls seen so far, by type (a storm of KILLs or RECONCILEs shows here). */
  callCounts(): Record<string, number> {
    return Object.fromEntries(this.calls);
  }

  /** Has the scheduler sent a KILL for this task (whether or not the reply arrived)? */
  sawKill(taskId: string): boolean {
    return this.killed.has(taskId);
  }

  counts(): Record<WireFaultKind, number> {
    const c: Record<WireFaultKind, number> = { duplicate: 0, delay: 0, 'cut-stream': 0, 'lost-reply': 0, 'lost-request': 0 };
    for (const f of this.log) c[f.kind]++;
    return c;
  }

  async stop(): Promise<void> {
    for (const s of [...this.streams]) this.cut(s, 'reset', 'proxy stopping');
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.agent.destroy();
  }

  private note(kind: WireFaultKind, detail: string): void {
    this.log.push({ at: Date.now(), kind, detail });
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/api/v1/scheduler' || req.method !== 'POST') return this.passThrough(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.schedulerCall(req, res, Buffer.concat(chunks)));
    req.on('error', () => res.destroy());
  }

  private upstreamRequest(req: IncomingMessage, onResponse: (up: IncomingMessage) => void, onError: (err: Error) => void) {
    const up = request(
      {
        protocol: this.target.protocol,
        hostname: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: { ...forwardHeaders(req.headers), host: this.target.host },
        agent: this.agent,
      },
      onResponse,
    );
    up.on('error', onError);
    return up;
  }

  private passThrough(req: IncomingMessage, res: ServerResponse): void {
    const up = this.upstreamRequest(
      req,
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, forwardHeaders(upRes.headers));
        upRes.pipe(res);
        res.on('close', () => upRes.destroy());
      },
      () => res.destroy(),
    );
    req.pipe(up);
  }

  private callType(body: Buffer): string {
    const m = /"type"\s*:\s*"([A-Z_]+)"/.exec(body.toString('utf8', 0, Math.min(body.length, 256)));
    return m?.[1] ?? 'UNKNOWN';
  }

  /** Decide, for one call, whether its request or reply is lost (forced ones first, then by rate). */
  private callFate(type: string): 'ok' | 'lost-reply' | 'lost-request' {
    if (type === 'SUBSCRIBE') return 'ok';
    const i = this.forced.findIndex((f) => f.callType === undefined || f.callType === type);
    if (i >= 0) return this.forced.splice(i, 1)[0]!.kind;
    const allowed = this.rates.callTypes === undefined || this.rates.callTypes.includes(type);
    if (!allowed) return 'ok';
    if (this.rng.chance(this.rates.lostRequest)) return 'lost-request';
    if (this.rng.chance(this.rates.lostReply)) return 'lost-reply';
    return 'ok';
  }

  private schedulerCall(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const type = this.callType(body);
    this.calls.set(type, (this.calls.get(type) ?? 0) + 1);
    if (type === 'KILL') {
      const id = /"task_id"\s*:\s*\{\s*"value"\s*:\s*"([^"]+)"/.exec(body.toString('utf8'))?.[1];
      if (id) this.killed.add(id);
    }
    const fate = this.callFate(type);
    if (fate === 'lost-request') {
      this.note('lost-request', type);
      req.socket.destroy();
      return;
    }
    const up = this.upstreamRequest(
      req,
      (upRes) => {
        if (fate === 'lost-reply') {
          // The master got the call and answered; the answer never arrives.
          upRes.resume();
          upRes.on('end', () => {
            this.note('lost-reply', `${type} (master answered ${upRes.statusCode})`);
            req.socket.destroy();
          });
          return;
        }
        if (type === 'SUBSCRIBE' && upRes.statusCode === 200) return this.stream(res, upRes, up);
        res.writeHead(upRes.statusCode ?? 502, forwardHeaders(upRes.headers));
        upRes.pipe(res);
      },
      () => res.destroy(),
    );
    up.end(body);
  }

  private stream(res: ServerResponse, upRes: IncomingMessage, up: { destroy(): void }): void {
    res.writeHead(200, forwardHeaders(upRes.headers));
    res.flushHeaders();
    const decoder = new RecordIODecoder();
    // A stream cut by the shaper while it forwards one record must not write another.
    let entry: OpenStream | undefined;
    const shaper = new EventShaper(
      this.rng,
      () => this.rates,
      (framed) => res.write(framed),
      (kind, detail) => this.note(kind, detail),
      () => entry && this.cut(entry, this.rng.pick<CutMode>(['reset', 'end', 'truncate']), 'by rate'),
    );
    entry = { res, upstream: up, shaper };
    this.streams.add(entry);
    const self = entry;
    upRes.on('data', (chunk: Buffer) => {
      if (!this.streams.has(self)) return;
      let records: Uint8Array[];
      try {
        records = decoder.push(chunk);
      } catch {
        return this.cut(self, 'reset', 'bad framing from upstream');
      }
      for (const r of records) {
        if (!this.streams.has(self)) return;
        shaper.push(r);
      }
    });
    upRes.on('end', () => {
      if (!this.streams.has(self)) return;
      this.streams.delete(self);
      shaper.flush();
      shaper.close();
      res.end();
    });
    upRes.on('error', () => this.cut(self, 'reset', 'upstream error'));
    res.on('close', () => {
      if (!this.streams.has(self)) return;
      this.streams.delete(self);
      shaper.close();
      up.destroy();
    });
  }

  private cut(s: OpenStream, mode: CutMode, why: string): void {
    if (!this.streams.delete(s)) return;
    const dropped = s.shaper.close();
    if (why !== 'by rate') this.note('cut-stream', `${mode} ${why}${dropped ? ` (${dropped} held events lost)` : ''}`);
    s.upstream.destroy();
    if (mode === 'end') s.res.end();
    else if (mode === 'truncate') {
      // Half a record: a length prefix promising more bytes than ever come.
      s.res.write('128\n{"type":"HEARTB');
      setImmediate(() => s.res.destroy());
    } else s.res.destroy();
  }
}
