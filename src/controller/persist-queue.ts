import type { Logger } from '../log/logger';
import { StateConflictError } from '../state/errors';
import type { ServiceStateStore } from '../state/state-store';

interface Slot {
  revision: number | undefined;
  pending: { value: unknown } | { deleted: true } | undefined;
  running: Promise<void> | undefined;
}

/**
 * Writes the latest value of each key to KV with compare-and-set, one write in flight per key;
 * values written meanwhile coalesce into the next write. A conflict means another writer (a
 * second scheduler) touched our state: we re-read the revision and write ours over it only
 * because the leader lease says the state is ours.
 */
export class PersistQueue {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly store: ServiceStateStore,
    private readonly logger: Logger,
    /** False once we no longer lead: a deposed leader's queued writes are dropped, not forced. */
    private readonly mayWrite: () => boolean = () => true,
  ) {}

  write(key: string, value: unknown): void {
    const slot = this.slot(key);
    slot.pending = { value: JSON.parse(JSON.stringify(value)) as unknown };
    this.kick(key, slot);
  }

  async delete(key: string): Promise<void> {
    const slot = this.slot(key);
    slot.pending = { deleted: true };
    this.kick(key, slot);
    await this.flush(key);
  }

  async flush(key: string): Promise<void> {
    const slot = this.slots.get(key);
    while (slot?.running) await slot.running;
  }

  async flushAll(): Promise<void> {
    await Promise.all([...this.slots.keys()].map((k) => this.flush(k)));
  }

  private slot(key: string): Slot {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { revision: undefined, pending: undefined, running: undefined };
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

  private async drain(key: string, slot: Slot): Promise<void> {
    for (let failures = 0; slot.pending; ) {
      const job = slot.pending;
      slot.pending = undefined;
      if (!this.mayWrite()) {
        this.logger.warn({ key }, 'not the leader any more: dropping a queued state write');
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
