/**
 * Helpers of bench/recovery.bench.ts: a private nats-server that dies with the bench, a reader of
 * the recorded Mesos calls, nearest-rank percentiles and polling waits. No process outlives the
 * bench: the nats-server is SIGKILLed from the `exit` handler even when the bench fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect } from '@nats-io/transport-node';

/** Everything to undo at exit, newest first; each step is synchronous so it also runs from `exit`. */
const cleanups: (() => void)[] = [];
let exiting = false;

export function onCleanup(fn: () => void): void {
  cleanups.unshift(fn);
}

export function cleanupNow(): void {
  while (cleanups.length > 0) {
    try {
      cleanups.shift()!();
    } catch {
      // best effort: the remaining steps still run
    }
  }
}

/** Run cleanups on every way out: normal exit, an uncaught error, Ctrl-C or a SIGTERM from bench/run.ts. */
export function installExitHandlers(stopAsync: () => Promise<void>): void {
  process.once('exit', cleanupNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      if (exiting) return;
      exiting = true;
      process.stderr.write(`recovery bench: ${sig}, stopping the sandbox\n`);
      const hard = setTimeout(() => process.exit(130), 10_000);
      hard.unref();
      void stopAsync().finally(() => process.exit(130));
    });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}

function findNatsServer(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  return dirs.filter(Boolean).map((d) => join(d, 'nats-server')).find((p) => existsSync(p));
}

/** A nats-server -js of the bench's own (nothing else's state can be on it); killed at exit. */
export async function startPrivateNats(): Promise<{ url: string; stop: () => void }> {
  const bin = findNatsServer();
  if (!bin) throw new Error("nats-server is not installed ('apt-get install nats-server')");
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), 'pxfw-bench-nats-'));
  const proc: ChildProcess = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: 'ignore' });
  const stop = () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    rmSync(store, { recursive: true, force: true });
  };
  onCleanup(stop);
  const url = `nats://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const nc = await connect({ servers: url, reconnect: false, timeout: 500 });
      await nc.close();
      return { url, stop };
    } catch {
      if (proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  stop();
  throw new Error(`nats-server did not start on ${url}`);
}

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface RecordedMesos {
  ts: string;
  api: string;
  dir: string;
  body: { type?: string; [k: string]: unknown };
}

/** Reads a growing JSONL file from where it left off (the recorder appends; lines may be partial). */
export class JsonlTail<T> {
  private offset = 0;
  private partial = '';

  constructor(private readonly path: string) {}

  read(): T[] {
    if (!existsSync(this.path)) return [];
    const size = statSync(this.path).size;
    if (size <= this.offset) return [];
    const fd = openSync(this.path, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const text = this.partial + buf.toString('utf8');
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      return lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
    } finally {
      closeSync(fd);
    }
  }
}

/** Task ids an ACCEPT call launches (LAUNCH_GROUP and LAUNCH operations). */
export function launchedTaskIds(body: RecordedMesos['body']): string[] {
  const ops = ((body.accept as { operations?: unknown[] } | undefined)?.operations ?? []) as {
    launch_group?: { task_group?: { tasks?: { task_id: { value: string } }[] } };
    launch?: { task_infos?: { task_id: { value: string } }[] };
  }[];
  return ops.flatMap((o) => [
    ...(o.launch_group?.task_group?.tasks ?? []).map((t) => t.task_id.value),
    ...(o.launch?.task_infos ?? []).map((t) => t.task_id.value),
  ]);
}

/** Nearest-rank percentile (p in 0..100) of finite samples; null when there are none. */
export function percentile(samples: number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function summary(samples: (number | null)[]): { p50_ms: number | null; p99_ms: number | null; max_ms: number | null; samples: number; missing: number } {
  const done = samples.filter((s): s is number => s !== null);
  const missing = samples.length - done.length;
  // A crash that never recovered is slower than any that did: no honest p99 exists then.
  return {
    p50_ms: percentile(done, 50),
    p99_ms: missing > 0 ? null : percentile(done, 99),
    max_ms: missing > 0 ? null : percentile(done, 100),
    samples: done.length,
    missing,
  };
}

export class WaitTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`timed out after ${ms} ms waiting until ${what}`);
  }
}

/** Poll `cond` every `everyMs` until it holds; the time it first held (Date.now()). */
export async function until(what: string, cond: () => boolean, timeoutMs: number, everyMs = 10): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (cond()) return Date.now();
    if (Date.now() > end) throw new WaitTimeoutError(what, timeoutMs);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function log(line: string): void {
  process.stderr.write(`[recovery ${new Date().toISOString().slice(11, 23)}] ${line}\n`);
}
