/** One look at Portworx: did a cheap SDK call answer in time? */
export interface ProbeResult {
  reachable: boolean;
  /** When this answer was taken (ms since epoch). */
  checkedAt: number;
  latencyMs: number;
  /** Why it was not reachable (one line). */
  error?: string;
  /** Since when it has been unreachable without a break (ms since epoch), if it is. */
  unreachableSince?: number;
}

export interface PortworxProbeOptions {
  /** The cheap call: e.g. `() => client.inspectCluster()` on a client with no retries. */
  call: () => Promise<unknown>;
  /** An answer is reused this long, so a busy /health does not load Portworx (default 3 s). */
  cacheMs?: number;
  /** A call slower than this counts as unreachable (default 2 s). */
  timeoutMs?: number;
  now?: () => number;
}

/**
 * Portworx reachability for `/health`, probed on demand and cached a few seconds; concurrent
 * askers share the call in flight. It tracks since when Portworx has been unreachable, so the
 * health check can allow a short grace for a blip.
 */
export class PortworxProbe {
  private last: ProbeResult | undefined;
  private inFlight: Promise<ProbeResult> | undefined;
  private readonly cacheMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: PortworxProbeOptions) {
    this.cacheMs = opts.cacheMs ?? 3000;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.now = opts.now ?? Date.now;
  }

  async status(): Promise<ProbeResult> {
    if (this.last && this.now() - this.last.checkedAt < this.cacheMs) return this.last;
    this.inFlight ??= this.probe().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async probe(): Promise<ProbeResult> {
    const started = this.now();
    let timer: NodeJS.Timeout | undefined;
    let error: string | undefined;
    try {
      await Promise.race([
        this.opts.call(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
          timer.unref?.();
        }),
      ]);
    } catch (err) {
      error = String((err as Error)?.message ?? err).split('\n')[0];
    } finally {
      clearTimeout(timer);
    }
    const checkedAt = this.now();
    const result: ProbeResult = { reachable: error === undefined, checkedAt, latencyMs: checkedAt - started };
    if (error !== undefined) {
      result.error = error;
      result.unreachableSince = this.last && !this.last.reachable ? (this.last.unreachableSince ?? started) : started;
    }
    this.last = result;
    return result;
  }
}
