import type { MesosSchedulerClient, Offer as MesosOffer } from '../mesos';
import type { Logger } from '../log/logger';
import type { Metrics } from '../observe/metrics';
import type { RescindedOffers } from './offer-handler-slices';
import { REFUSE_SECONDS_BUSY, REFUSE_SECONDS_IDLE } from './offer-handler-launch';

/** Most offers held at once. */
export const HOLD_MAX = 200;
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
  /** Whether an agent is reachable (ClusterState.reachable): a held offer of one that is not is not used again. */
  reachable?: (agentId: string) => boolean;
  metrics: Pick<Metrics, 'offers'>;
  logger: Logger;
  /** Divides HOLD_MS and HOLD_SWEEP_MS (simulated time). */
  timeScale?: number;
  now?: () => number;
}

/** What a held offer has to give (its agent's unused resources), by host. */
export interface HeldResources {
  cpus: number;
  mem: number;
  disk: number;
  ports: { begin: number; end: number }[];
}

const EMPTY: ReadonlyMap<string, HeldResources> = new Map();

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
  /** The subscription each batch of OFFERS came with (see `arrived`). */
  private readonly arrivals = new WeakMap<MesosOffer[], number>();
  /** The subscription the round in progress got its offers from. */
  private roundSubscription: number | undefined;
  /** When the offers of the round in progress were first held (kept by `keep`). */
  private pendingSince: Map<string, number> | undefined;
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

  /**
   * Hosts whose offers are held now, with what each offer has to give (a new volume is best
   * planned on one whose offer fits its pod: the pod launches on it at once).
   */
  hosts(): ReadonlyMap<string, HeldResources> {
    if (this.held.size === 0 || !this.current()) return EMPTY;
    return new Map([...this.held.values()].map((h) => [h.offer.hostname, resourcesOf(h.offer)]));
  }

  /**
   * OFFERS arrived (before their round is queued): they belong to the subscription current now.
   * A round that runs after a re-SUBSCRIBE holds none of them (the master took them back).
   */
  arrived(offers: MesosOffer[]): void {
    this.arrivals.set(offers, this.deps.subscription());
  }

  /** The master rescinded an offer: if held, it leaves the hold now (never used, never declined). */
  drop(offerId: string): void {
    if (!this.held.delete(offerId)) return;
    this.deps.rescinded?.forget([offerId]);
    if (this.held.size === 0) this.disarm();
  }

  /**
   * One round over what the master offered plus what is held. With nothing offered, a round on
   * the held offers alone (see `wantOffers`): if pods still wait after it, the scheduler REVIVEs.
   */
  async round(incoming: MesosOffer[]): Promise<void> {
    const stamp = this.arrivals.get(incoming) ?? this.deps.subscription();
    const held = this.take();
    const ids = new Set(incoming.map((o) => o.id.value));
    const offers = held.length === 0 ? incoming : [...incoming, ...held.filter((o) => !ids.has(o.offer.id.value)).map((h) => h.offer)];
    this.pendingSince = new Map(held.map((h) => [h.offer.id.value, h.since]));
    this.roundSubscription = stamp;
    try {
      if (offers.length === 0) {
        if (incoming.length === 0) await this.deps.revive();
        return;
      }
      const report = await this.deps.round(offers);
      if (incoming.length === 0 && report.waiting) await this.deps.revive();
    } finally {
      this.pendingSince = undefined;
      this.roundSubscription = undefined;
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

  /**
   * The end of a round: of its unused offers, keep some (spread over the list: offers come in
   * agent order, so a stride keeps different racks and zones) and return the rest to decline.
   */
  keep(unused: MesosOffer[]): MesosOffer[] {
    const client = this.deps.client();
    if (unused.length === 0 || !client || !this.deps.wanted()) return unused;
    // Offers of an earlier subscription are gone (declining them is a no-op at the master).
    if (this.roundSubscription !== undefined && this.roundSubscription !== this.deps.subscription()) return unused;
    const cap = Math.min(HOLD_MAX, Math.max(1, Math.floor(this.deps.agents() * HOLD_SHARE))) - this.held.size;
    if (cap <= 0) return unused;
    this.ownedBy(client);
    const now = this.now();
    const kept = new Set<number>();
    const stride = unused.length / Math.min(cap, unused.length);
    for (let i = 0; i < unused.length && kept.size < cap; i += stride) kept.add(Math.floor(i));
    const rest: MesosOffer[] = [];
    const before = this.held.size;
    unused.forEach((offer, i) => {
      const id = offer.id.value;
      // A RESCIND that came while the round ran: the offer is gone, neither kept nor declined.
      if (this.deps.rescinded?.has(id)) return;
      if (!kept.has(i)) return void rest.push(offer);
      const since = this.pendingSince?.get(id) ?? now;
      if (now - since >= this.holdMs) return void rest.push(offer);
      this.held.set(id, { offer, since });
    });
    this.deps.metrics.offers.inc({ outcome: 'held' }, this.held.size - before);
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
    const live = valid ? [...this.held.values()].filter((h) => !this.deps.rescinded?.has(h.offer.id.value)) : [];
    this.deps.rescinded?.forget(this.held.keys());
    this.held.clear();
    this.disarm();
    // An agent marked unreachable since (its RESCIND may still be on the way): its offer is not
    // read again, which would mark the agent reachable. Declined; a no-op if already rescinded.
    const reachable = this.deps.reachable;
    if (!reachable) return live;
    const stale = live.filter((h) => !reachable(h.offer.agent_id.value));
    if (stale.length > 0) void this.declineNow(stale.map((h) => h.offer.id.value), REFUSE_SECONDS_BUSY);
    return stale.length === 0 ? live : live.filter((h) => reachable(h.offer.agent_id.value));
  }

  private async decline(ids: string[], refuseSeconds: number): Promise<void> {
    const live = ids.filter((id) => this.held.delete(id) && !this.deps.rescinded?.has(id));
    this.deps.rescinded?.forget(ids);
    if (this.held.size === 0) this.disarm();
    await this.declineNow(live, refuseSeconds);
  }

  private async declineNow(live: string[], refuseSeconds: number): Promise<void> {
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

/** The resources of an offer as placement reads them (unreserved and reserved alike: the offer's). */
function resourcesOf(offer: MesosOffer): HeldResources {
  const out: HeldResources = { cpus: 0, mem: 0, disk: 0, ports: [] };
  for (const r of offer.resources ?? []) {
    if (r.name === 'ports') for (const range of r.ranges?.range ?? []) out.ports.push({ begin: Number(range.begin), end: Number(range.end) });
    else if (r.name === 'cpus' || r.name === 'mem' || r.name === 'disk') out[r.name] += r.scalar?.value ?? 0;
  }
  return out;
}
