import type { Logger } from '../log/logger';
import { StateConflictError, StateNotSavedError } from '../state/errors';
import type { ServiceStateStore } from '../state/state-store';

type Job = ({ value: unknown } | { deleted: true }) & { seq: number };

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Slot {
  revision: number | undefined;
  pending: Job | undefined;
  running: Promise<void> | undefined;
  /** Sequence number of the latest value queued, of the latest stored, of the latest dropped. */
  queued: number;
  stored: number;
  dropped: number;
  waiters: Waiter[];
}

/** Every queue writing to a store, so that a barrier can wait for all of them (see awaitDurable). */
const queuesByStore = new WeakMap<ServiceStateStore, Set<PersistQueue>>();

/** Puts in flight at once per store (all keys): pipelined, but a 10,000-pod burst does not open 10,000 requests. */
export const MAX_PUTS_IN_FLIGHT = 256;

/** A counting gate shared by the queues of one store. */
class PutGate {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    else this.inFlight += 1;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter (inFlight stays), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.inFlight -= 1;
    }
  }
}

const gatesByStore = new WeakMap<ServiceStateStore, PutGate>();

let turn: Promise<void> | undefined;

/** Resolves at the next check phase of the event loop; one setImmediate for every caller meanwhile. */
function nextTurn(): Promise<void> {
  return (turn ??= new Promise<void>((resolve) =>
    setImmediate(() => {
      turn = undefined;
      resolve();
    }),
  ));
}

/**
 * Writes the latest value of each key to KV with compare-and-set, one write in flight per key;
 * values written meanwhile coalesce into the next write. Keys are written side by side (up to
 * MAX_PUTS_IN_FLIGHT puts per store). Values are not copied: callers hand over immutable values
 * (xstate snapshots and contexts are never mutated, only replaced), serialized once, by the put. A conflict means another writer (a
 * second scheduler) touched our state: we re-read the revision and write ours over it only
 * because the leader lease says the state is ours.
 *
 * Writes are fire-and-forget, but whoever acts on one (answers an operator, kills a task) first
 * awaits `flushed(key)`: it resolves once the value queued so far (or a newer one) is in KV and
 * rejects with StateNotSavedError when the write was dropped (we stopped leading) or timed out.
 */
export class PersistQueue {
  private readonly slots = new Map<string, Slot>();
  private seq = 0;
  private readonly gate: PutGate;
  private readonly groups = new Map<string, string>();
  /** Writes still to be queued by a producer working in slices (deferWrites). */
  private readonly deferred = new Set<Promise<void>>();

  constructor(
    private readonly store: ServiceStateStore,
    private readonly logger: Logger,
    /** False once we no longer lead: a deposed leader's queued writes are dropped, not forced. */
    private readonly mayWrite: () => boolean = () => true,
  ) {
    let group = queuesByStore.get(store);
    if (!group) queuesByStore.set(store, (group = new Set()));
    group.add(this);
    let gate = gatesByStore.get(store);
    if (!gate) gatesByStore.set(store, (gate = new PutGate(MAX_PUTS_IN_FLIGHT)));
    this.gate = gate;
  }

  /** Queue the key's new value (not copied: it must not be mutated afterwards). */
  write(key: string, value: unknown): void {
    this.enqueue(key, { value, seq: 0 });
  }

  async delete(key: string): Promise<void> {
    this.enqueue(key, { deleted: true, seq: 0 });
    await this.flush(key);
  }

  /**
   * Writes a producer queues in slices (FrameworkLayout: 10,000 pod records): every flush and
   * flushed waits until they are queued, so a barrier never passes writes not queued yet.
   * `queued` must not reject.
   */
  deferWrites(queued: Promise<void>): void {
    this.deferred.add(queued);
    void queued.finally(() => this.deferred.delete(queued));
  }

  private async queuedAll(): Promise<void> {
    while (this.deferred.size > 0) await Promise.all([...this.deferred]);
  }

  /** Wait until no write of the key is in flight (whether it was stored or dropped). */
  async flush(key: string): Promise<void> {
    if (this.deferred.size > 0) await this.queuedAll();
    const slot = this.slots.get(key);
    while (slot?.running) await slot.running;
  }

  async flushAll(): Promise<void> {
    if (this.deferred.size > 0) await this.queuedAll();
    await Promise.all([...this.slots.keys()].map((k) => this.flush(k)));
  }

  /**
   * Resolves once the key's value queued so far (or a newer one) is in KV; rejects with
   * StateNotSavedError if that write was dropped, or after `timeoutMs` (when given).
   */
  flushed(key: string, timeoutMs?: number): Promise<void> {
    if (this.deferred.size > 0) return this.queuedAll().then(() => this.flushed(key, timeoutMs));
    const prefix = this.groups.get(key);
    if (prefix === undefined) return this.flushedKey(key, timeoutMs);
    const keys = [key, ...[...this.slots.keys()].filter((k) => k.startsWith(prefix))];
    return Promise.all(keys.map((k) => this.flushedKey(k, timeoutMs))).then(() => undefined);
  }

  /**
   * One record kept in several keys (the framework record and its per-pod records): flushed(key)
   * also waits for every key under `prefix`, so whoever waits for the record waits for all of it.
   */
  group(key: string, prefix: string): void {
    this.groups.set(key, prefix);
  }

  private flushedKey(key: string, timeoutMs?: number): Promise<void> {
    const slot = this.slots.get(key);
    if (!slot || slot.stored >= slot.queued) return Promise.resolve();
    if (slot.dropped >= slot.queued) return Promise.reject(new StateNotSavedError(key, 'dropped'));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { seq: slot.queued, resolve, reject };
      slot.waiters.push(waiter);
      if (timeoutMs === undefined) return;
      const timer = setTimeout(() => {
        slot.waiters = slot.waiters.filter((w) => w !== waiter);
        reject(new StateNotSavedError(key, 'timeout'));
      }, timeoutMs);
      const done = () => clearTimeout(timer);
      waiter.resolve = () => (done(), resolve());
      waiter.reject = (err) => (done(), reject(err));
    });
  }

  /** flushed() for every key written so far. */
  async flushedAll(timeoutMs?: number): Promise<void> {
    if (this.deferred.size > 0) await this.queuedAll();
    await Promise.all([...this.slots.keys()].map((k) => this.flushedKey(k, timeoutMs)));
  }

  /** The keys this queue has written. */
  has(key: string): boolean {
    return this.slots.has(key);
  }

  private enqueue(key: string, job: Job): void {
    const slot = this.slot(key);
    job.seq = ++this.seq;
    slot.queued = job.seq;
    slot.pending = job;
    this.kick(key, slot);
  }

  private slot(key: string): Slot {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { revision: undefined, pending: undefined, running: undefined, queued: 0, stored: 0, dropped: 0, waiters: [] };
      this.slots.set(key, slot);
    }
    return slot;
  }

  private kick(key: string, slot: Slot): void {
    if (slot.running) return;
    // Writes begin at the next turn of the event loop, all together: the puts of every update routed
    // meanwhile (one per socket read, an ACK answer or a KV ack each) go out in one NATS write.
    slot.running = nextTurn().then(() => this.drain(key, slot)).finally(() => {
      slot.running = undefined;
      // A value queued between the drain's last look and now (kick saw it still running).
      if (slot.pending) this.kick(key, slot);
    });
  }

  /** Settle the waiters for values up to `seq`: stored (resolve) or dropped (reject). */
  private settle(key: string, slot: Slot, seq: number, outcome: 'stored' | 'dropped'): void {
    const due = slot.waiters.filter((w) => w.seq <= seq);
    slot.waiters = slot.waiters.filter((w) => w.seq > seq);
    for (const w of due) {
      if (outcome === 'stored') w.resolve();
      else w.reject(new StateNotSavedError(key, 'dropped'));
    }
  }

  private async apply(key: string, slot: Slot, job: Job): Promise<void> {
    if ('deleted' in job) {
      await this.store.delete(key);
      slot.revision = 0;
      return;
    }
    slot.revision ??= (await this.store.get(key))?.revision ?? 0;
    slot.revision = await this.store.put(key, job.value, slot.revision);
  }

  private async drain(key: string, slot: Slot): Promise<void> {
    for (let failures = 0; slot.pending; ) {
      // The value is taken once a put slot is ours: whatever was queued while waiting coalesces.
      const outcome = await this.gate.run(() => this.writeLatest(key, slot, failures));
      if (outcome === 'dropped') return;
      if (outcome === 'stored') failures = 0;
      else await new Promise((r) => setTimeout(r, Math.min(5000, 20 * 2 ** ++failures)));
    }
  }

  private async writeLatest(key: string, slot: Slot, failures: number): Promise<'stored' | 'dropped' | 'failed'> {
    const job = slot.pending;
    if (!job) return 'stored';
    slot.pending = undefined;
    if (!this.mayWrite()) return this.drop(key, slot, job, 'not the leader any more: dropping a queued state write');
    if (this.storeGone()) return this.drop(key, slot, job, 'state bucket destroyed or connection closed: dropping a queued state write');
    try {
      await this.apply(key, slot, job);
      slot.stored = job.seq;
      this.settle(key, slot, job.seq, 'stored');
      return 'stored';
    } catch (err) {
      slot.revision = undefined;
      // The bucket went away (uninstall) or the connection closed under the write: no retry can land it.
      if (this.storeGone()) return this.drop(key, slot, slot.pending ?? job, 'state bucket destroyed or connection closed: dropping a state write');
      slot.pending ??= job;
      if (!(err instanceof StateConflictError)) this.logger.warn({ key, err, failures: failures + 1 }, 'state write failed; retrying');
      return 'failed';
    }
  }

  /** Nobody acted on the write: whoever waits for it (flushed) is told, and does not act now. */
  private drop(key: string, slot: Slot, job: Job, why: string): 'dropped' {
    this.logger.warn({ key }, why);
    slot.pending = undefined;
    slot.dropped = job.seq;
    this.settle(key, slot, job.seq, 'dropped');
    return 'dropped';
  }

  private storeGone(): boolean {
    return (this.store as Partial<Pick<ServiceStateStore, 'gone'>>).gone === true;
  }
}

/**
 * A write barrier over every queue writing to `store` (the supervisor's and the pods'): resolves
 * once everything queued before the call is in KV (only `keys`, when given); rejects with
 * StateNotSavedError when any of it was dropped or `timeoutMs` passed first.
 */
export async function awaitDurable(store: ServiceStateStore, opts: { keys?: string[]; timeoutMs?: number } = {}): Promise<void> {
  const waits: Promise<void>[] = [];
  for (const q of queuesByStore.get(store) ?? []) {
    if (!opts.keys) waits.push(q.flushedAll(opts.timeoutMs));
    else for (const k of opts.keys) if (q.has(k)) waits.push(q.flushed(k, opts.timeoutMs));
  }
  await Promise.all(waits);
}
