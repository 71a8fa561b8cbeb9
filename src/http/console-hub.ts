import type { AuditRecord } from '../api/audit';
import type { SdkAlert } from '../alerts/alert';
import type { Metrics } from '../observe/metrics';
import type { TransitionRecord } from '../record/recorder';
import { EventFeed, eventOfAlert, eventOfAudit, eventOfRecovery, eventOfTransition } from '../observe/event-feed';
import { RateSampler, counterTotal } from '../observe/rates';
import { RecoveryTracker, type RecoveryObservation } from '../observe/recoveries';
import { setConsoleGauges } from './console-gauges';
import { buildConsoleState, type ConsoleState } from './console-state';
import type { ConsoleReadModel } from './console-types';
import type { HealthReport } from './server';

type HubMetrics = Pick<Metrics, 'recoveries' | 'recoverySeconds' | 'offers' | 'statusUpdates' | 'transitions'> & Partial<Metrics>;

export interface ConsoleHubDeps {
  read: ConsoleReadModel;
  health: () => HealthReport | Promise<HealthReport>;
  transitions: { subscribe(listener: (t: TransitionRecord) => void): () => void };
  metrics: HubMetrics;
  /** A pod's recovery facts, read on each of its transitions (undefined: no such pod). */
  recoveryOf(pod: string): RecoveryObservation | undefined;
  /** The service's audit records (commands and who gave them); returns an unsubscribe. */
  audits?: (listener: (r: AuditRecord) => void) => () => void;
  /** Portworx alerts of the service's cluster; returns an unsubscribe. */
  alerts?: (listener: (a: SdkAlert) => void) => () => void;
  /** Rate chart resolution (default 2 s). */
  rateIntervalMs?: number;
  /** Changes within this window go out as one `console` event (default 150 ms). */
  debounceMs?: number;
  /** While someone watches, a fresh state this often even without changes: ages and rates move (default 2 s). */
  tickMs?: number;
  now?: () => number;
}

export type HubListener = (event: { type: string; data: unknown }) => void;

/**
 * The console's live side: it turns transitions, audit records and alerts into events, tracks
 * recoveries (and counts them in `pxfw_recoveries_total`), samples rates, and pushes the whole
 * console state to every SSE listener after each change, computed once for all of them.
 */
export class ConsoleHub {
  readonly feed = new EventFeed();
  readonly recoveries: RecoveryTracker;
  private readonly rates: RateSampler;
  /** Each listener, and whether it wants the whole state (`console` events) or only `console-event`s. */
  private readonly listeners = new Map<HubListener, boolean>();
  private readonly unsubscribe: (() => void)[] = [];
  private debounce: NodeJS.Timeout | undefined;
  private tick: NodeJS.Timeout | undefined;
  private computing: Promise<void> | undefined;
  private dirty = false;

  constructor(private readonly deps: ConsoleHubDeps) {
    const m = deps.metrics;
    this.recoveries = new RecoveryTracker((r) => {
      m.recoveries.inc({ type: r.type });
      m.recoverySeconds.observe({ type: r.type }, r.seconds);
      this.feed.push(eventOfRecovery(r));
    });
    this.rates = new RateSampler(
      { updates: () => counterTotal(m.statusUpdates), offers: () => counterTotal(m.offers), changes: () => counterTotal(m.transitions) },
      { intervalMs: deps.rateIntervalMs ?? 2_000 },
    );
    this.rates.start();
    this.unsubscribe.push(deps.transitions.subscribe((t) => this.onTransition(t)));
    if (deps.audits) this.unsubscribe.push(deps.audits((r) => this.onEvent(eventOfAudit(r))));
    if (deps.alerts) this.unsubscribe.push(deps.alerts((a) => this.onEvent(eventOfAlert(a))));
    this.unsubscribe.push(this.feed.subscribe((e) => this.emit({ type: 'console-event', data: e })));
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private onTransition(t: TransitionRecord): void {
    if (t.actor.startsWith('pod/')) {
      const pod = t.actor.slice(4);
      const o = this.deps.recoveryOf(pod);
      if (o) this.recoveries.observe(pod, o, this.now());
    }
    this.onEvent(eventOfTransition(t));
  }

  private onEvent(e: ReturnType<typeof eventOfTransition>): void {
    this.feed.push(e);
    this.changed();
  }

  /** Something changed: send a fresh state soon (once for a burst of changes). */
  changed(): void {
    if (!this.watched() || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.broadcast();
    }, this.deps.debounceMs ?? 150);
  }

  async state(): Promise<ConsoleState> {
    const health = await this.deps.health();
    return buildConsoleState(this.deps.read, {
      health,
      events: this.feed.latest(),
      recoveries: this.recoveries.completed(),
      recovering: this.recoveries.inProgress(),
      rates: this.rates.history(),
      now: this.now(),
    });
  }

  private async broadcast(): Promise<void> {
    if (this.computing) {
      this.dirty = true;
      return this.computing;
    }
    this.computing = (async () => {
      do {
        this.dirty = false;
        const s = await this.state().catch(() => undefined);
        if (s) this.emit({ type: 'console', data: s });
      } while (this.dirty);
    })().finally(() => (this.computing = undefined));
    return this.computing;
  }

  private emit(ev: { type: string; data: unknown }): void {
    for (const [l, states] of this.listeners) if (states || ev.type !== 'console') l(ev);
  }

  /** Does anyone want whole states? Only then are they computed. */
  private watched(): boolean {
    return [...this.listeners.values()].some(Boolean);
  }

  /** `states`: also the whole console state after each change and every tick (the page); else events only. */
  subscribe(listener: HubListener, opts: { states?: boolean } = {}): () => void {
    this.listeners.set(listener, opts.states ?? true);
    if (!this.tick && this.watched()) {
      this.tick = setInterval(() => void this.broadcast(), this.deps.tickMs ?? 2_000);
      this.tick.unref();
    }
    // A page that (re)connects gets the current state at once, not at the next change.
    if (opts.states ?? true) this.changed();
    return () => {
      this.listeners.delete(listener);
      if (!this.watched()) {
        clearInterval(this.tick);
        this.tick = undefined;
      }
    };
  }

  /** Set the scrape-time gauges from the console's view (called before each /metrics answer). */
  async beforeScrape(): Promise<void> {
    setConsoleGauges(this.deps.metrics, await this.state(), this.now());
  }

  close(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    this.rates.stop();
    clearTimeout(this.debounce);
    clearInterval(this.tick);
    this.listeners.clear();
  }
}
