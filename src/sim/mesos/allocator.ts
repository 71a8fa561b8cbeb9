import type { Master } from './master';
import { containsRes, isAllocatable, isEmptyRes, type Res, addRes } from './resources';
import type { Json, SimAgent, SimFramework, SimOffer } from './state';
import { offerWire } from './wire';

/**
 * The offer loop: every allocation interval, each registered agent's unused, unoffered resources
 * go as one offer to one eligible framework (round-robin), and each framework gets all of its new
 * offers of the round in a single OFFERS event. Cost per round is O(agents × frameworks).
 *
 * As in Mesos' hierarchical allocator, a REVIVE and a framework subscribing also ask for an
 * allocation run at once (`generateOffers()` in `reviveOffers`, `addFramework`,
 * `activateFramework`; requests made before it runs share it), besides the periodic one. Resources
 * a framework declines or leaves unused are not reoffered at once: they wait for the next periodic
 * run after their filter (Mesos allocates on resource recovery only at the next interval,
 * MESOS-3078).
 */
export class Allocator {
  private timer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Immediate | undefined;
  private rr = 0;

  constructor(private readonly master: Master) {}

  start(): void {
    this.timer = setInterval(() => this.round(), this.master.ms(this.master.opts.allocationIntervalSeconds));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.pending) clearImmediate(this.pending);
    this.pending = undefined;
  }

  /** An allocation run as soon as the allocator gets to it (Mesos `generateOffers()`); one for all requests made meanwhile. */
  soon(): void {
    if (this.pending || !this.timer) return;
    this.pending = setImmediate(() => {
      this.pending = undefined;
      this.round();
    });
  }

  /** One allocation round; exposed so tests and the control API can force one. */
  round(): void {
    const m = this.master;
    const candidates = [...m.frameworks.values()].filter((f) => f.connected && !f.suppressed);
    if (candidates.length === 0) return;
    const now = Date.now();
    const batches = new Map<SimFramework, Json[]>();
    const start = this.rr++ % candidates.length;
    for (const agent of m.agents.values()) {
      if (agent.state !== 'registered' || !hasAllocatableScalars(agent)) continue;
      // A crashed host looks alive to the master until the ping timeouts (unless told otherwise).
      if (agent.hostDown && !m.opts.offerCrashedAgents) continue;
      const avail = m.available(agent);
      if (isEmptyRes(avail) || !isAllocatable(avail)) continue;
      const fw = this.pick(candidates, start, agent, avail, now);
      if (!fw) continue;
      const offer = this.createOffer(fw, agent, avail);
      let batch = batches.get(fw);
      if (!batch) batches.set(fw, (batch = []));
      batch.push(offerWire(offer, agent, fw));
    }
    for (const [fw, offers] of batches) m.sendToFramework(fw, { type: 'OFFERS', offers: { offers } });
  }

  private pick(candidates: SimFramework[], start: number, agent: SimAgent, avail: Res, now: number): SimFramework | undefined {
    for (let i = 0; i < candidates.length; i++) {
      const fw = candidates[(start + i) % candidates.length]!;
      // Agents outside the master's region are offered only to REGION_AWARE frameworks.
      if (agent.region !== this.master.opts.region && !fw.regionAware) continue;
      const filter = fw.filters.get(agent.id);
      if (filter) {
        if (filter.until <= now) fw.filters.delete(agent.id);
        else if (containsRes(filter.resources, avail)) continue;
      }
      return fw;
    }
    return undefined;
  }

  private createOffer(fw: SimFramework, agent: SimAgent, resources: Res): SimOffer {
    const m = this.master;
    const offer: SimOffer = { id: m.ids.offerId(), frameworkId: fw.id, agentId: agent.id, resources, role: fw.role };
    m.offers.set(offer.id, offer);
    fw.offers.add(offer.id);
    agent.offers.add(offer.id);
    agent.offered = addRes(agent.offered, resources);
    const timeout = m.opts.offerTimeoutSeconds;
    if (timeout !== undefined) {
      offer.timer = setTimeout(() => m.removeOffer(offer, true), m.ms(timeout));
      offer.timer.unref();
    }
    return offer;
  }

  /** DECLINE: drop the offers and refuse their resources on those agents for refuse_seconds. */
  decline(fw: SimFramework, offerIds: string[], refuseSeconds: number | undefined): void {
    for (const id of offerIds) {
      const offer = this.master.offers.get(id);
      if (!offer || offer.frameworkId !== fw.id) continue;
      this.master.removeOffer(offer, false);
      this.addFilter(fw, offer.agentId, offer.resources, refuseSeconds);
    }
  }

  /** Filters also cover what an ACCEPT left unused (Mesos applies the accept's filters). */
  addFilter(fw: SimFramework, agentId: string, resources: Res, refuseSeconds: number | undefined): void {
    const seconds = refuseSeconds ?? 5;
    if (!(seconds > 0) || isEmptyRes(resources)) return;
    // Never shorter than one allocation interval, so a filter outlives the next run (MESOS-4302).
    const lasts = Math.max(seconds, this.master.opts.allocationIntervalSeconds);
    fw.filters.set(agentId, { until: Date.now() + this.master.ms(lasts), resources });
  }

  /** REVIVE: clear the framework's filters, unsuppress it and allocate at once (Mesos `reviveOffers`). */
  revive(fw: SimFramework): void {
    fw.filters.clear();
    fw.suppressed = false;
    this.soon();
  }

  suppress(fw: SimFramework): void {
    fw.suppressed = true;
  }
}

/** Cheap pre-check on scalars only, so busy agents cost no range arithmetic each round. */
function hasAllocatableScalars(a: SimAgent): boolean {
  const left = (name: string): number =>
    (a.total.scalars[name] ?? 0) - (a.used.scalars[name] ?? 0) - (a.offered.scalars[name] ?? 0);
  return left('cpus') >= 0.01 || left('mem') >= 32;
}
