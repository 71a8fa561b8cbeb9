/**
 * The processes of bench/deploy.bench.ts: `pxfw sim mesos`, `pxfw sim portworx` and `pxfw run`,
 * each a child of the bench as an operator would start them, with their logs in a work
 * directory. Every child is SIGKILLed from the `exit` handler if it is still alive, and the
 * temporary directory removed: no run leaves anything behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SCHEDULER_MEM_MB, heapCapMb } from '../src/packaging';
import type { ProbeReport } from './deploy-probe';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PXFW = join(ROOT, 'bin', 'pxfw.mjs');
const PROBE = join(ROOT, 'bench', 'deploy-probe.ts');

const alive = new Set<ChildProcess>();
const cleanups: (() => void)[] = [];
process.once('exit', () => {
  for (const p of alive) p.kill('SIGKILL');
  for (const fn of cleanups.splice(0)) fn();
});

export function log(line: string): void {
  process.stderr.write(`[deploy ${new Date().toISOString().slice(11, 23)}] ${line}\n`);
}

export function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pxfw-bench-deploy-'));
  if (process.env.BENCH_DEPLOY_KEEP !== '1') cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}

function track(proc: ChildProcess, what: string, logFile: string): ChildProcess {
  alive.add(proc);
  proc.once('exit', () => alive.delete(proc));
  const out = createWriteStream(logFile, { flags: 'a' });
  proc.stderr?.pipe(out, { end: false });
  proc.once('error', (err) => log(`${what}: ${err.message}`));
  return proc;
}

/** CPU seconds a child process used so far (user + system, from /proc; null where there is none). */
export function cpuSecondsOf(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of proc(5) (utime, stime), counted after the command name.
    return Math.round(((Number(fields[11]) + Number(fields[12])) / 100) * 10) / 10;
  } catch {
    return null;
  }
}

/** Stop a child: SIGTERM, then SIGKILL after `graceMs`; resolves to its exit code (or signal). */
export function stopChild(proc: ChildProcess, graceMs = 10_000): Promise<number | string> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode ?? proc.signalCode ?? 'exited');
  return new Promise((resolve) => {
    const hard = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', (code, sig) => {
      clearTimeout(hard);
      resolve(code ?? sig ?? 'exited');
    });
    proc.kill('SIGTERM');
  });
}

/**
 * The simulators' nice value (BENCH_DEPLOY_SIM_NICE, default 0: equal to the scheduler). They
 * stand in for 2,000 agents and 2,000 storage nodes, machines of their own on a real cluster;
 * here they share the scheduler's 2 cores, and its event loop waits in the run queue behind them
 * (the probe's `stall_parts` shows how long). Not lowered by default: at nice 10 a parallel deploy
 * starved the Mesos simulator (its heartbeats came late, the scheduler subscribed again, 90 calls
 * failed), which is not what a real master does. Set by `nice` before node starts, so that every
 * thread of the simulator (V8's, libuv's) has it.
 */
export function simNice(): number {
  const n = Number(process.env.BENCH_DEPLOY_SIM_NICE ?? 0);
  if (!Number.isInteger(n) || n < 0 || n > 19) throw new Error('BENCH_DEPLOY_SIM_NICE must be an integer from 0 to 19');
  return n;
}

/** A `pxfw sim …` child started with `--json`: resolves with the URL its first line names. */
export async function startSim(kind: 'mesos' | 'portworx', args: string[], logFile: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = track(
    // BENCH_DEPLOY_SIM_NODE_ARGS: node flags for the simulators (e.g. --cpu-prof --cpu-prof-dir=DIR).
    spawn(simNice() > 0 ? 'nice' : process.execPath, [...(simNice() > 0 ? ['-n', String(simNice()), process.execPath] : []), ...(process.env.BENCH_DEPLOY_SIM_NODE_ARGS ?? '').split(' ').filter(Boolean), PXFW, 'sim', kind, ...args, '--json'], {
      env: { ...process.env, PXFW_LOG_LEVEL: process.env.PXFW_LOG_LEVEL ?? 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
    `sim ${kind}`,
    logFile,
  );
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout! });
    lines.once('line', (line) => {
      try {
        resolve((JSON.parse(line) as { url: string }).url);
      } catch {
        reject(new Error(`sim ${kind} printed '${line}', not its URL`));
      }
    });
    proc.once('exit', (code, sig) => reject(new Error(`sim ${kind} exited while starting (${code ?? sig}); see ${logFile}`)));
  });
  return { proc, url };
}

export interface SchedulerLogCounts {
  /** Log lines at warn or above, by message. */
  byMessage: Map<string, number>;
  leaseLosses: number;
  timeouts: number;
  retries: number;
}

/**
 * `pxfw run` as its own process (what Marathon runs), with the probe loaded beside it. Its log
 * (pino JSON on stdout, warn and above) is kept and counted line by line.
 */
export function startScheduler(args: string[], env: NodeJS.ProcessEnv, logFile: string, onProbe: (r: ProbeReport) => void): { proc: ChildProcess; counts: SchedulerLogCounts } {
  const proc = track(
    spawn(process.execPath, [...nodeArgs(dirname(logFile)), '--import', 'tsx', '--import', PROBE, PXFW, 'run', ...args], {
      env: { ...process.env, PXFW_LOG_LEVEL: process.env.BENCH_DEPLOY_LOG_LEVEL ?? 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    }),
    'pxfw run',
    logFile,
  );
  const counts: SchedulerLogCounts = { byMessage: new Map(), leaseLosses: 0, timeouts: 0, retries: 0 };
  const out = createWriteStream(logFile, { flags: 'a' });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    out.write(`${line}\n`);
    countLine(counts, line);
  });
  const probes = createWriteStream(join(dirname(logFile), 'probe.jsonl'), { flags: 'a' });
  proc.on('message', (m: ProbeReport) => {
    if (m.type !== 'probe') return;
    probes.write(`${JSON.stringify(m)}\n`);
    onProbe(m);
  });
  return { proc, counts };
}

/**
 * The scheduler's memory (MiB) as its Marathon app would have it: BENCH_DEPLOY_MEM_MB, else the
 * package default (`service.mem`, 512); 0 runs it uncapped (V8's own heap sizing). The bench gives
 * node the heap cap the package's command derives from it (heapCapMb) and reports peak RSS beside it.
 */
export function schedulerMemMb(): number | null {
  const raw = process.env.BENCH_DEPLOY_MEM_MB;
  const n = raw === undefined || raw === '' ? DEFAULT_SCHEDULER_MEM_MB : Number(raw);
  if (!(n >= 0)) throw new Error('BENCH_DEPLOY_MEM_MB must be a number of MiB (0: no cap)');
  return n === 0 ? null : n;
}

/**
 * Extra node flags for the scheduler only: --expose-gc (for the probe's last report); the heap
 * cap of its memory (schedulerMemMb); BENCH_DEPLOY_CPU_PROF=1 writes a CPU profile into the
 * work directory; BENCH_DEPLOY_SCHEDULER_NODE_ARGS adds any (e.g. --heapsnapshot-signal=SIGUSR2,
 * or a --max-old-space-size of its own, which wins: it comes last).
 */
function nodeArgs(dir: string): string[] {
  const extra = (process.env.BENCH_DEPLOY_SCHEDULER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const mem = schedulerMemMb();
  return [
    // --expose-gc: the probe's last report collects first (heap retained at the end, not garbage).
    '--expose-gc',
    ...(mem !== null ? [`--max-old-space-size=${heapCapMb(mem)}`] : []),
    ...(process.env.BENCH_DEPLOY_CPU_PROF === '1' ? ['--cpu-prof', '--cpu-prof-dir', dir] : []),
    ...extra,
  ];
}

function countLine(counts: SchedulerLogCounts, line: string): void {
  let rec: { level?: number; msg?: string };
  try {
    rec = JSON.parse(line) as typeof rec;
  } catch {
    return;
  }
  if ((rec.level ?? 0) < 40) return;
  const msg = rec.msg ?? '(no message)';
  counts.byMessage.set(msg, (counts.byMessage.get(msg) ?? 0) + 1);
  if (/leader lease/i.test(msg) && /lost|not renewed|standing down/i.test(msg)) counts.leaseLosses++;
  if (/timed? ?out|timeout/i.test(line)) counts.timeouts++;
  if (/retr(y|ies|ying)/i.test(msg)) counts.retries++;
}
