import type { AcquireLeaseOutput } from '../../../machines/framework.types';
import type { Logger } from '../../log/logger';
import { LeaseHeldError } from '../../state/errors';
import type { LeaderLease } from '../../state/leader-lease';
import { LeaseKeeper } from '../lease-keeper';

/** Whether this instance leads the service (only the leader writes state and talks to Mesos). */
export interface Leadership {
  readonly leading: boolean;
  /** Bumped on every step-down: work started as leader stops once it changed. */
  readonly generation: number;
}

/**
 * The adapter over the leader lease in KV: owns `leading`. Acquiring starts the renewals
 * (every third of the TTL); losing the lease, or failing to renew it in time, calls `lost`.
 */
export class LeaseLeadership implements Leadership {
  private isLeading = false;
  private gen = 0;
  private readonly keeper: LeaseKeeper;

  constructor(
    private readonly lease: LeaderLease,
    ttlMs: number,
    private readonly logger: Logger,
    lost: () => void,
  ) {
    this.keeper = new LeaseKeeper(lease, ttlMs, logger, lost);
  }

  get leading(): boolean {
    return this.isLeading;
  }

  get generation(): number {
    return this.gen;
  }

  get holder(): string {
    return this.lease.holder;
  }

  /** The acquireLease effect: take the lease, or say who holds it. */
  async acquire(): Promise<AcquireLeaseOutput> {
    try {
      await this.lease.acquire();
      this.isLeading = true;
      // Renewed from now on, also on the paths that never subscribe (an uninstall finished offline,
      // the tombstone): an uninstalled scheduler keeps leading, so only one answers `reinstall`.
      this.keep();
      return { acquired: true, holder: this.lease.holder };
    } catch (err) {
      if (err instanceof LeaseHeldError) return { acquired: false, holder: err.holder };
      throw err;
    }
  }

  /** Renew the lease (idempotent). */
  keep(): void {
    this.keeper.start();
  }

  /** Stop leading: renewals stop, work of the old generation sees it. */
  stepDown(): void {
    this.gen += 1;
    this.isLeading = false;
    this.keeper.stop();
  }

  stopRenewing(): void {
    this.keeper.stop();
  }

  /** On a clean stop: hand over at once instead of making the successor wait out the TTL. */
  async release(): Promise<void> {
    if (this.isLeading) await this.lease.release().catch((err: unknown) => this.logger.warn({ err }, 'could not release the leader lease'));
    this.isLeading = false;
  }
}
