import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPlacementIndex, evaluateOffers, offersByHost, PlacementMemory, type Offer, type PlacementConstraint, type StorageHealth } from '../../src/placement';
import { makeCluster, makeRequest } from './fixtures';

/*
 * The offer handler passes the round's offers by host: a pod that may only go to a host holding
 * every one of its volumes (hard convergence, or soft while max_wait runs and each volume has a
 * holder up) looks at those hosts' offers only. It must decide, score, keep and explain exactly
 * as the full evaluation of every offer does, while the round's offers shrink as pods land.
 */

const constraintArb: fc.Arbitrary<PlacementConstraint> = fc.oneof(
  fc.constant<PlacementConstraint>({ field: 'hostname', operator: 'UNIQUE' }),
  fc.constant<PlacementConstraint>({ field: 'rack', operator: 'GROUP_BY' }),
  fc.integer({ min: 1, max: 3 }).map((n): PlacementConstraint => ({ field: 'rack', operator: 'MAX_PER', value: String(n) })),
  fc.integer({ min: 0, max: 3 }).map((n): PlacementConstraint => ({ field: '@zone', operator: 'IS_NOT', value: `zone-${n}` })),
);

const volumeArb = fc.record({ holders: fc.array(fc.nat(22), { maxLength: 3 }), exists: fc.boolean() });

const roundArb = fc.record({
  agents: fc.integer({ min: 1, max: 20 }),
  racks: fc.integer({ min: 1, max: 4 }),
  zones: fc.integer({ min: 1, max: 3 }),
  health: fc.array(fc.constantFrom<StorageHealth>('up', 'up', 'up', 'down', 'absent'), { minLength: 20, maxLength: 20 }),
  constraints: fc.array(constraintArb, { maxLength: 2 }),
  pods: fc.array(fc.record({ volumes: fc.array(volumeArb, { minLength: 1, maxLength: 3 }), cpus: fc.double({ min: 0.5, max: 3, noNaN: true }) }), { minLength: 1, maxLength: 8 }),
  mode: fc.constantFrom<'soft' | 'hard'>('soft', 'hard'),
  expired: fc.boolean(),
  spread: fc.constantFrom<'keep' | 'break'>('keep', 'break'),
  maxOffers: fc.integer({ min: 1, max: 30 }),
});

describe('evaluateOffers with the round offers by host (the replica-holder shortcut)', () => {
  it('chooses, scores, keeps and explains exactly what the full evaluation of every offer does', () => {
    fc.assert(
      fc.property(roundArb, (r) => {
        const { view, offers } = makeCluster({ agents: r.agents, racks: r.racks, zones: r.zones, cpus: 4 });
        view.agents.forEach((a, i) => (view.storage[a.hostname] = r.health[i]!));
        const index = buildPlacementIndex(view);
        const byHost = offersByHost(offers);
        // As in handleOffers: the offers not used yet; a launched offer leaves the list.
        const available: Offer[] = offers.slice();
        const now = () => new Date(0);
        const eager = new PlacementMemory({ now, maxOffersPerPod: r.maxOffers });
        const lazy = new PlacementMemory({ now, maxOffersPerPod: r.maxOffers });
        r.pods.forEach((p, n) => {
          const request = makeRequest({
            index: n,
            cpus: p.cpus,
            constraints: r.constraints,
            spread: r.spread,
            volumes: p.volumes.map((v, k) => ({ name: `svc-node-${n}-v${k}`, exists: v.exists, replicaHosts: v.exists ? [...new Set(v.holders.map((h) => `agent-${h}`))] : [] })),
            convergence: { mode: r.mode, softWaitExpired: r.expired },
          });
          const full = evaluateOffers(request, available, index, { detail: 'full', memory: eager });
          const fast = evaluateOffers(request, available, index, { detail: 'summary', memory: lazy, trusted: true, offersByHost: byHost });
          expect(fast.chosen).toEqual(full.chosen);
          expect(fast.evaluations.map((e) => [e.offerId, e.pass, e.score])).toEqual(full.evaluations.map((e) => [e.offerId, e.pass, e.score]));
          if (!fast.chosen) return;
          const offer = available.find((o) => o.offerId === fast.chosen!.offerId)!;
          available.splice(available.indexOf(offer), 1);
          index.recordPlacement(request.podType, `node-${n}`, offer);
        });
        for (const pod of eager.pods()) {
          expect(lazy.explain(pod)).toEqual(eager.explain(pod));
          expect(lazy.get(pod)).toEqual(eager.get(pod));
        }
      }),
      { numRuns: 400 },
    );
  });
});
