import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlacementError, placeReplicas, type PlacementCandidate } from '../../src/sim/portworx';

const nodeArb = fc.record({
  rack: fc.constantFrom('r0', 'r1', 'r2', 'r3'),
  zone: fc.constantFrom('z0', 'z1'),
  online: fc.boolean(),
  freeBytes: fc.integer({ min: 0, max: 100 }),
});
const clusterArb = fc
  .array(nodeArb, { minLength: 1, maxLength: 12 })
  .map((ns): PlacementCandidate[] =>
    ns.map((n, i) => ({ id: `n${i}`, online: n.online, freeBytes: n.freeBytes, topology: { rack: n.rack, zone: n.zone, region: 'g' } })),
  );

describe('replica placement', () => {
  it('with a distinct node pinned for every replica, sees only those nodes: same choice, same error as with every node (what createVolume reads)', () => {
    fc.assert(
      fc.property(clusterArb, fc.array(fc.integer({ min: 0, max: 14 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 60 }), (nodes, picks, size) => {
        const pinned = [...new Set(picks.map((i) => `n${i}`))];
        const outcome = (from: PlacementCandidate[]) => {
          try {
            return placeReplicas({ nodes: from, count: pinned.length, sizeBytes: size, pinned });
          } catch (err) {
            return (err as Error).message;
          }
        };
        const onlyPinned = pinned.flatMap((id) => nodes.filter((n) => n.id === id));
        expect(outcome(onlyPinned)).toEqual(outcome(nodes));
      }),
    );
  });

  it('never puts two replicas on one node, nor one on an offline or full node', () => {
    fc.assert(
      fc.property(clusterArb, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 60 }), (nodes, count, size) => {
        const eligible = nodes.filter((n) => n.online && n.freeBytes >= size);
        if (eligible.length < count) {
          expect(() => placeReplicas({ nodes, count, sizeBytes: size })).toThrow(PlacementError);
          return;
        }
        const chosen = placeReplicas({ nodes, count, sizeBytes: size });
        expect(chosen).toHaveLength(count);
        expect(new Set(chosen).size).toBe(count);
        for (const id of chosen) expect(eligible.map((n) => n.id)).toContain(id);
      }),
    );
  });

  it('uses as many different racks as the eligible nodes allow', () => {
    fc.assert(
      fc.property(clusterArb, fc.integer({ min: 1, max: 3 }), (nodes, count) => {
        const eligible = nodes.filter((n) => n.online && n.freeBytes >= 1);
        fc.pre(eligible.length >= count);
        const racks = new Set(eligible.map((n) => n.topology.rack)).size;
        const chosen = placeReplicas({ nodes, count, sizeBytes: 1 });
        const chosenRacks = new Set(chosen.map((id) => nodes.find((n) => n.id === id)!.topology.rack)).size;
        expect(chosenRacks).toBe(Math.min(count, racks));
      }),
    );
  });

  it('places pinned nodes first and adds only the missing replicas next to existing ones', () => {
    const nodes: PlacementCandidate[] = ['a', 'b', 'c', 'd'].map((id, i) => ({
      id,
      online: true,
      freeBytes: 10,
      topology: { rack: `r${i % 2}`, zone: 'z', region: 'g' },
    }));
    expect(placeReplicas({ nodes, count: 2, sizeBytes: 1, pinned: ['c'] })).toEqual(['c', 'b']);
    expect(placeReplicas({ nodes, count: 3, sizeBytes: 1, existing: ['a', 'b'] })).toHaveLength(1);
    expect(() => placeReplicas({ nodes, count: 1, sizeBytes: 1, pinned: ['zz'] })).toThrow(/node zz is not part of this cluster/);
    expect(() => placeReplicas({ nodes, count: 1, sizeBytes: 11, pinned: ['a'] })).toThrow(/has 10 bytes free/);
  });
});
