import type { Logger } from '../log/logger';
import type { LeaderLease } from '../state/leader-lease';

/**
 * Keeps the leader lease while we lead: renews it every third of its TTL; losing it, or failing
 * to renew in time, calls `lost` (the runtime sends LEASE_LOST to the supervisor, which steps down).
 */
export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly lease: LeaderLease,
    private readonly ttlMs: number,
    private readonly logger: Logger,
    private readonly lost: () => void,
  ) {}

  /** Idempotent. */
  start(): void {
    if (this.timer) return;
    const ttl = this.ttlMs;
    let lastRenewed = Date.now();
    this.timer = setInterval(() => {
      if (Date.now() - lastRenewed > ttl) {
        this.logger.warn({ ttlMs: ttl }, 'leader lease not renewed in time: standing down');
        this.lost();
        return;
      }
      this.lease.renew().then(
        () => (lastRenewed = Date.now()),
        (err: unknown) => {
          this.logger.warn({ err }, 'leader lease lost');
          this.lost();
        },
      );
    }, Math.max(10, ttl / 3));
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
