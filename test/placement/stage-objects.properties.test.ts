import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildPlacementIndex,
  prepareStageContext,
  STAGES,
  volumeLocalityStage,
  type ClusterView,
  type Offer,
  type PlacementConstraint,
  type PodRequest,
  type StorageHealth,
} from '../../src/placement';
import { makeCluster, makeRequest } from './fixtures';

// Every constraint operator, on fields some agents lack (rack is dropped from some offers below).
const constraintArb: fc.Arbitrary<PlacementConstraint> = fc.oneof(
  fc.constantFrom<PlacementConstraint>(
    { field: 'hostname', operator: 'UNIQUE' },
    { field: 'rack', operator: 'GROUP_BY' },
    { field: '@zone', operator: 'GROUP_BY', value: '4' },
    { field: 'rack', operator: 'CLUSTER' },
    { field: '@zone', operator: 'CLUSTER', value: 'zone-1' },
    { field: 'rack', operator: 'IS', value: 'rack-0' },
  ),
  fc.integer({ min: 1, max: 3 }).map((n): PlacementConstraint => ({ field: 'hostname', operator: 'MAX_PER', value: String(n) })),
  fc.integer({ min: 0, max: 3 }).map((n): PlacementConstraint => ({ field: 'rack', operator: 'LIKE', value: `rack-[0-${n}]` })),
  fc.integer({ min: 0, max: 3 }).map((n): PlacementConstraint => ({ field: 'rack', operator: 'UNLIKE', value: `rack-${n}` })),
  fc.integer({ min: 0, max: 3 }).map((n): PlacementConstraint => ({ field: '@zone', operator: 'IS_NOT', value: `zone-${n}` })),
);

const offerArb = fc.record({
  cpus: fc.double({ min: 0, max: 4, noNaN: true }),
  mem: fc.integer({ min: 0, max: 4096 }),
  disk: fc.integer({ min: 0, max: 2000 }),
  portsEnd: fc.integer({ min: 30999, max: 31010 }),
  noRack: fc.boolean(),
});

const inputArb = fc.record({
  agents: fc.integer({ min: 1, max: 12 }),
  racks: fc.integer({ min: 1, max: 4 }),
  zones: fc.integer({ min: 1, max: 3 }),
  offers: fc.array(offerArb, { minLength: 12, maxLength: 12 }),
  health: fc.array(fc.constantFrom<StorageHealth>('up', 'up', 'down', 'absent'), { minLength: 12, maxLength: 12 }),
  placed: fc.array(fc.tuple(fc.nat(11), fc.nat(5)), { maxLength: 10 }),
  constraints: fc.array(constraintArb, { maxLength: 3 }),
  volumes: fc.array(fc.record({ exists: fc.boolean(), holders: fc.array(fc.nat(14), { maxLength: 3 }) }), { maxLength: 2 }),
  request: fc.record({
    cpus: fc.double({ min: 0.1, max: 3, noNaN: true }),
    mem: fc.integer({ min: 1, max: 3000 }),
    disk: fc.integer({ min: 0, max: 1500 }),
    ports: fc.integer({ min: 0, max: 8 }),
    fixedPorts: fc.array(fc.integer({ min: 31000, max: 31012 }), { maxLength: 2 }),
    spread: fc.constantFrom<'keep' | 'break'>('keep', 'break'),
    mode: fc.constantFrom<'soft' | 'hard'>('soft', 'hard'),
    expired: fc.boolean(),
  }),
});

type Input = typeof inputArb extends fc.Arbitrary<infer T> ? T : never;

function build(s: Input): { view: ClusterView; offers: Offer[]; request: PodRequest } {
  const cluster = makeCluster({ agents: s.agents, racks: s.racks, zones: s.zones });
  const storage: ClusterView['storage'] = {};
  cluster.view.agents.forEach((a, i) => {
    if (s.health[i] !== 'absent') storage[a.hostname] = s.health[i]!;
  });
  const agents = cluster.view.agents.map((a, i) => {
    const pods = s.placed.filter(([host]) => host % s.agents === i).map(([, n]) => `node-${n + 1}`);
    return pods.length ? { ...a, pods: { node: [...new Set(pods)] } } : a;
  });
  const offers = cluster.offers.map((o, i): Offer => {
    const g = s.offers[i]!;
    const attributes = g.noRack ? {} : o.attributes;
    return { ...o, cpus: g.cpus, mem: g.mem, disk: g.disk, ports: [{ begin: 31000, end: g.portsEnd }], attributes };
  });
  const r = s.request;
  const request = makeRequest({
    cpus: r.cpus,
    mem: r.mem,
    disk: r.disk,
    ports: r.ports,
    fixedPorts: r.fixedPorts,
    spread: r.spread,
    constraints: s.constraints,
    volumes: s.volumes.map((v, i) => ({
      name: `svc-node-0-v${i}`,
      exists: v.exists,
      replicaHosts: v.exists ? [...new Set(v.holders.map((h) => `agent-${h}`))] : [],
    })),
    convergence: { mode: r.mode, softWaitExpired: r.expired },
  });
  return { view: { agents, storage }, offers, request };
}

describe('placement stage objects', () => {
  it('for every stage, fits (the hot path) says exactly what explain says', () => {
    fc.assert(
      fc.property(inputArb, (s) => {
        const { view, offers, request } = build(s);
        const ctx = prepareStageContext(request, buildPlacementIndex(view));
        for (const offer of offers) {
          for (const stage of STAGES) {
            const outcome = stage.explain(offer, ctx);
            expect(stage.fits(offer, ctx), `${stage.name} on ${offer.hostname}: ${outcome.reason}`).toBe(outcome.pass);
            expect(outcome.stage).toBe(stage.name);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the locality stage scores the same on the hot path as in its explanation', () => {
    fc.assert(
      fc.property(inputArb, (s) => {
        const { view, offers, request } = build(s);
        const ctx = prepareStageContext(request, buildPlacementIndex(view));
        const out = { pass: false, score: 0 };
        for (const offer of offers) {
          const { pass, score } = volumeLocalityStage.explain(offer, ctx);
          expect(volumeLocalityStage.judge(offer, ctx, out)).toEqual({ pass, score });
        }
      }),
      { numRuns: 200 },
    );
  });
});
