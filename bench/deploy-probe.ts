/**
 * Loaded with `--import` into the scheduler process of bench/deploy.bench.ts (`pxfw run`
 * unchanged): it watches the event loop (perf_hooks.monitorEventLoopDelay, 1 ms resolution) and
 * the process's peak RSS, and reports both to the bench over the IPC channel once a second.
 * The bench sends `reset` once the scheduler serves HTTP (the module loading before that is not
 * the deploy's). It never touches the scheduler: it only reads the process's own figures.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

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
  at: number;
}

if (typeof process.send === 'function') {
  const total = monitorEventLoopDelay({ resolution: 1 });
  const window = monitorEventLoopDelay({ resolution: 1 });
  total.enable();
  window.enable();
  const report = (gc = false): void => {
    const collect = (globalThis as { gc?: () => void }).gc;
    let heapAfterGcBytes: number | undefined;
    if (gc && collect) {
      collect();
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
      at: Date.now(),
    };
    window.reset();
    if (process.connected) process.send!(msg);
  };
  const timer = setInterval(() => report(), 1000);
  timer.unref();
  process.on('message', (m: unknown) => {
    if ((m as { type?: string }).type === 'reset') {
      total.reset();
      window.reset();
    }
    if ((m as { type?: string }).type === 'report') report((m as { gc?: boolean }).gc === true);
  });
  // The channel must not keep the scheduler alive: it stops on its signals as it always does.
  process.channel?.unref();
}
