import type { ServiceStateStore } from './state-store';
import { LeaseHeldError, StateConflictError } from './errors';

export interface LeaseRecord {
  holder: string;
  expiresAt: number;
}

export const LEASE_KEY = 'lease';

export interface LeaseOptions {
  holder: string;
  ttlMs: number;
  now?: () => number;
}

/**
 * A leader lease kept in the service's KV bucket. A second scheduler instance finds the lease
 * held and waits (LeaseHeldError, retryable) instead of acting. Renewal is a compare-and-set
 * on the revision we last wrote, so a paused leader that lost the lease finds out on renewal.
 */
export class LeaderLease {
  private revision = 0;
  private readonly now: () => number;

  constructor(
    private readonly store: ServiceStateStore,
    private readonly opts: LeaseOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  get holder(): string {
    return this.opts.holder;
  }

  /** Take the lease if it is free, expired or already ours; throws LeaseHeldError otherwise. */
  async acquire(): Promise<void> {
    const cur = await this.store.get<LeaseRecord>(LEASE_KEY);
    const now = this.now();
    if (cur && cur.value.holder !== this.opts.holder && cur.value.expiresAt > now) {
      throw new LeaseHeldError(cur.value.holder, cur.value.expiresAt);
    }
    try {
      this.revision = await this.store.put<LeaseRecord>(
        LEASE_KEY,
        { holder: this.opts.holder, expiresAt: now + this.opts.ttlMs },
        cur?.revision ?? 0,
      );
    } catch (err) {
      if (err instanceof StateConflictError) {
        const winner = await this.store.get<LeaseRecord>(LEASE_KEY);
        throw new LeaseHeldError(winner?.value.holder ?? 'unknown', winner?.value.expiresAt ?? now);
      }
      throw err;
    }
  }

  /** Extend the lease; throws LeaseHeldError when someone else took it meanwhile. */
  async renew(): Promise<void> {
    try {
      this.revision = await this.store.put<LeaseRecord>(
        LEASE_KEY,
        { holder: this.opts.holder, expiresAt: this.now() + this.opts.ttlMs },
        this.revision,
      );
    } catch (err) {
      if (!(err instanceof StateConflictError)) throw err;
      const cur = await this.store.get<LeaseRecord>(LEASE_KEY);
      if (cur && cur.value.holder === this.opts.holder) {
        this.revision = cur.revision;
        return this.renew();
      }
      throw new LeaseHeldError(cur?.value.holder ?? 'unknown', cur?.value.expiresAt ?? 0);
    }
  }

  /** Give the lease up on a clean shutdown, so a successor need not wait for expiry. */
  async release(): Promise<void> {
    const cur = await this.store.get<LeaseRecord>(LEASE_KEY);
    if (cur && cur.value.holder === this.opts.holder) await this.store.delete(LEASE_KEY);
  }
}
