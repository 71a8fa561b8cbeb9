import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bestOffer,
  buildPlacementIndex,
  evaluateOffer,
  evaluateOffers,
  prepareStageContext,
  STAGES,
  type ClusterView,
  type PlacementConstraint,
  type PodRequest,
  type StorageHealth,
} from '../../src/placement';
import { makeCluster, makeRequest } from './fixtures';

const constraintArb: fc.Arbitrary<PlacementConstraint> = fc.oneof(
  fc.constant<PlacementConstraint>({ field: 'hostname', operator: 'UNIQUE' }),
  fc.constant<PlacementConstraint>({ field: 'rack', operator: 'GROUP_BY' }),
  fc.constant<PlacementConstraint>({ field: '@zone', operator: 'GROUP_BY' }),
  fc.integer({ min: 1, max: 3 }).map((n): PlacementConstraint => ({ field: 'rack', operator: 'MAX_PER', value: String(n) })),
  fc.integer({ min: 0, max: 3 }).map((n): PlacementConstraint => ({ field: 'rack', operator: 'LIKE', value: `rack-[0-${n}]` })),
  fc.integer({ min: 0, max: 3 }).map((n): PlacementConstraint => ({ field: '@zone', operator: 'IS_NOT', value: `zone-${n}` })),
  fc.constant<PlacementConstraint>({ field: 'rack', operator: 'CLUSTER' }),
);

const scenarioArb = fc.record({
  agents: fc.integer({ min: 1, max: 25 }),
  racks: fc.integer({ min: 1, max: 5 }),
  zones: fc.integer({ min: 1, max: 3 }),
  health: fc.array(fc.constantFrom<StorageHealth>('up', 'up', 'up', 'down', 'absent'), { minLength: 25, maxLength: 25 }),
  placed: fc.array(fc.tuple(fc.nat(24), fc.nat(9)), { maxLength: 15 }),
  constraints: fc.array(constraintArb, { maxLength: 3 }),
  holders: fc.array(fc.nat(30), { maxLength: 3 }),
  exists: fc.boolean(),
  mode: fc.constantFrom<'soft' | 'hard'>('soft', 'hard'),
  expired: fc.boolean(),
  cpus: fc.double({ min: 0.1, max: 10, noNaN: true }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function scenario(s: Scenario) {
  const { view, offers } = makeCluster({ agents: s.agents, racks: s.racks, zones: s.zones, cpus: 4 });
  const storage: ClusterView['storage'] = {};
  view.agents.forEach((a, i) => {
    if (s.health[i] !== 'absent') storage[a.hostname] = s.health[i]!;
  });
  const agents = view.agents.map((a, i) => {
    const pods = s.placed.filter(([host]) => host % s.agents === i).map(([, n]) => `node-${n + 1}`);
    return pods.length ? { ...a, pods: { node: [...new Set(pods)] } } : a;
  });
  const request: PodRequest = makeRequest({
    cpus: s.cpus,
    constraints: s.constraints,
    volumes: [{ name: 'svc-node-0-data', exists: s.exists, replicaHosts: s.exists ? s.holders.map((h) => `agent-${h}`) : [] }],
    convergence: { mode: s.mode, softWaitExpired: s.expired },
  });
  return { view: { agents, storage }, offers, request };
}

describe('placement properties', () => {
  it('the chosen offer passes every stage and no passing offer scores higher', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { view, offers, request } = scenario(s);
        const result = evaluateOffers(request, offers, view);
        if (!result.chosen) {
          expect(result.evaluations.every((e) => !e.pass)).toBe(true);
          return;
        }
        const offer = offers.find((o) => o.offerId === result.chosen!.offerId)!;
        const ctx = prepareStageContext(request, buildPlacementIndex(view));
        for (const stage of STAGES) expect(stage.explain(offer, ctx).pass).toBe(true);
        const best = Math.max(...result.evaluations.filter((e) => e.pass).map((e) => e.score));
        expect(result.chosen.score).toBe(best);
      }),
      { numRuns: 300 },
    );
  });

  it('summary mode (the allocation-free fast path) agrees with full mode offer by offer', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { view, offers, request } = scenario(s);
        const full = evaluateOffers(request, offers, view);
        const fast = evaluateOffers(request, offers, view, { detail: 'summary' });
        expect(fast.chosen).toEqual(full.chosen);
        expect(fast.evaluations.map((e) => [e.offerId, e.pass, e.score])).toEqual(full.evaluations.map((e) => [e.offerId, e.pass, e.score]));
        const withOutcomes = fast.evaluations.filter((e) => e.outcomes.length > 0).map((e) => e.offerId);
        expect(withOutcomes).toEqual(fast.chosen ? [fast.chosen.offerId] : []);
      }),
      { numRuns: 300 },
    );
  });

  it('bestOffer (the choice alone, no verdicts kept) chooses the offer full mode chooses, with its score, and leaves the index as it was', () => {
    fc.assert(
      fc.property(scenarioArb, fc.boolean(), (s, placedItself) => {
        const { view, offers, request } = scenario(s);
        // The pod itself may be recorded already (a relaunch in place): not counted against it.
        const index = buildPlacementIndex(view);
        if (placedItself && view.agents.length > 0) index.recordPlacement('node', `node-${request.index}`, view.agents[0]!);
        const before = index.count('node', 'hostname', view.agents[0]?.hostname ?? '');
        const full = evaluateOffers(request, offers, index);
        const best = bestOffer(request, offers, index);
        expect(best?.offer.offerId).toBe(full.chosen?.offerId);
        expect(best?.score).toBe(full.chosen?.score);
        expect(index.count('node', 'hostname', view.agents[0]?.hostname ?? '')).toBe(before);
      }),
      { numRuns: 300 },
    );
  });

  it('chooses what the reference ranking chooses: every offer judged fully, passing ones sorted by score, rack, zone and host counts, agentId, offerId', () => {
    fc.assert(
      fc.property(scenarioArb, fc.boolean(), (s, shuffled) => {
        const { view, offers: ordered, request } = scenario(s);
        // Offer order must not matter (ties are broken by ids, not by position).
        const offers = shuffled ? ordered.slice().reverse() : ordered;
        const index = buildPlacementIndex(view);
        const ctx = prepareStageContext(request, index);
        const count = (field: string, value: string | undefined) => (value === undefined ? 0 : index.count(request.podType, field, value));
        const key = (o: (typeof offers)[number]) => [count('rack', o.attributes.rack ?? o.domain.rack), count('@zone', o.domain.zone), count('hostname', o.hostname)];
        const passing = offers.map((o) => ({ o, ev: evaluateOffer(o, ctx) })).filter((x) => x.ev.pass);
        passing.sort((a, b) => {
          if (a.ev.score !== b.ev.score) return b.ev.score - a.ev.score;
          const [ka, kb] = [key(a.o), key(b.o)];
          for (let k = 0; k < 3; k++) if (ka[k] !== kb[k]) return ka[k]! - kb[k]!;
          if (a.o.agentId !== b.o.agentId) return a.o.agentId < b.o.agentId ? -1 : 1;
          return a.o.offerId < b.o.offerId ? -1 : a.o.offerId > b.o.offerId ? 1 : 0;
        });
        const expected = passing[0]?.o.offerId;
        expect(evaluateOffers(request, offers, view).chosen?.offerId).toBe(expected);
        expect(evaluateOffers(request, offers, buildPlacementIndex(view), { detail: 'summary' }).chosen?.offerId).toBe(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('with hostname:UNIQUE a sequence of placements never puts two pods of a type on one host', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.constantFrom('node', 'seed'), { minLength: 1, maxLength: 40 }),
        (agents, racks, types) => {
          const { view, offers } = makeCluster({ agents, racks, zones: 2 });
          const index = buildPlacementIndex(view);
          const where = new Map<string, string[]>();
          types.forEach((podType, i) => {
            const req = makeRequest({ podType, index: i, constraints: [{ field: 'hostname', operator: 'UNIQUE' }, { field: '@zone', operator: 'GROUP_BY' }] });
            const result = evaluateOffers(req, offers, index);
            if (!result.chosen) return;
            const offer = offers.find((o) => o.offerId === result.chosen!.offerId)!;
            index.recordPlacement(podType, `${podType}-${i}`, offer);
            const key = `${podType}@${offer.hostname}`;
            where.set(key, [...(where.get(key) ?? []), `${podType}-${i}`]);
          });
          for (const pods of where.values()) expect(pods).toHaveLength(1);
          // every host that could take a pod of a type got one before any placement failed
          for (const t of new Set(types)) {
            const wanted = types.filter((x) => x === t).length;
            const got = [...where.keys()].filter((k) => k.startsWith(`${t}@`)).length;
            expect(got).toBe(Math.min(wanted, agents));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('GROUP_BY keeps the groups within one pod of each other', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 30 }), (agents, racks, pods) => {
        const { view, offers } = makeCluster({ agents, racks, zones: 1 });
        const index = buildPlacementIndex(view);
        const perRack = new Map<string, number>();
        for (let i = 0; i < pods; i++) {
          const result = evaluateOffers(makeRequest({ index: i, constraints: [{ field: 'rack', operator: 'GROUP_BY' }] }), offers, index);
          const offer = offers.find((o) => o.offerId === result.chosen!.offerId)!;
          index.recordPlacement('node', `node-${i}`, offer);
          perRack.set(offer.attributes.rack!, (perRack.get(offer.attributes.rack!) ?? 0) + 1);
        }
        const racksInUse = new Set(view.agents.map((a) => a.domain.rack)).size;
        const counts = [...perRack.values()];
        while (counts.length < racksInUse) counts.push(0);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 100 },
    );
  });

  it('the incremental index agrees with counting from scratch after any record/remove sequence', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.tuple(fc.boolean(), fc.nat(7), fc.nat(15)), { maxLength: 60 }),
        (agents, ops) => {
          const { view } = makeCluster({ agents, racks: 3, zones: 2 });
          const index = buildPlacementIndex(view);
          const truth = new Map<string, string>(); // instance → hostname
          for (const [add, pod, host] of ops) {
            const instance = `node-${pod}`;
            if (add) {
              const agent = view.agents[host % agents]!;
              index.recordPlacement('node', instance, agent);
              truth.set(instance, agent.hostname);
            } else {
              index.removePlacement(instance);
              truth.delete(instance);
            }
          }
          for (const field of ['hostname', 'rack', '@zone'] as const) {
            const valueOf = (h: string) => {
              const a = view.agents.find((x) => x.hostname === h)!;
              return field === 'hostname' ? h : field === 'rack' ? a.domain.rack! : a.domain.zone!;
            };
            const values = new Set(view.agents.map((a) => valueOf(a.hostname)));
            const counts = [...values].map((v) => [...truth.values()].filter((h) => valueOf(h) === v).length);
            [...values].forEach((v, i) => expect(index.count('node', field, v)).toBe(counts[i]));
            expect(index.minGroupCount('node', field)).toBe(Math.min(...counts));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
