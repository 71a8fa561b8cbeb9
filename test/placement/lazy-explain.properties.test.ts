import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPlacementIndex, evaluateOffers, immutableOffer, PlacementMemory, type Offer, type PlacementConstraint, type StorageHealth } from '../../src/placement';
import { makeCluster, makeRequest } from './fixtures';

const constraintArb: fc.Arbitrary<PlacementConstraint> = fc.oneof(
  fc.constant<PlacementConstraint>({ field: 'hostname', operator: 'UNIQUE' }),
  fc.constant<PlacementConstraint>({ field: 'rack', operator: 'GROUP_BY' }),
  fc.constant<PlacementConstraint>({ field: '@zone', operator: 'GROUP_BY' }),
  fc.integer({ min: 1, max: 3 }).map((n): PlacementConstraint => ({ field: 'rack', operator: 'MAX_PER', value: String(n) })),
  fc.constant<PlacementConstraint>({ field: 'rack', operator: 'CLUSTER' }),
  fc.integer({ min: 0, max: 3 }).map((n): PlacementConstraint => ({ field: '@zone', operator: 'IS_NOT', value: `zone-${n}` })),
);

const roundArb = fc.record({
  agents: fc.integer({ min: 1, max: 20 }),
  racks: fc.integer({ min: 1, max: 4 }),
  zones: fc.integer({ min: 1, max: 3 }),
  health: fc.array(fc.constantFrom<StorageHealth>('up', 'up', 'up', 'down'), { minLength: 20, maxLength: 20 }),
  constraints: fc.array(constraintArb, { maxLength: 3 }),
  pods: fc.array(fc.record({ holders: fc.array(fc.nat(22), { maxLength: 2 }), exists: fc.boolean(), cpus: fc.double({ min: 0.5, max: 3, noNaN: true }) }), { minLength: 1, maxLength: 8 }),
  mode: fc.constantFrom<'soft' | 'hard'>('soft', 'hard'),
  expired: fc.boolean(),
  spread: fc.constantFrom<'keep' | 'break'>('keep', 'break'),
  maxOffers: fc.integer({ min: 1, max: 30 }),
});

type Round = typeof roundArb extends fc.Arbitrary<infer R> ? R : never;

/**
 * Place the round's pods twice over the same offers: a full evaluation (reasons at decision time)
 * and the hot path's summary (reasons built when read). `shrink` is how the round takes a landed
 * pod's resources: off the offer object itself, or by replacing a frozen offer in the list.
 */
function explainBothWays(r: Round, frozen: boolean): { eager: PlacementMemory; lazy: PlacementMemory } {
  const { view, offers } = makeCluster({ agents: r.agents, racks: r.racks, zones: r.zones, cpus: 4 });
  view.agents.forEach((a, i) => (view.storage[a.hostname] = r.health[i]!));
  const freeze = (o: Offer): Offer => immutableOffer({ ...o, ports: o.ports.map((p) => ({ ...p })) });
  const round = frozen ? offers.map(freeze) : offers;
  const index = buildPlacementIndex(view);
  const now = () => new Date(0);
  const lazy = new PlacementMemory({ now, maxOffersPerPod: r.maxOffers });
  const eager = new PlacementMemory({ now, maxOffersPerPod: r.maxOffers });
  r.pods.forEach((p, n) => {
    const request = makeRequest({
      index: n,
      cpus: p.cpus,
      constraints: r.constraints,
      spread: r.spread,
      volumes: [{ name: `svc-node-${n}-data`, exists: p.exists, replicaHosts: p.exists ? p.holders.map((h) => `agent-${h}`) : [] }],
      convergence: { mode: r.mode, softWaitExpired: r.expired },
    });
    // The eager memory words every reason now, before the round changes anything.
    const full = evaluateOffers(request, round, index, { detail: 'full', memory: eager });
    const fast = evaluateOffers(request, round, index, { detail: 'summary', memory: lazy, trusted: true });
    expect(fast.chosen?.offerId).toBe(full.chosen?.offerId);
    if (!fast.chosen) return;
    // The round goes on: the pod lands, its offer shrinks, the index counts it.
    const at = round.findIndex((o) => o.offerId === fast.chosen!.offerId);
    const offer = round[at]!;
    if (frozen) round[at] = freeze({ ...offer, cpus: offer.cpus - request.cpus });
    else offer.cpus -= request.cpus;
    index.recordPlacement(request.podType, `node-${n}`, offer);
  });
  return { eager, lazy };
}

describe('debug offers explains lazily (only when read) exactly what held at decision time', () => {
  it('an immutable offer cannot be changed (the round replaces it instead)', () => {
    const offer = immutableOffer(makeCluster({ agents: 1 }).offers[0]!);
    expect(() => ((offer as Offer).cpus = 0)).toThrow(TypeError);
    expect(() => offer.ports.push({ begin: 1, end: 2 })).toThrow(TypeError);
    expect(() => ((offer.ports[0] as { end: number }).end = 1)).toThrow(TypeError);
  });

  it('a summary-mode memory read after the round says what a full evaluation said when each pod was placed', () => {
    fc.assert(
      fc.property(roundArb, fc.boolean(), (r, frozen) => {
        const { eager, lazy } = explainBothWays(r, frozen);
        for (const pod of eager.pods()) {
          expect(lazy.explain(pod)).toEqual(eager.explain(pod));
          expect(lazy.get(pod)).toEqual(eager.get(pod));
        }
      }),
      { numRuns: 300 },
    );
  });
});
