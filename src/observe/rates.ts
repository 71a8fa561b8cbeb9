import type { Counter } from 'prom-client';

/** One sample: events per second of each series since the previous sample. */
export interface RateSample {
  t: number;
  rates: Record<string, number>;
}

/** The sum of a counter over all its label values. */
export async function counterTotal(counter: Pick<Counter, 'get'>): Promise<number> {
  const m = await counter.get();
  return m.values.reduce((s, v) => s + v.value, 0);
}

/**
 * Rates over the session for the console's chart: every `intervalMs` it reads each cumulative
 * total and keeps the per-second rate since the last read (the last `keep` samples). Its timer
 * does not hold the process open.
 */
export class RateSampler {
  private readonly samples: RateSample[] = [];
  private last: { t: number; totals: Record<string, number> } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly series: Record<string, () => number | Promise<number>>,
    private readonly opts: { intervalMs: number; keep?: number; now?: () => number } = { intervalMs: 2_000 },
  ) {}

  start(): void {
    if (this.timer) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Read every series once (the timer calls this; tests call it directly). */
  async sample(): Promise<void> {
    const t = (this.opts.now ?? Date.now)();
    const totals: Record<string, number> = {};
    for (const [name, read] of Object.entries(this.series)) totals[name] = await read();
    const prev = this.last;
    this.last = { t, totals };
    if (!prev || t <= prev.t) return;
    const secs = (t - prev.t) / 1000;
    const rates = Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, Math.max(0, v - (prev.totals[k] ?? 0)) / secs]));
    this.samples.push({ t, rates });
    if (this.samples.length > (this.opts.keep ?? 180)) this.samples.shift();
  }

  history(): readonly RateSample[] {
    return this.samples;
  }
}
