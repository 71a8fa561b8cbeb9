import type { NatsConnection } from '@nats-io/nats-core';
import type { Logger } from '../log/logger';
import type { Recorder, TransitionRecord } from '../record/recorder';

export type Transition = Omit<TransitionRecord, 'ts'>;
export type TransitionListener = (t: TransitionRecord) => void;

/**
 * Every pod or framework state transition becomes one structured pino line, one line of
 * transitions.jsonl when recording, and one message on `pxfw.<service>.events.transition`.
 */
export class TransitionLog {
  private readonly listeners = new Set<TransitionListener>();
  private readonly recent: TransitionRecord[] = [];

  constructor(
    private readonly service: string,
    private readonly logger: Logger,
    private readonly recorder?: Recorder,
    private nc?: NatsConnection,
    private readonly keepRecent = 200,
  ) {}

  attachNats(nc: NatsConnection | undefined): void {
    this.nc = nc;
  }

  get subject(): string {
    return `pxfw.${this.service}.events.transition`;
  }

  emit(t: Omit<Transition, 'service'>): void {
    const rec: TransitionRecord = { ts: new Date().toISOString(), service: this.service, ...t };
    this.logger.info({ transition: rec }, `${rec.actor}: ${rec.from} -> ${rec.to} on ${rec.event}`);
    this.recorder?.transition({ service: rec.service, actor: rec.actor, from: rec.from, to: rec.to, event: rec.event, reason: rec.reason });
    if (this.nc && !this.nc.isClosed()) this.nc.publish(this.subject, JSON.stringify(rec));
    this.recent.push(rec);
    if (this.recent.length > this.keepRecent) this.recent.shift();
    for (const l of this.listeners) l(rec);
  }

  /** The latest transitions, oldest first (for the console and `/v1/state`). */
  latest(): readonly TransitionRecord[] {
    return this.recent;
  }

  subscribe(listener: TransitionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
