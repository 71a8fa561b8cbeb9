/**
 * The limits a figure is read against, measured in the same run: the raw rate of keep-alive
 * HTTP POSTs to a local sink (node:http server, empty 202 answers), the raw pipelined NATS KV put
 * rate on a temporary bucket, and the longest event-loop stall while something runs.
 */
import { spawn } from 'node:child_process';
import { createServer, request as httpRequest, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';

export const SHARED_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** The child sink's script: the same server as the in-process one, printing its port. */
const CHILD_SINK = `
const { createServer } = require('node:http');
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(202, { 'content-length': '0' });
    res.end();
  });
});
server.keepAliveTimeout = 65000;
server.headersTimeout = 66000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
`;

export interface Sink {
  url: string;
  close(): Promise<void>;
}

/**
 * A local HTTP sink answering every POST with 202 and no body, like a master taking an ACK. In
 * this process, or (`child: true`) in a child process of its own: then the master's side of each
 * call costs this process no CPU, and a CPU-per-call figure counts the client alone.
 */
export async function startSink(opts: { child?: boolean } = {}): Promise<Sink> {
  if (opts.child) return startChildSink();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'content-length': '0' });
      res.end();
    });
  });
  // As Mesos (libprocess) does: idle connections are kept far longer than any client keeps them.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/scheduler`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function startChildSink(): Promise<Sink> {
  const child = spawn(process.execPath, ['-e', CHILD_SINK], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`sink exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}/api/v1/scheduler`,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}

/** Run `count` calls of `one`, at most `concurrency` in flight; returns calls per second. */
export async function rate(count: number, concurrency: number, one: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await one(next++);
    }),
  );
  return Math.round(count / (Number(process.hrtime.bigint() - started) / 1e9));
}

/** The raw limit of keep-alive HTTP POSTs: node:http with a keep-alive agent, nothing else. */
export async function rawPostRate(url: string, count: number, concurrency: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const body = '{"type":"ACKNOWLEDGE"}';
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(body);
    });
  await rate(200, concurrency, post);
  const result = await rate(count, concurrency, post);
  agent.destroy();
  return result;
}

/**
 * The raw pipelined KV put rate on the shared NATS: a temporary bucket (created here, deleted
 * after), `window` puts in flight, each awaited for its JetStream ack.
 */
export async function rawKvPutRate(count: number, window = 256): Promise<number> {
  const nc = await connect({ servers: SHARED_NATS_URL });
  const kvm = new Kvm(jetstream(nc));
  const bucket = `bench-limit-${randomUUID().slice(0, 8)}`;
  const kv = await kvm.create(bucket, { history: 1 });
  try {
    const value = new TextEncoder().encode(JSON.stringify({ podType: 'node', index: 1, attempt: 1, snapshot: { value: 'running', context: {} } }));
    await rate(200, window, async (i) => kv.put(`warm.${i % 100}`, value));
    return await rate(count, window, async (i) => kv.put(`pods.node.${i % 1000}`, value));
  } finally {
    await kv.destroy().catch(() => undefined);
    await nc.close();
  }
}

/** How often the CPU-stall probe looks (ms). */
const CPU_PROBE_MS = 5;

/**
 * The longest event-loop stall counted in CPU time: the process CPU (user + system) spent between
 * two turns of a short interval timer. On a machine shared with other work a wall-clock stall also
 * counts the time the process was not scheduled at all; this one counts only what the process ran
 * (all its threads: GC helpers included, so it errs high, never low).
 */
function cpuStallProbe(): { stop(): number } {
  let last = process.cpuUsage();
  let max = 0;
  const timer = setInterval(() => {
    const now = process.cpuUsage();
    max = Math.max(max, now.user - last.user + (now.system - last.system));
    last = now;
  }, CPU_PROBE_MS);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(0, Math.round(max / 1000) - CPU_PROBE_MS);
    },
  };
}

/**
 * Run `fn` and report the longest event-loop stall seen meanwhile (ms, 1 ms resolution): wall clock
 * (maxStallMs) and CPU time (maxStallCpuMs, see cpuStallProbe).
 */
export async function withStallMonitor<T>(fn: () => Promise<T>): Promise<{ value: T; maxStallMs: number; maxStallCpuMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let cpu: { stop(): number } | undefined;
  try {
    // The monitor records the gap between two of its timer ticks: until it has ticked once, a
    // block has nothing to be measured from. Let it tick (a first sample recorded) before fn runs.
    while (h.count === 0) await new Promise((r) => setTimeout(r, 1));
    cpu = cpuStallProbe();
    // (The probe's first look comes one interval after fn starts: a block at fn's start is measured.)
    const value = await fn();
    // A stall is sampled when the loop turns again: let it turn before reading.
    await new Promise((r) => setTimeout(r, 5));
    return { value, maxStallMs: Math.round(h.max / 1e6), maxStallCpuMs: cpu.stop() };
  } finally {
    cpu?.stop();
    h.disable();
  }
}
