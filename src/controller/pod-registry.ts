import type { AnyActorRef, Snapshot } from 'xstate';
import { needsResume, statePath } from '../../machines/pod-instance.logic';
import type { PodInstanceContext, PodInstanceEvent, PodInstanceInput } from '../../machines/pod-instance.types';
import type { ServiceSpec } from '../service-spec';
import { podInstanceName, taskIdFor, volumeName } from '../service-spec';
import type { Logger } from '../log/logger';
import type { TransitionLog } from '../observe/transition-log';
import type { ServiceStateStore } from '../state/state-store';
import type { Metrics } from '../observe/metrics';
import { awaitDurable, PersistQueue } from './persist-queue';
import { gateDestructiveEffects, POD_SYSTEM_ID, type PodMachine } from './persist-before-acting';
import { PodCell, PodStepper, type PodCellOwner, type PodHandle, type PodSnapshot } from './pod-cell';
import { podKey, RegisteredPod, sameRecord, type PodEntry, type PodRecord } from './pod-record';

export { podKey, type PodEntry, type PodRecord } from './pod-record';

export type { PodMachine } from './persist-before-acting';
/** A pod: its snapshot at rest, an XState actor while an effect is in flight (see pod-cell.ts). */
export type PodActor = PodHandle;


export interface PodTimingOptions {
  timing?: PodInstanceInput['timing'];
}

/** The longest run of pod restores between two yields to the event loop. */
const RESTORE_SLICE_MS = 10;

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/** `fn` over `items`, yielding to the event loop whenever a slice took RESTORE_SLICE_MS. */
async function inSlices<T>(items: readonly T[], fn: (item: T) => void): Promise<void> {
  let sliceStart = Date.now();
  for (const item of items) {
    fn(item);
    if (Date.now() - sliceStart >= RESTORE_SLICE_MS) {
      await yieldToEventLoop();
      sliceStart = Date.now();
    }
  }
}

/**
 * Owns the pod actors of one service: creates them from the spec or restores them from KV,
 * persists every snapshot (one write in flight per pod, latest wins), logs each transition and
 * keeps the task-id index used to route Mesos updates.
 */
export class PodRegistry {
  private readonly pods = new Map<string, RegisteredPod>();
  /** Task id → pod, for the current and the previous task of each pod (updates are routed by it). */
  private readonly taskIndex = new Map<string, RegisteredPod>();
  /** Pods per top-level state, kept incrementally for the metrics gauge. */
  private readonly stateCounts = new Map<string, number>();
  /** The pods in each top-level state, kept with the counts: a round finds its few waiting pods among 10,000 without a scan. */
  private readonly byState = new Map<string, Set<RegisteredPod>>();
  private readonly persist: PersistQueue;
  /** The pod machine whose destructive effects wait for the state they act on to be in KV. */
  private readonly machine: PodMachine;
  private stepper: PodStepper | undefined;
  /** The pod of each running actor (a pod with an effect in flight), for the effects' barrier. */
  private readonly live = new WeakMap<AnyActorRef, PodEntry>();
  private readonly changeListeners = new Set<(name: string) => void>();
  /** The restored pod being re-armed (see resume): its snapshots are not written meanwhile. */
  private resuming: PodEntry | undefined;
  /** Counts clear()s: a restore that spans one stops restoring into a registry that was cleared. */
  private generation = 0;

  constructor(
    private readonly deps: {
      spec: () => ServiceSpec;
      machine: PodMachine;
      store: ServiceStateStore;
      logger: Logger;
      transitions: TransitionLog;
      metrics: Metrics;
      onPodState: (entry: PodEntry) => void;
      timing?: PodInstanceInput['timing'];
      /** Divides the spec's own durations (failure timeout, convergence wait) like every other interval. */
      timeScale?: number;
      /** False once this instance no longer leads (see PersistQueue). */
      leading?: () => boolean;
    },
  ) {
    this.persist = new PersistQueue(deps.store, deps.logger, deps.leading);
    this.machine = gateDestructiveEffects(deps.machine, (actor) => this.persistedBeforeActing(actor));
  }

  /**
   * Persist before acting: a destructive effect (KILL, volume delete) of a pod starts once the
   * pod's current snapshot and every state write queued before it (e.g. the supervisor's record of
   * the scale that decommissions the pod) are in KV. Rejects (StateNotSavedError) when a write was
   * dropped because we no longer lead: the effect fails without having acted.
   */
  async persistedBeforeActing(actor: unknown): Promise<void> {
    // The effect is started inside the pod's transition: let it finish, then save its result.
    await Promise.resolve();
    const entry = actor ? this.live.get(actor as AnyActorRef) : undefined;
    if (entry) this.save(entry);
    await awaitDurable(this.deps.store);
  }

  inputFor(podType: string, index: number): PodInstanceInput {
    const spec = this.deps.spec();
    const pod = spec.pods[podType];
    if (!pod) throw new Error(`pod type ${podType} is not in the spec of ${spec.name}`);
    return {
      service: spec.name,
      podType,
      index,
      volumes: pod.volumes.map((v) => ({ name: volumeName(spec.name, podType, index, v.name), id: null })),
      failurePolicy: {
        permanentFailureTimeoutMs: (spec.failurePolicy.permanentFailureTimeout * 1000) / (this.deps.timeScale ?? 1),
        autoReplace: spec.failurePolicy.autoReplace,
      },
      convergence: { mode: spec.convergence.mode, maxWaitMs: (spec.convergence.maxWait * 1000) / (this.deps.timeScale ?? 1) },
      ...(this.deps.timing ? { timing: this.deps.timing } : {}),
    };
  }

  /**
   * Restore every pod recorded in KV (read in one pass over the bucket); timed states are re-armed
   * with RESUMED. The actors are started in chunks with a yield between them: 10,000 pods do not
   * hold the event loop (the lease renewals, the HTTP API) for seconds.
   */
  async restore(): Promise<PodEntry[]> {
    const restored: PodEntry[] = [];
    const generation = this.generation;
    await inSlices(await this.readPodRecords(), ([key, rec]) => {
      const { podType, index, attempt, snapshot } = rec;
      // Stood down meanwhile (clear): the next leader restores them, not this one.
      if (this.generation !== generation || this.pods.has(`${podType}-${index}`)) return;
      try {
        restored.push(this.start(podType, index, attempt, snapshot));
      } catch (err) {
        // One bad record (e.g. a pod type removed from the spec) must not stop the others.
        this.deps.logger.error({ err, key }, 'cannot restore pod record; leaving it in KV');
      }
    });
    await inSlices(restored, (e) => this.generation === generation && this.resume(e));
    return this.generation === generation ? restored : [];
  }

  /**
   * RESUMED re-arms the timers of a restored pod by re-entering its state. What KV holds is still
   * its record (re-entering notes a reason again; the state is the same), so no write follows
   * unless the state changed.
   */
  private resume(e: PodEntry): void {
    if (!needsResume(e.state, this.context(e))) return;
    const before = e.state;
    this.resuming = e;
    try {
      e.actor.send({ type: 'RESUMED' });
    } finally {
      this.resuming = undefined;
    }
    if (e.state !== before) this.save(e);
    else if ((e as RegisteredPod).saved) (e as RegisteredPod).markSaved(e.actor.getSnapshot());
  }

  private async readPodRecords(): Promise<[string, PodRecord][]> {
    const store = this.deps.store as ServiceStateStore & Partial<Pick<ServiceStateStore, 'readAll'>>;
    if (typeof store.readAll === 'function') {
      const all = await store.readAll<PodRecord>('pods.');
      return [...all.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, v.value]);
    }
    // A store without the one-pass read (test doubles): a get per key.
    const out: [string, PodRecord][] = [];
    for (const key of await store.keys('pods.')) {
      const rec = await store.get<PodRecord>(key);
      if (rec) out.push([key, rec.value]);
    }
    return out;
  }

  /** The pod's actor, created (and persisted) if it does not exist yet. Idempotent. */
  ensure(podType: string, index: number): PodEntry {
    const existing = this.pods.get(podInstanceName(podType, index));
    if (existing) return existing;
    const entry = this.start(podType, index, 0, undefined);
    this.save(entry);
    return entry;
  }

  get(name: string): PodEntry | undefined {
    return this.pods.get(name);
  }

  all(): PodEntry[] {
    return [...this.pods.values()];
  }

  /** The registered pods whose top-level state is `state` (e.g. 'volume-provisioned'), in no set order. */
  inState(state: string): PodEntry[] {
    const set = this.byState.get(state);
    return set ? [...set].filter((e) => this.pods.get(e.name) === e) : [];
  }

  context(entry: PodEntry): PodInstanceContext {
    return entry.actor.getSnapshot().context as PodInstanceContext;
  }

  byTask(taskId: string): PodEntry | undefined {
    const e = this.taskIndex.get(taskId);
    // A removed pod's tasks belong to no pod, even once a pod of the same name exists again.
    if (!e || this.pods.get(e.name) !== e) return undefined;
    const ctx = this.context(e);
    return ctx.task?.taskId === taskId || ctx.lastTask?.taskId === taskId ? e : undefined;
  }

  /**
   * Called with a pod's name whenever anything about it may have changed: every new snapshot, its
   * registration, its removal. Readers that keep views of pods refresh only those (not all 10,000).
   */
  onPodChange(fn: (name: string) => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  private changed(name: string): void {
    for (const fn of this.changeListeners) fn(name);
  }

  /** How many task ids route to a pod (at most two per pod: its current and its last task). */
  indexedTaskCount(): number {
    return this.taskIndex.size;
  }

  /** How many pods are in each top-level state. */
  countsByState(): ReadonlyMap<string, number> {
    return this.stateCounts;
  }

  /** Deliver an event; a pod stopped for uninstall or standby takes none (its state is in KV). */
  send(entry: PodEntry, event: PodInstanceEvent): void {
    if (entry.actor.status !== 'active') return;
    entry.actor.send(event);
  }

  /**
   * Allocate the task id of the pod's next launch: never used before, even by an earlier pod of
   * the same name (see taskIdFor). The counter is persisted with the next snapshot write.
   */
  nextTaskId(entry: PodEntry): string {
    entry.attempt += 1;
    return taskIdFor(this.deps.spec().name, entry.podType, entry.index, entry.attempt);
  }

  /**
   * Wait until the pod's latest snapshot is in KV (persist intent before acting: before an ACCEPT,
   * before a status ACK). Rejects with StateNotSavedError when the write was dropped because we
   * no longer lead: the caller must then not act (the next leader restores the older state).
   */
  async flush(entry: PodEntry): Promise<void> {
    this.save(entry);
    await this.persist.flushed(podKey(entry.podType, entry.index));
  }

  async flushAll(): Promise<void> {
    await this.persist.flushAll();
  }

  /** Forget a decommissioned pod: stop its actor and delete its record. */
  async remove(entry: PodEntry): Promise<void> {
    entry.actor.stop();
    this.pods.delete(entry.name);
    this.unindexTasks(entry as RegisteredPod);
    this.count(entry as RegisteredPod, entry.state, -1);
    this.changed(entry.name);
    await this.persist.delete(podKey(entry.podType, entry.index));
  }

  stopAll(): void {
    for (const e of this.pods.values()) e.actor.stop();
  }

  /** Stop and forget every actor (standing down: the next leader restores them from KV). */
  clear(): void {
    this.generation += 1;
    this.stopAll();
    const names = [...this.pods.keys()];
    this.pods.clear();
    for (const name of names) this.changed(name);
    this.taskIndex.clear();
    this.stateCounts.clear();
    this.byState.clear();
  }

  private start(podType: string, index: number, attempt: number, snapshot: Snapshot<unknown> | undefined): PodEntry {
    const name = podInstanceName(podType, index);
    this.stepper ??= new PodStepper(this.machine, this.inputFor(podType, index));
    const entry = new RegisteredPod(name, podType, index, attempt);
    entry.actor = new PodCell(this.stepper, this.cells, entry, snapshot, POD_SYSTEM_ID);
    this.pods.set(name, entry);
    const snap = entry.actor.getSnapshot();
    entry.state = statePath(snap.value as string);
    this.count(entry, entry.state, 1);
    this.indexTasks(entry, snap.context as PodInstanceContext);
    // A restored pod's record is what KV holds: written again only once it changes.
    if (snapshot) entry.markSaved(snap);
    entry.ready = true;
    this.changed(name);
    return entry;
  }

  /** One owner for every cell: no closures per pod. */
  private readonly cells: PodCellOwner<RegisteredPod> = {
    next: (entry, snap) => entry.ready && this.onSnapshot(entry, snap),
    error: (entry, err) => this.deps.logger.error({ pod: entry.name, err }, 'pod actor failed'),
    live: (entry, a) => {
      if (a) this.live.set(a, entry);
    },
    input: (entry) => this.inputFor(entry.podType, entry.index),
  };

  /** Tell whoever listens of the pod's current state again (a restored or (re)started pod). */
  notify(entry: PodEntry): void {
    this.deps.onPodState(entry);
  }

  /** notify for many pods (every restored one), yielding to the event loop between slices. */
  async notifyInSlices(entries: readonly PodEntry[]): Promise<void> {
    // A pod removed or cleared (stood down) meanwhile is not told about.
    await inSlices(entries, (e) => this.pods.get(e.name) === e && this.notify(e));
  }

  private onSnapshot(entry: RegisteredPod, snap: PodSnapshot): void {
    const ctx = snap.context as PodInstanceContext;
    const to = statePath(snap.value as unknown as string);
    const from = entry.state;
    this.indexTasks(entry, ctx);
    this.save(entry);
    this.changed(entry.name);
    if (to === from) return;
    entry.state = to;
    this.count(entry, from, -1);
    this.count(entry, to, 1);
    this.deps.transitions.emit({ actor: `pod/${entry.name}`, from, to, event: entry.lastEvent(), reason: ctx.reason });
    this.deps.metrics.transitions.inc({ actor_kind: 'pod', to: to.split('.')[0] ?? to });
    this.deps.onPodState(entry);
  }

  /** Only the current and the last task of a pod route to it: older ids leave the index. */
  private indexTasks(entry: RegisteredPod, ctx: PodInstanceContext): void {
    const now = ctx.task?.taskId;
    const last = ctx.lastTask?.taskId;
    if (entry.taskNow === now && entry.taskLast === last) return;
    for (const id of [entry.taskNow, entry.taskLast]) if (id !== undefined && id !== now && id !== last && this.taskIndex.get(id) === entry) this.taskIndex.delete(id);
    if (now !== undefined) this.taskIndex.set(now, entry);
    if (last !== undefined) this.taskIndex.set(last, entry);
    entry.taskNow = now;
    entry.taskLast = last;
  }

  private unindexTasks(entry: RegisteredPod): void {
    for (const id of [entry.taskNow, entry.taskLast]) if (id !== undefined && this.taskIndex.get(id) === entry) this.taskIndex.delete(id);
    entry.taskNow = entry.taskLast = undefined;
  }

  private count(entry: RegisteredPod, state: string, delta: number): void {
    const top = state.split('.')[0] ?? state;
    this.stateCounts.set(top, (this.stateCounts.get(top) ?? 0) + delta);
    let set = this.byState.get(top);
    if (!set) this.byState.set(top, (set = new Set()));
    if (delta > 0) set.add(entry);
    else set.delete(entry);
  }

  private save(entry: PodEntry): void {
    // Only the registered actor of a name writes its record (never a stopped or replaced one).
    if (this.pods.get(entry.name) !== entry || this.resuming === entry) return;
    // Written only when the persisted part changed: most status updates (a second TASK_RUNNING,
    // a check result equal to the last) leave the pod as it was and cost no KV write.
    const pod = entry as RegisteredPod;
    const snap = pod.actor.getSnapshot();
    if (pod.saved && pod.savedAttempt === pod.attempt && sameRecord(pod.saved, snap)) return;
    pod.markSaved(snap);
    const record: PodRecord = {
      podType: entry.podType,
      index: entry.index,
      attempt: entry.attempt,
      snapshot: entry.actor.getPersistedSnapshot() as Snapshot<unknown>,
    };
    this.persist.write(podKey(entry.podType, entry.index), record);
  }
}
