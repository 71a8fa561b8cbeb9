import type { MesosSchedulerClient, Offer as MesosOffer } from '../mesos';
import type { Logger } from '../log/logger';
import type { Metrics } from '../observe/metrics';
import type { RescindedOffers } from './offer-handler-slices';
import { REFUSE_SECONDS_BUSY, REFUSE_SECONDS_IDLE } from './offer-handler-launch';

/** Most offers held at once. */
export const HOLD_MAX = 32;
/** Never more than this share of the cluster's agents (at least one offer). */
export const HOLD_SHARE = 0.1;
/** How long an offer is held at most before it is declined (divided by the time scale). */
export const HOLD_MS = 30_000;
/** How often held offers are looked at (expiry, deploy plan no longer in progress). */
export const HOLD_SWEEP_MS = 1_000;

export interface OfferHoldDeps {
  /** The subscribed client (undefined while not subscribed). */
  client(): MesosSchedulerClient | undefined;
  /** The current subscription (SchedulerConnection.subscription): offers of an earlier one are gone. */
  subscription(): number;
  /** Whether more pods will want offers soon: the supervisor is active with the deploy plan in progress. */
  wanted(): boolean;
  /** Agents the scheduler knows (the hold keeps at most HOLD_SHARE of them). */
  agents(): number;
  /** One offer round (handleOffers) over these offers, reporting whether pods still wait for offers. */
  round(offers: MesosOffer[]): Promise<{ waiting: boolean }>;
  /** Queue a round (OfferRounds.handle): rounds never overlap. */
  enqueue(offers: MesosOffer[]): void;
  revive(): Promise<unknown>;
  rescinded?: Pick<RescindedOffers, 'has' | 'forget'>;
  metrics: Pick<Metrics, 'offers'>;
  logger: Logger;
  /** Divides HOLD_MS and HOLD_SWEEP_MS (simulated time). */
  timeScale?: number;
  now?: () => number;
}

const EMPTY: ReadonlySet<string> = new Set();

interface Held {
  offer: MesosOffer;
  /** When it was first kept (held again after a round, it keeps this). */
  since: number;
}

/**
 * Offers kept between rounds while the deploy plan will want more of them, as Apache Aurora
 * holds offers. A serial deploy starts each pod once the previous one runs; without a hold every
 * step costs a REVIVE and a round of every agent's offer (2,000 offers: one pod placed, 1,999
 * declined, ~0.3 s of CPU between scheduler and master). With it, the next pod is placed on a
 * held offer at once, and only when none fits does the scheduler REVIVE.
 *
 * Bounded so that other frameworks are not starved: at most HOLD_MAX offers and HOLD_SHARE of
 * the agents, each for at most HOLD_MS, and all of them declined as soon as the deploy plan is no
 * longer in progress (complete, paused, uninstalling, standing by). The master may take a held
 * offer back (RESCIND: the agent was lost, or `--offer_timeout` passed): it leaves the hold. A
 * subscription's offers die with it (the master recovers them when the connection closes), so a
 * new subscription drops them without a DECLINE.
 */
export class OfferHold {
  private held = new Map<string, Held>();
  private owner: { client: MesosSchedulerClient; subscription: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly holdMs: number;
  private readonly sweepMs: number;

  constructor(private readonly deps: OfferHoldDeps) {
    this.now = deps.now ?? Date.now;
    const scale = deps.timeScale ?? 1;
    this.holdMs = HOLD_MS / scale;
    this.sweepMs = HOLD_SWEEP_MS / scale;
  }

  get size(): number {
    return this.held.size;
  }

  /** Hosts whose offers are held now (a new volume is best planned on one: its pod launches at once). */
  hosts(): ReadonlySet<string> {
    if (this.held.size === 0 || !this.current()) return EMPTY;
    return new Set([...this.held.values()].map((h) => h.offer.hostname));
  }

  /**
   * One round over what the master offered plus what is held. With nothing offered, a round on
   * the held offers alone (see `wantOffers`): if pods still wait after it, the scheduler REVIVEs.
   */
  async round(incoming: MesosOffer[]): Promise<void> {
    const held = this.take();
    const ids = new Set(incoming.map((o) => o.id.value));
    const offers = held.length === 0 ? incoming : [...incoming, ...held.filter((o) => !ids.has(o.offer.id.value)).map((h) => h.offer)];
    const since = new Map(held.map((h) => [h.offer.id.value, h.since]));
    this.pendingSince = since;
    try {
      if (offers.length === 0) {
        if (incoming.length === 0) await this.deps.revive();
        return;
      }
      const report = await this.deps.round(offers);
      if (incoming.length === 0 && report.waiting) await this.deps.revive();
    } finally {
      this.pendingSince = undefined;
    }
  }

  /** The supervisor wants offers: place from held offers if there are any, else REVIVE. */
  wantOffers(): void {
    if (this.held.size === 0) {
      void this.deps.revive();
      return;
    }
    this.deps.enqueue([]);
  }

  /** When the offers of the round in progress were first held (kept by `keep`). */
  private pendingSince: Map<string, number> | undefined;

  /**
   * The end of a round: of its unused offers, keep some (spread over the list: offers come in
   * agent order, so a stride keeps different racks and zones) and return the rest to decline.
   */
  keep(unused: MesosOffer[]): MesosOffer[] {
    const client = this.deps.client();
    if (unused.length === 0 || !client || !this.deps.wanted()) return unused;
    const cap = Math.min(HOLD_MAX, Math.max(1, Math.floor(this.deps.agents() * HOLD_SHARE))) - this.held.size;
    if (cap <= 0) return unused;
    this.ownedBy(client);
    const now = this.now();
    const kept = new Set<number>();
    const stride = unused.length / Math.min(cap, unused.length);
    for (let i = 0; i < unused.length && kept.size < cap; i += stride) kept.add(Math.floor(i));
    const rest: MesosOffer[] = [];
    unused.forEach((offer, i) => {
      if (!kept.has(i)) return void rest.push(offer);
      const id = offer.id.value;
      const since = this.pendingSince?.get(id) ?? now;
      if (now - since >= this.holdMs) return void rest.push(offer);
      this.held.set(id, { offer, since });
    });
    this.deps.metrics.offers.inc({ outcome: 'held' }, unused.length - rest.length);
    this.arm();
    return rest;
  }

  /**
   * Level-triggered upkeep (every HOLD_SWEEP_MS while offers are held): a subscription that ended
   * drops them, a deploy plan no longer in progress declines them all, an expired one is declined.
   */
  async sweep(): Promise<void> {
    if (this.held.size === 0) return this.disarm();
    if (!this.current()) {
      this.held.clear();
      return this.disarm();
    }
    const all = !this.deps.wanted();
    const now = this.now();
    const gone = [...this.held.values()].filter((h) => all || now - h.since >= this.holdMs).map((h) => h.offer.id.value);
    await this.decline(gone, all ? REFUSE_SECONDS_IDLE : REFUSE_SECONDS_BUSY);
  }

  /** Decline every held offer (stopping, stepping down with the connection still up). */
  async release(): Promise<void> {
    if (this.current()) await this.decline([...this.held.keys()], REFUSE_SECONDS_IDLE);
    this.held.clear();
    this.disarm();
  }

  /** The held offers still valid, taken out of the hold (a rescinded one is forgotten). */
  private take(): Held[] {
    if (this.held.size === 0) return [];
    const valid = this.current();
    const out = valid ? [...this.held.values()].filter((h) => !this.deps.rescinded?.has(h.offer.id.value)) : [];
    this.deps.rescinded?.forget(this.held.keys());
    this.held.clear();
    this.disarm();
    return out;
  }

  private async decline(ids: string[], refuseSeconds: number): Promise<void> {
    const live = ids.filter((id) => this.held.delete(id) && !this.deps.rescinded?.has(id));
    this.deps.rescinded?.forget(ids);
    if (this.held.size === 0) this.disarm();
    const client = this.owner?.client;
    if (live.length === 0 || !client) return;
    this.deps.metrics.offers.inc({ outcome: 'declined' }, live.length);
    try {
      await client.decline(live, refuseSeconds);
    } catch (err) {
      // The master keeps an offer whose DECLINE was lost until it rescinds it (--offer_timeout)
      // or the connection closes; there is nothing to retry with once it is out of the hold.
      this.deps.logger.warn({ err, offers: live.length }, 'could not decline held offers');
    }
  }

  /** The held offers belong to the subscription that is current now. */
  private current(): boolean {
    const o = this.owner;
    return o !== undefined && this.deps.client() === o.client && this.deps.subscription() === o.subscription;
  }

  private ownedBy(client: MesosSchedulerClient): void {
    const subscription = this.deps.subscription();
    if (this.owner?.client === client && this.owner.subscription === subscription) return;
    this.held.clear();
    this.owner = { client, subscription };
  }

  private arm(): void {
    if (this.timer || this.held.size === 0) return;
    this.timer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.deps.logger.warn({ err }, 'held offers upkeep failed'));
    }, this.sweepMs);
    this.timer.unref?.();
  }

  private disarm(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
