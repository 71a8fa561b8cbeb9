/**
 * Runs queued synchronous jobs in time slices: each slice (one macrotask, started by
 * setImmediate) runs jobs until its budget is spent, then yields to timers and I/O (the lease
 * renewal, NATS, HTTP) before the next slice. A burst of N jobs queued at once (a parallel
 * phase: every pod's continuation in one poll phase) never blocks the event loop for N jobs.
 * Jobs run in the order queued; each caller gets its job's result (or error).
 */
export interface WorkSlicesOptions {
  /** Stop a slice once this much time went by (default 10 ms). At least one job runs per slice. */
  budgetMs?: number;
  /** And after at most this many jobs (default unlimited). */
  maxJobs?: number;
  /** Called at the end of every slice (before yielding): what the jobs shared may change now. */
  onSliceEnd?: () => void;
  now?: () => number;
}

interface Job {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export class WorkSlices {
  private readonly queue: Job[] = [];
  private head = 0;
  private scheduled = false;
  private slices = 0;

  constructor(private readonly opts: WorkSlicesOptions = {}) {}

  /** Queue `fn`; resolves with its result once a slice has run it. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: fn, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Jobs queued and not run yet. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Slices run so far (for tests and metrics). */
  get sliceCount(): number {
    return this.slices;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.slice());
  }

  private slice(): void {
    this.scheduled = false;
    this.slices += 1;
    const now = this.opts.now ?? performance.now.bind(performance);
    const start = now();
    const budget = this.opts.budgetMs ?? 10;
    const maxJobs = this.opts.maxJobs ?? Number.POSITIVE_INFINITY;
    let ran = 0;
    try {
      while (this.head < this.queue.length && ran < maxJobs && (ran === 0 || now() - start < budget)) {
        const job = this.queue[this.head]!;
        this.queue[this.head++] = undefined as never;
        ran += 1;
        try {
          job.resolve(job.run());
        } catch (err) {
          job.reject(err);
        }
      }
    } finally {
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.opts.onSliceEnd?.();
      if (this.pending > 0) this.schedule();
    }
  }
}
