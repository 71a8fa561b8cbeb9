import type { Logger } from '../log/logger';
import { describeError } from '../errors';
import { Backoff, sleep, type BackoffOptions } from '../util/backoff';
import { MesosHeartbeatTimeoutError } from './errors';
import type { MesosEventStream } from './http';
import { WorkBudget } from '../util/work-budget';

/**
 * Fires `onSilence` when `kick()` has not been called for `limitMs`. Armed only once the
 * master has told us its heartbeat interval. A kick only stamps the time: the one timer, when it
 * fires early, waits out the rest (a burst of 10,000 events made 10,000 timers before).
 */
export class Watchdog {
  private timer: NodeJS.Timeout | undefined;
  private limitMs = 0;
  private lastKick = 0;

  constructor(private readonly onSilence: (silentMs: number) => void) {}

  arm(limitMs: number): void {
    this.limitMs = limitMs;
    this.kick();
  }

  kick(): void {
    if (this.limitMs <= 0) return;
    this.lastKick = performance.now();
    if (!this.timer) this.wait(this.limitMs);
  }

  private wait(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.limitMs <= 0) return;
      const silent = performance.now() - this.lastKick;
      if (silent >= this.limitMs) this.onSilence(Math.round(silent));
      else this.wait(this.limitMs - silent);
    }, Math.max(1, Math.ceil(ms)));
    this.timer.unref?.();
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.limitMs = 0;
  }
}

/** What one connection attempt reports back to the loop. */
export interface ConnectionOutcome {
  /** True when the attempt got as far as a SUBSCRIBED event (the backoff restarts then). */
  subscribed: boolean;
  reason: string;
}

export interface ReconnectLoopOptions {
  backoff: BackoffOptions;
  signal: AbortSignal;
  log: Logger;
  /** One connection: resolves or rejects when it is over. */
  connect: () => Promise<ConnectionOutcome>;
  onDisconnected: (reason: string) => void;
}

/** Connect, and after every end or failure wait (capped backoff, full jitter) and connect again. */
export async function runReconnectLoop(opts: ReconnectLoopOptions): Promise<void> {
  const backoff = new Backoff(opts.backoff);
  while (!opts.signal.aborted) {
    let reason: string;
    try {
      const outcome = await opts.connect();
      if (outcome.subscribed) backoff.reset();
      reason = outcome.reason;
    } catch (err) {
      reason = describeError(err);
      opts.log.warn({ err }, 'Mesos subscription attempt failed');
    }
    if (opts.signal.aborted) return;
    opts.onDisconnected(reason);
    const wait = backoff.next();
    opts.log.info({ wait, attempt: backoff.attempt, reason }, 'reconnecting to Mesos');
    await sleep(wait, opts.signal);
  }
}

/** Lets an event handler steer its connection. */
export interface StreamControl {
  /** Drop the connection when no event arrives for `limitMs` (heartbeats count). */
  watchHeartbeats(limitMs: number): void;
  /** Drop the connection now, for `reason`. */
  drop(reason: string): void;
  /** Whether the connection was dropped (a handler that awaited checks before acting on its event). */
  dropped(): boolean;
}

/**
 * Read one event stream to its end and return why it ended: a drop requested by `handle`,
 * heartbeat silence, a stop (`signal`), or the master closing the stream. A `handle` that returns
 * a promise (a big event checked in slices) is awaited before the next event is read: events are
 * handled one at a time, in stream order. A burst (one read of 1,000 status updates) is handled
 * in slices of `budget`: between slices the event loop turns, so ACKs, state writes and the
 * lease renewal are not held up behind the whole burst.
 */
export async function consumeStream(
  stream: MesosEventStream,
  signal: AbortSignal,
  handle: (event: unknown, control: StreamControl) => void | Promise<void>,
  budget: WorkBudget = new WorkBudget(),
): Promise<string> {
  let dropReason: string | undefined;
  const drop = (reason: string): void => {
    dropReason ??= reason;
    stream.close();
  };
  const watchdog = new Watchdog((ms) => drop(new MesosHeartbeatTimeoutError(ms).message));
  const control: StreamControl = { watchHeartbeats: (ms) => watchdog.arm(ms), drop, dropped: () => dropReason !== undefined };
  const onAbort = (): void => drop('stopped');
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const event of stream.events) {
      watchdog.kick();
      const handled = handle(event, control);
      if (handled) await handled;
      if (dropReason) break;
      await budget.step(1);
    }
    return dropReason ?? 'the master closed the event stream';
  } catch (err) {
    // A drop we asked for surfaces as a premature-close error; report our reason instead.
    if (dropReason) return dropReason;
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
    watchdog.disarm();
    stream.close();
  }
}
