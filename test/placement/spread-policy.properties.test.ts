import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildPlacementIndex,
  evaluateOffers,
  constraintHolds,
  prepareStageContext,
  type ClusterView,
  type Offer,
  type StageContext,
  type PlacementConstraint,
  type PodRequest,
  type SpreadPolicy,
  type StorageHealth,
} from '../../src/placement';
import { makeCluster, makeRequest } from './fixtures';

const constraintArb: fc.Arbitrary<PlacementConstraint> = fc.oneof(
  fc.constant<PlacementConstraint>({ field: 'hostname', operator: 'UNIQUE' }),
  fc.constant<PlacementConstraint>({ field: '@zone', operator: 'GROUP_BY' }),
  fc.constant<PlacementConstraint>({ field: 'rack', operator: 'GROUP_BY' }),
  fc.integer({ min: 1, max: 2 }).map((n): PlacementConstraint => ({ field: '@zone', operator: 'MAX_PER', value: String(n) })),
);

/** A replacement: some pods of the type run, the pod's data has replicas on a few hosts, one host is lost. */
const replacementArb = fc.record({
  agents: fc.integer({ min: 2, max: 12 }),
  zones: fc.integer({ min: 1, max: 4 }),
  health: fc.array(fc.constantFrom<StorageHealth>('up', 'up', 'up', 'down'), { minLength: 12, maxLength: 12 }),
  siblings: fc.array(fc.nat(11), { maxLength: 5 }),
  holders: fc.array(fc.nat(11), { minLength: 1, maxLength: 3 }),
  constraints: fc.array(constraintArb, { minLength: 1, maxLength: 2 }),
  spread: fc.constantFrom<SpreadPolicy>('keep', 'break'),
  mode: fc.constantFrom<'soft' | 'hard'>('soft', 'hard'),
  expired: fc.boolean(),
});

/** Every constraint holds on the offer's agent, whatever the spread policy. */
function strictlyHold(offer: Offer, ctx: Pick<StageContext, 'constraints' | 'request' | 'index'>): boolean {
  return ctx.constraints.every((c) => constraintHolds(c, offer, ctx.request.podType, ctx.index));
}

type Replacement = typeof replacementArb extends fc.Arbitrary<infer T> ? T : never;

function build(s: Replacement): { view: ClusterView; request: PodRequest; offers: ReturnType<typeof makeCluster>['offers'] } {
  const { view, offers } = makeCluster({ agents: s.agents, racks: s.zones, zones: s.zones });
  const storage: ClusterView['storage'] = {};
  view.agents.forEach((a, i) => (storage[a.hostname] = s.health[i]!));
  const agents = view.agents.map((a, i) => {
    const pods = s.siblings.map((h, k) => [h % s.agents, k] as const).filter(([h]) => h === i).map(([, k]) => `node-${k + 1}`);
    return pods.length > 0 ? { ...a, pods: { node: pods } } : a;
  });
  const request = makeRequest({
    constraints: s.constraints,
    volumes: [{ name: 'svc-node-0-data', exists: true, replicaHosts: [...new Set(s.holders.map((h) => `agent-${h % s.agents}`))] }],
    convergence: { mode: s.mode, softWaitExpired: s.expired },
    spread: s.spread,
  });
  return { view: { agents, storage }, request, offers };
}

describe('spread policy properties (a replacement whose data sits where a constraint is crowded)', () => {
  it('keep never places a pod where a constraint fails', () => {
    fc.assert(
      fc.property(replacementArb, (s) => {
        const { view, request, offers } = build({ ...s, spread: 'keep' });
        const result = evaluateOffers(request, offers, view);
        if (!result.chosen) return;
        const index = buildPlacementIndex(view);
        const ctx = prepareStageContext(request, index);
        const offer = offers.find((o) => o.offerId === result.chosen!.offerId)!;
        expect(strictlyHold(offer, ctx)).toBe(true);
        expect(result.chosen.breaks).toBeUndefined();
      }),
      { numRuns: 400 },
    );
  });

  it('break breaks a constraint only on a holder of the data, only when no up holder keeps them all, and names exactly what it breaks', () => {
    fc.assert(
      fc.property(replacementArb, (s) => {
        const { view, request, offers } = build({ ...s, spread: 'break' });
        const result = evaluateOffers(request, offers, view);
        const ctx = prepareStageContext(request, buildPlacementIndex(view));
        for (const ev of result.evaluations) {
          if (!ev.pass) continue;
          const offer = offers.find((o) => o.offerId === ev.offerId)!;
          const failing = ctx.constraints.filter((c) => !strictlyHold(offer, { ...ctx, constraints: [c] })).map((c) => c.text);
          if (failing.length === 0) {
            expect(ev.breaks).toBeUndefined();
            continue;
          }
          expect(request.volumes[0]!.replicaHosts).toContain(ev.hostname);
          expect(view.storage[ev.hostname]).toBe('up');
          expect(ctx.holders.keeping).toEqual([]);
          expect(ev.breaks).toEqual(failing);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('with a holder that keeps every constraint, break and keep choose alike', () => {
    fc.assert(
      fc.property(replacementArb, (s) => {
        const keep = build({ ...s, spread: 'keep' });
        const ctx = prepareStageContext(keep.request, buildPlacementIndex(keep.view));
        fc.pre(ctx.holders.keeping.length > 0 || ctx.holders.hosts.length === 0);
        const broken = build({ ...s, spread: 'break' });
        expect(evaluateOffers(broken.request, broken.offers, broken.view).chosen).toEqual(evaluateOffers(keep.request, keep.offers, keep.view).chosen);
      }),
      { numRuns: 300 },
    );
  });

  it('summary mode agrees with full mode under both policies, broken constraints included', () => {
    fc.assert(
      fc.property(replacementArb, (s) => {
        const { view, request, offers } = build(s);
        const full = evaluateOffers(request, offers, view);
        const fast = evaluateOffers(request, offers, view, { detail: 'summary' });
        expect(fast.chosen).toEqual(full.chosen);
        expect(fast.evaluations.map((e) => [e.offerId, e.pass, e.score])).toEqual(full.evaluations.map((e) => [e.offerId, e.pass, e.score]));
      }),
      { numRuns: 300 },
    );
  });
});
