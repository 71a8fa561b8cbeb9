import { createActor, waitFor, type Actor, type Observer, type SnapshotFrom } from 'xstate';
import { frameworkMachine } from '../../../machines/framework.machine';
import type { FrameworkContext, FrameworkEvent, FrameworkInput } from '../../../machines/framework.types';
import type { Logger } from '../../log/logger';
import type { Metrics } from '../../observe/metrics';
import type { TransitionLog } from '../../observe/transition-log';
import { frameworkIn, frameworkStatePath, type FrameworkStateCheck } from '../state-names';

export type FrameworkMachine = ReturnType<typeof frameworkMachine.provide>;
export type FrameworkSnapshot = SnapshotFrom<typeof frameworkMachine>;
/** A snapshot listener, or an observer that also hears the actor stop (`complete`). */
export type SupervisorListener = ((snap: FrameworkSnapshot) => void) | Observer<FrameworkSnapshot>;

/** The service's supervisor as the controller's modules see it: read its state, ask if it is in one. */
export interface SupervisorView {
  /** The state as one line (see frameworkStatePath); '' before the supervisor started. */
  stateName(): string;
  context(): FrameworkContext;
  is(state: FrameworkStateCheck): boolean;
}

/** The view plus the one way to change the supervisor: send it an event. */
export interface Supervisor extends SupervisorView {
  send(event: FrameworkEvent): void;
}

export interface SupervisorHostDeps {
  transitions: Pick<TransitionLog, 'emit'>;
  metrics: Pick<Metrics, 'transitions'>;
  logger: Logger;
  /** Every snapshot after the transition log saw it (the leader's state is persisted from here). */
  onSnapshot: (snap: FrameworkSnapshot) => void;
}

/**
 * The adapter: runs the supervisor actor (the framework machine with its effects provided),
 * logs each transition, hands each snapshot on, and lets callers wait for a state with xstate's
 * `waitFor` instead of polling.
 */
export class SupervisorHost implements Supervisor {
  private actor: Actor<FrameworkMachine> | undefined;
  private state = '';
  /** The type of the last event the supervisor received (for the transition log). */
  private lastEvent = 'xstate.init';

  constructor(private readonly deps: SupervisorHostDeps) {}

  start(machine: FrameworkMachine, input: FrameworkInput): void {
    const actor = createActor(machine, {
      inspect: (ie) => {
        if (ie.type === '@xstate.event' && ie.actorRef === this.actor) this.lastEvent = ie.event.type;
      },
      input,
    });
    this.actor = actor;
    actor.subscribe({
      next: (snap) => this.onSnapshot(snap),
      error: (err) => this.deps.logger.error({ err }, 'framework actor failed'),
    });
    actor.start();
  }

  stop(): void {
    this.actor?.stop();
  }

  stateName(): string {
    return this.state;
  }

  context(): FrameworkContext {
    return this.snapshot().context;
  }

  is(state: FrameworkStateCheck): boolean {
    return this.actor !== undefined && frameworkIn(this.snapshot(), state);
  }

  send(event: FrameworkEvent): void {
    this.actor?.send(event);
  }

  /** Listen to every snapshot (and to the end of the actor); returns the unsubscribe function. */
  subscribe(listener: SupervisorListener): () => void {
    const sub = typeof listener === 'function' ? this.started().subscribe(listener) : this.started().subscribe(listener);
    return () => sub.unsubscribe();
  }

  /** Resolves with the first snapshot (the current one included) that satisfies `predicate`. */
  waitFor(predicate: (snap: FrameworkSnapshot) => boolean, timeoutMs: number): Promise<FrameworkSnapshot> {
    return waitFor(this.started(), predicate, { timeout: timeoutMs });
  }

  snapshot(): FrameworkSnapshot {
    return this.started().getSnapshot();
  }

  private started(): Actor<FrameworkMachine> {
    if (!this.actor) throw new Error('the supervisor has not started');
    return this.actor;
  }

  private onSnapshot(snap: FrameworkSnapshot): void {
    const to = frameworkStatePath(snap.value);
    if (to !== this.state) {
      this.deps.transitions.emit({ actor: 'framework', from: this.state || 'init', to, event: this.lastEvent, reason: snap.context.reason });
      this.deps.metrics.transitions.inc({ actor_kind: 'framework', to: to.split(/[.(]/)[0] ?? to });
      this.state = to;
    }
    this.deps.onSnapshot(snap);
  }
}
