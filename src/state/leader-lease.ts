import { bucketName, type ServiceStateStore } from './state-store';
import { LeaseHeldError, StateConflictError, StateOwnershipError } from './errors';

/** The bucket's owner record key (see bucket-owner.ts; repeated here to keep the import one-way). */
const OWNER_KEY = 'meta.owner';

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
  /** The owner record seen at the first acquire ('' = none): the bucket's identity. */
  private ownerSeen: string | undefined;

  constructor(
    private readonly store: ServiceStateStore,
    private readonly opts: LeaseOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  get holder(): string {
    return this.opts.holder;
  }

  /**
   * Take the lease if it is free, expired or already ours; throws LeaseHeldError otherwise.
   * Throws StateOwnershipError (not retryable) when the bucket's owner record is no longer the
   * one seen at the first acquire: the bucket was deleted and made again by someone else while
   * we ran, and its state is not ours to restore or act on (issue 10: a scheduler restored a
   * sandbox's state that had replaced its own and failed all its pods).
   */
  async acquire(): Promise<void> {
    await this.checkOwner();
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

  private async checkOwner(): Promise<void> {
    const rec = await this.store.get<unknown>(OWNER_KEY);
    const seen = rec ? JSON.stringify(rec.value) : '';
    if (this.ownerSeen === undefined || this.ownerSeen === '') {
      this.ownerSeen = seen;
      return;
    }
    if (seen !== this.ownerSeen) {
      const bucket = bucketName(this.store.service);
      throw new StateOwnershipError(
        `state bucket ${bucket} was replaced while this scheduler ran (owner record was ${this.ownerSeen}, now ${seen || 'missing'}); pxfw does not take over state it did not create: find what deleted the bucket, then restart this scheduler`,
        bucket,
        rec?.value ?? null,
      );
    }
  }

  /** Give the lease up on a clean shutdown, so a successor need not wait for expiry. */
  async release(): Promise<void> {
    const cur = await this.store.get<LeaseRecord>(LEASE_KEY);
    if (cur && cur.value.holder === this.opts.holder) await this.store.delete(LEASE_KEY);
  }
}
