import { createActor, type Actor, type AnyActorRef, type Snapshot } from 'xstate';
import type { PodInstanceContext, PodInstanceEvent, PodInstanceInput } from '../../machines/pod-instance.types';
import type { PodMachine } from './persist-before-acting';

/*
 * A pod at rest needs no actor. Most pods, most of the time, wait (running, stopped, waiting for an
 * offer) with nothing in flight: no effect invoked, at most an `after` timer. Such a pod is kept as
 * its machine snapshot and each event is a pure step of the machine (`machine.transition`), its
 * timers plain timeouts. Only a step that invokes an effect starts an XState actor ("hydrates"),
 * from the snapshot before the step, so the effect runs exactly as it would have; once the actor
 * has nothing in flight again its timers move back to the cell and the actor stops. An actor (with
 * its own system, mailbox and scheduler) costs ~10 KB; 10,000 pods at rest cost their snapshots.
 */

export type PodSnapshot = ReturnType<PodMachine['getInitialSnapshot']>;
type PodXActor = Actor<PodMachine>;

/** One executable action of a pure step, as XState hands it to an actor scope. */
interface StepAction {
  type: string;
  params?: unknown;
}

interface DelayedEvent {
  event: PodInstanceEvent;
  /** When it fires (epoch ms). */
  due: number;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The owner of many cells (one object for all, no closures per pod): told every new snapshot of
 * the pod `key` with the event that caused it, and asked for its input when an actor starts.
 */
export interface PodCellOwner<K> {
  next: (key: K, snap: PodSnapshot, eventType: string) => void;
  error: (key: K, err: unknown) => void;
  /** The actor that now runs the pod's effects (null: at rest again). */
  live: (key: K, actor: AnyActorRef | null) => void;
  input: (key: K) => PodInstanceInput;
}

/** The machine and the inert scope every cell of one registry steps with. */
export class PodStepper {
  private actions: StepAction[] = [];
  private readonly scope: Record<string, unknown>;

  constructor(
    readonly machine: PodMachine,
    sampleInput: PodInstanceInput,
  ) {
    // An actor that never starts: its system resolves the machine's references; nothing runs.
    const self = createActor(machine, { input: sampleInput }) as unknown as AnyActorRef & { system: Record<string, unknown> };
    const system = self.system;
    this.scope = {
      self,
      id: '',
      sessionId: '',
      logger: () => {},
      defer: () => {},
      system,
      stopChild: () => {},
      emit: () => {},
      actionExecutor: (a: StepAction) => this.actions.push(a),
    };
  }

  step(snapshot: PodSnapshot, event: PodInstanceEvent): [PodSnapshot, StepAction[]] {
    this.actions = [];
    const next = this.machine.transition(snapshot as never, event as never, this.scope as never) as PodSnapshot;
    return [next, this.actions];
  }

  restore(persisted: Snapshot<unknown>): PodSnapshot {
    return this.machine.restoreSnapshot(persisted as never, this.scope as never) as PodSnapshot;
  }

  initial(input: PodInstanceInput): [PodSnapshot, StepAction[]] {
    this.actions = [];
    const snap = this.machine.getInitialSnapshot(this.scope as never, input) as PodSnapshot;
    return [snap, this.actions];
  }
}

function hasChildren(snap: { children: Record<string, unknown> }): boolean {
  return hasKeys(snap.children);
}

function hasKeys(o: object | undefined): boolean {
  for (const _ in o) return true;
  return false;
}

/** A step the cell can take alone: timers and nothing else (no effect to invoke or stop). */
function pureEnough(next: PodSnapshot, actions: readonly StepAction[]): boolean {
  if (hasChildren(next)) return false;
  for (const a of actions) if (a.type !== 'xstate.raise' && a.type !== 'xstate.cancel') return false;
  return true;
}

/** What the rest of the runtime sees of a pod: its snapshot, its events, its lifecycle. */
export interface PodHandle {
  getSnapshot(): PodSnapshot;
  getPersistedSnapshot(): Snapshot<unknown>;
  readonly status: string;
  readonly isLive: boolean;
  readonly pendingTimers: number;
  lastEvent(): string;
  send(event: PodInstanceEvent): void;
  stop(): void;
  subscribe(fn: (snap: PodSnapshot) => void): { unsubscribe: () => void };
}

export class PodCell<K> implements PodHandle {
  private snap: PodSnapshot;
  private actor: PodXActor | null = null;
  /** Pending `after` timers while at rest (made on first use: most pods have one or none). */
  private timers: Map<string, DelayedEvent> | undefined;
  private stopped = false;
  private lastEventType = 'xstate.init';
  private watchers: Set<(snap: PodSnapshot) => void> | undefined;
  /** Emissions in progress, and the events sent to the pod from inside them (see send). */
  private emitting = 0;
  private inbox: PodInstanceEvent[] | undefined;

  /**
   * `persisted` restores a pod from KV; without it the pod starts from its initial state. A pod
   * whose record shows an effect in flight (or whose first state invokes one) starts an actor.
   */
  constructor(
    private readonly stepper: PodStepper,
    private readonly owner: PodCellOwner<K>,
    private readonly key: K,
    persisted: Snapshot<unknown> | undefined,
    private readonly systemId: string,
  ) {
    if (persisted) {
      const restored = stepper.restore(persisted);
      this.snap = restored;
      if (hasChildren(restored)) this.hydrate(persisted);
      return;
    }
    const [initial, actions] = stepper.initial(owner.input(key));
    this.snap = initial;
    if (pureEnough(initial, actions)) this.apply(actions);
    else this.hydrate(undefined); // a fresh actor from the input: its first state invokes an effect
  }

  /** Every new snapshot of the pod, at rest or not, until unsubscribed (see waitForPod). */
  subscribe(fn: (snap: PodSnapshot) => void): { unsubscribe: () => void } {
    const watchers = (this.watchers ??= new Set());
    watchers.add(fn);
    return { unsubscribe: () => watchers.delete(fn) };
  }

  getSnapshot(): PodSnapshot {
    return this.actor ? this.actor.getSnapshot() : this.snap;
  }

  getPersistedSnapshot(): Snapshot<unknown> {
    if (this.actor) return this.actor.getPersistedSnapshot();
    const s = this.snap;
    // At rest there is no child and (the pod machine has no history state) no history: what
    // XState's getPersistedSnapshot makes, without its walk of the context for actor refs (a pod
    // context is JSON). Once per KV write of every pod.
    if (hasChildren(s) || hasKeys(s.historyValue)) return this.stepper.machine.getPersistedSnapshot(s as never);
    return { status: s.status, output: s.output, error: s.error, value: s.value, historyValue: {}, context: s.context, children: {} } as Snapshot<unknown>;
  }

  get status(): string {
    return this.stopped ? 'stopped' : this.getSnapshot().status;
  }

  /** True while an actor runs the pod (an effect in flight). */
  get isLive(): boolean {
    return this.actor !== null;
  }

  /** How many `after` timers the pod has pending at rest (an actor's own are not counted). */
  get pendingTimers(): number {
    return this.timers?.size ?? 0;
  }

  /** The type of the last event the pod received. */
  lastEvent(): string {
    return this.lastEventType;
  }

  send(event: PodInstanceEvent): void {
    if (this.stopped) return;
    if (this.actor) {
      this.actor.send(event);
      return;
    }
    if (this.snap.status !== 'active') return;
    if (this.emitting > 0) {
      // Sent by whoever hears this pod's snapshot: taken after it, in order, as an actor's mailbox would.
      (this.inbox ??= []).push(event);
      return;
    }
    let next: PodSnapshot;
    let actions: StepAction[];
    try {
      [next, actions] = this.stepper.step(this.snap, event);
    } catch (err) {
      this.owner.error(this.key, err);
      return;
    }
    if (!pureEnough(next, actions)) {
      this.hydrate(this.snap);
      this.actor!.send(event);
      return;
    }
    this.lastEventType = event.type;
    this.apply(actions);
    if (next === this.snap) return;
    this.snap = next;
    this.emit(next, event.type);
  }

  private emit(snap: PodSnapshot, eventType: string): void {
    this.emitting += 1;
    try {
      this.owner.next(this.key, snap, eventType);
      if (this.watchers) for (const w of this.watchers) w(snap);
    } finally {
      this.emitting -= 1;
    }
    if (this.emitting === 0 && this.inbox) {
      const queued = this.inbox;
      this.inbox = undefined;
      for (const ev of queued) this.send(ev);
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const d of this.timers?.values() ?? []) clearTimeout(d.timer);
    this.timers = undefined;
    if (this.actor) {
      this.snap = this.actor.getSnapshot();
      this.actor.stop();
      this.actor = null;
    }
    // What a stopped actor shows: its last state, status 'stopped' (readers skip such pods).
    this.snap = { ...this.snap, status: 'stopped' } as PodSnapshot;
  }

  private apply(actions: readonly StepAction[]): void {
    for (const a of actions) {
      const p = a.params as { event?: PodInstanceEvent; id?: string; delay?: number; sendId?: string };
      if (a.type === 'xstate.cancel' && p.sendId !== undefined) this.cancelTimer(p.sendId);
      else if (a.type === 'xstate.raise' && typeof p.delay === 'number' && p.event && p.id !== undefined) {
        this.schedule(p.id, p.event, Date.now() + p.delay);
      }
    }
  }

  private schedule(id: string, event: PodInstanceEvent, due: number): void {
    this.cancelTimer(id);
    const timer = setTimeout(() => {
      this.timers?.delete(id);
      this.send(event);
    }, Math.max(0, due - Date.now()));
    (this.timers ??= new Map()).set(id, { event, due, timer });
  }

  private cancelTimer(id: string): void {
    const d = this.timers?.get(id);
    if (!d) return;
    clearTimeout(d.timer);
    this.timers!.delete(id);
  }

  /**
   * Start an actor from `from` (the cell's snapshot, or a record read from KV; none: a fresh pod
   * from its input), handing it the cell's timers. Its first snapshot is the one it starts from:
   * not told again.
   */
  private hydrate(from: Snapshot<unknown> | PodSnapshot | undefined): void {
    let received = this.lastEventType;
    const inspect = (ie: { type: string; actorRef: unknown; event?: { type: string } }) => {
      if (ie.type === '@xstate.event' && ie.actorRef === actor && ie.event) received = ie.event.type;
    };
    const actor: PodXActor = createActor(this.stepper.machine, {
      ...(from ? { snapshot: from as never } : {}),
      input: this.owner.input(this.key),
      inspect,
      systemId: this.systemId,
    });
    let starting = true;
    this.actor = actor;
    actor.subscribe({
      next: (snap) => {
        if (this.actor !== actor || starting) return;
        this.lastEventType = received;
        this.emit(snap as PodSnapshot, received);
        if (!hasChildren(snap) && snap.status === 'active') queueMicrotask(() => this.rest(actor));
      },
      error: (err) => this.owner.error(this.key, err),
    });
    actor.start();
    starting = false;
    const system = (actor as unknown as { system: { scheduler: { schedule: (...a: unknown[]) => void } } }).system;
    for (const [id, d] of this.timers ?? []) {
      clearTimeout(d.timer);
      system.scheduler.schedule(actor, actor, d.event, Math.max(0, d.due - Date.now()), id);
    }
    this.timers = undefined;
    this.owner.live(this.key, actor);
  }

  /**
   * The actor has nothing in flight: keep its snapshot and timers, stop it. Its pending timers are
   * read from the actor system's scheduler (`_scheduledEvents`, not public API: package.json pins
   * xstate's exact version, and the cell-vs-actor property covers the hand-over both ways).
   */
  private rest(actor: PodXActor): void {
    if (this.actor !== actor || this.stopped) return;
    const snap = actor.getSnapshot();
    if (hasChildren(snap) || snap.status !== 'active') return;
    const system = (actor as unknown as { system: { _snapshot: { _scheduledEvents: Record<string, ScheduledEvent> } } }).system;
    const pending = Object.values(system._snapshot._scheduledEvents).filter((e) => e.source === actor);
    this.actor = null;
    this.snap = snap;
    actor.stop();
    for (const e of pending) this.schedule(e.id, e.event as PodInstanceEvent, e.startedAt + e.delay);
    this.owner.live(this.key, null);
  }
}

/** Resolves with the pod's first snapshot (the current one included) that satisfies `predicate`. */
export function waitForPod(cell: PodHandle, predicate: (snap: PodSnapshot) => boolean, opts: { timeout?: number } = {}): Promise<PodSnapshot> {
  return new Promise((resolve, reject) => {
    const now = cell.getSnapshot();
    if (predicate(now)) return resolve(now);
    const timer = opts.timeout === undefined || opts.timeout === Infinity ? undefined : setTimeout(() => {
      sub.unsubscribe();
      reject(new Error(`pod did not reach the awaited state within ${opts.timeout} ms`));
    }, opts.timeout);
    const sub = cell.subscribe((snap) => {
      if (!predicate(snap)) return;
      sub.unsubscribe();
      if (timer) clearTimeout(timer);
      resolve(snap);
    });
  });
}

interface ScheduledEvent {
  source: unknown;
  event: unknown;
  delay: number;
  id: string;
  startedAt: number;
}

export type { PodInstanceContext };
