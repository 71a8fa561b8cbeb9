/**
 * Loaded with `--import` into the scheduler process of bench/deploy.bench.ts (`pxfw run`
 * unchanged): it watches the event loop (perf_hooks.monitorEventLoopDelay, 1 ms resolution) and
 * the process's peak RSS, and reports both to the bench over the IPC channel once a second.
 * The bench sends `reset` once the scheduler serves HTTP (the module loading before that is not
 * the deploy's). It never touches the scheduler: it only reads the process's own figures.
 */
import { openSync, readSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { constants as perfConstants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

/** A CPU profile of this process for `ms`, written to `file` (the bench's BENCH_DEPLOY_PROFILE_S). */
function profile(ms: number, file: string, started: () => void): void {
  logGaps = true;
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () =>
    session.post('Profiler.start', () => {
      // Starting the profiler holds the loop for 0.2-0.6 s at this heap: not the scheduler's stall.
      started();
      setTimeout(() => {
        session.post('Profiler.stop', (err, res) => {
          if (!err) writeFileSync(file, JSON.stringify(res.profile));
          // The gaps over 50 ms while it ran, on the profile's clock (µs, CLOCK_MONOTONIC): bench/stall-stacks.ts reads both.
          writeFileSync(`${file}.gaps.json`, JSON.stringify(gapLog.splice(0)));
          session.disconnect();
        });
      }, ms).unref();
    }),
  );
}

/**
 * A sampling heap profile of this process for `ms`, written to `file` (BENCH_DEPLOY_HEAP_PROFILE_S):
 * where the allocations came from, garbage included (objects the minor and major GCs collected),
 * so it shows what makes the collector work, not what stays live.
 */
function heapProfile(ms: number, file: string): void {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.enable', () =>
    session.post(
      'HeapProfiler.startSampling',
      { samplingInterval: 64 * 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as object,
      () => {
        setTimeout(() => {
          session.post('HeapProfiler.stopSampling', (err, res) => {
            if (!err) writeFileSync(file, JSON.stringify(res.profile));
            session.disconnect();
          });
        }, ms).unref();
      },
    ),
  );
}

export interface ProbeReport {
  type: 'probe';
  /** Longest event-loop delay since the last reset (ms). */
  maxStallMs: number;
  /** Longest delay within the last window (ms): where in the run the stalls were. */
  windowMaxStallMs: number;
  /** The 99th percentile of the event loop's delays since the last reset (ms). */
  p99StallMs: number;
  /** Peak resident set size of the process so far (bytes; getrusage ru_maxrss). */
  peakRssBytes: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Heap used right after a full GC (a `report` with `gc` and node --expose-gc): what the process retains. */
  heapAfterGcBytes?: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  /**
   * Event-loop gaps over 50 ms split by the kernel's account of the main thread
   * (/proc/self/task/<pid>/schedstat): time it ran on a CPU (our task, GC pauses included)
   * and time it sat runnable in the run queue (another process had the core). Absent off Linux.
   */
  gaps?: GapFigures;
  /** The longest GC pause of each kind (PerformanceObserver 'gc', ms) and their count. */
  gcMaxMs: Record<string, number>;
  gcCount: number;
  at: number;
}

export interface GapFigures {
  /** Gaps over 50 ms seen by a 5 ms ticker. */
  over50: number;
  /** Of those, gaps in which the main thread itself ran more than 50 ms. */
  onCpuOver50: number;
  /** The longest on-CPU time within one gap (ms): the longest task, GC included. */
  maxOnCpuMs: number;
  /** The longest gap (ms) and its parts. */
  maxGapMs: number;
  maxGapOnCpuMs: number;
  maxGapRunQueueMs: number;
}

let statFd: number | undefined;
const statBuf = Buffer.alloc(128);

/** Nanoseconds on CPU and in the run queue of the main thread, or undefined off Linux. */
function schedstat(): [number, number] | undefined {
  try {
    statFd ??= openSync(`/proc/self/task/${process.pid}/schedstat`, 'r');
    // Read again from offset 0 on the open file: the kernel renders it anew on each read.
    const n = readSync(statFd, statBuf, 0, statBuf.length, 0);
    const [run, wait] = statBuf.toString('latin1', 0, n).split(' ');
    return [Number(run), Number(wait)];
  } catch {
    return undefined;
  }
}

/** Watches the event loop's gaps with a 5 ms ticker and splits each long one (see GapFigures). */
/** Gaps over 50 ms, kept while a profile runs: [start µs, end µs, on-CPU ms, run-queue ms]. */
const gapLog: [number, number, number, number][] = [];
let logGaps = false;

function watchGaps(): { figures(): GapFigures | undefined; reset(): void } {
  const fresh = (): GapFigures => ({ over50: 0, onCpuOver50: 0, maxOnCpuMs: 0, maxGapMs: 0, maxGapOnCpuMs: 0, maxGapRunQueueMs: 0 });
  let f = fresh();
  let last = performance.now();
  let lastStat = schedstat();
  if (!lastStat) return { figures: () => undefined, reset: () => undefined };
  setInterval(() => {
    const now = performance.now();
    const stat = schedstat();
    const gap = now - last;
    if (gap > 50 && stat && lastStat) {
      const onCpu = (stat[0] - lastStat[0]) / 1e6;
      const queued = (stat[1] - lastStat[1]) / 1e6;
      f.over50 += 1;
      if (onCpu > 50) f.onCpuOver50 += 1;
      f.maxOnCpuMs = Math.max(f.maxOnCpuMs, Math.round(onCpu));
      if (gap > f.maxGapMs) [f.maxGapMs, f.maxGapOnCpuMs, f.maxGapRunQueueMs] = [Math.round(gap), Math.round(onCpu), Math.round(queued)];
      const endUs = Number(process.hrtime.bigint() / 1000n);
      if (logGaps) gapLog.push([Math.round(endUs - gap * 1000), endUs, Math.round(onCpu), Math.round(queued)]);
    }
    last = now;
    lastStat = stat;
  }, 5).unref();
  const reset = (): void => {
    f = fresh();
    // A gap that began before the reset is not counted after it.
    last = performance.now();
    lastStat = schedstat();
  };
  return { figures: () => ({ ...f }), reset };
}

const GC_KINDS: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

if (typeof process.send === 'function') {
  const total = monitorEventLoopDelay({ resolution: 1 });
  const window = monitorEventLoopDelay({ resolution: 1 });
  total.enable();
  window.enable();
  const gaps = watchGaps();
  let gcMaxMs: Record<string, number> = {};
  let gcCount = 0;
  /** The full collection `report` forces (heap after GC) is the bench's, not the scheduler's. */
  let forced: [number, number] | undefined;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (forced && e.startTime >= forced[0] && e.startTime <= forced[1]) continue;
      const kind = GC_KINDS[((e as { detail?: { kind?: number } }).detail)?.kind ?? -1] ?? 'other';
      gcMaxMs[kind] = Math.max(gcMaxMs[kind] ?? 0, Math.round(e.duration));
      gcCount += 1;
    }
  }).observe({ entryTypes: ['gc'] });
  const report = (gc = false): void => {
    const collect = (globalThis as { gc?: () => void }).gc;
    let heapAfterGcBytes: number | undefined;
    if (gc && collect) {
      const from = performance.now();
      collect();
      forced = [from, performance.now()];
      heapAfterGcBytes = process.memoryUsage().heapUsed;
    }
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    const msg: ProbeReport = {
      type: 'probe',
      maxStallMs: Math.round(total.max / 1e6),
      windowMaxStallMs: Math.round(window.max / 1e6),
      p99StallMs: Math.round(total.percentile(99) / 1e6),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      ...(heapAfterGcBytes !== undefined ? { heapAfterGcBytes } : {}),
      cpuUserMs: Math.round(cpu.user / 1000),
      cpuSystemMs: Math.round(cpu.system / 1000),
      ...(gaps.figures() ? { gaps: gaps.figures()! } : {}),
      gcMaxMs: { ...gcMaxMs },
      gcCount,
      at: Date.now(),
    };
    window.reset();
    if (process.connected) process.send!(msg);
  };
  const timer = setInterval(() => report(), 1000);
  timer.unref();
  const resetAll = (): void => {
    total.reset();
    window.reset();
    gaps.reset();
    gapLog.length = 0;
    gcMaxMs = {};
    gcCount = 0;
  };
  process.on('message', (m: unknown) => {
    if ((m as { type?: string }).type === 'reset') resetAll();
    const p = m as { type?: string; ms?: number; file?: string };
    if (p.type === 'profile' && p.ms && p.file) profile(p.ms, p.file, () => setTimeout(resetAll, 20));
    if (p.type === 'heap-profile' && p.ms && p.file) heapProfile(p.ms, p.file);
    if ((m as { type?: string }).type === 'report') report((m as { gc?: boolean }).gc === true);
  });
  // The channel must not keep the scheduler alive: it stops on its signals as it always does.
  process.channel?.unref();
}
