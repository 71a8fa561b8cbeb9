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

/**
 * Writes the latest value of each key to KV with compare-and-set, one write in flight per key;
 * values written meanwhile coalesce into the next write. A conflict means another writer (a
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

  constructor(
    private readonly store: ServiceStateStore,
    private readonly logger: Logger,
    /** False once we no longer lead: a deposed leader's queued writes are dropped, not forced. */
    private readonly mayWrite: () => boolean = () => true,
  ) {
    let group = queuesByStore.get(store);
    if (!group) queuesByStore.set(store, (group = new Set()));
    group.add(this);
  }

  write(key: string, value: unknown): void {
    this.enqueue(key, { value: JSON.parse(JSON.stringify(value)) as unknown, seq: 0 });
  }

  async delete(key: string): Promise<void> {
    this.enqueue(key, { deleted: true, seq: 0 });
    await this.flush(key);
  }

  /** Wait until no write of the key is in flight (whether it was stored or dropped). */
  async flush(key: string): Promise<void> {
    const slot = this.slots.get(key);
    while (slot?.running) await slot.running;
  }

  async flushAll(): Promise<void> {
    await Promise.all([...this.slots.keys()].map((k) => this.flush(k)));
  }

  /**
   * Resolves once the key's value queued so far (or a newer one) is in KV; rejects with
   * StateNotSavedError if that write was dropped, or after `timeoutMs` (when given).
   */
  flushed(key: string, timeoutMs?: number): Promise<void> {
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
    await Promise.all([...this.slots.keys()].map((k) => this.flushed(k, timeoutMs)));
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
    slot.running = this.drain(key, slot).finally(() => {
      slot.running = undefined;
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

  private async drain(key: string, slot: Slot): Promise<void> {
    for (let failures = 0; slot.pending; ) {
      const job = slot.pending;
      slot.pending = undefined;
      if (!this.mayWrite()) {
        // Nobody acted on it: whoever waits for it (flushed) is told, and does not act now.
        this.logger.warn({ key }, 'not the leader any more: dropping a queued state write');
        slot.dropped = job.seq;
        this.settle(key, slot, job.seq, 'dropped');
        return;
      }
      try {
        if ('deleted' in job) {
          await this.store.delete(key);
          slot.revision = 0;
        } else {
          slot.revision ??= (await this.store.get(key))?.revision ?? 0;
          slot.revision = await this.store.put(key, job.value, slot.revision);
        }
        failures = 0;
        slot.stored = job.seq;
        this.settle(key, slot, job.seq, 'stored');
      } catch (err) {
        slot.pending ??= job;
        slot.revision = undefined;
        failures += 1;
        if (!(err instanceof StateConflictError)) this.logger.warn({ key, err, failures }, 'state write failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(5000, 20 * 2 ** failures)));
      }
    }
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
