import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPlacementIndex, evaluateOffers, immutableOffer, PlacementMemory, type PlacementConstraint } from '../../src/placement';
import { RoundFacts } from '../../src/placement/round-facts';
import { makeCluster, makeRequest } from './fixtures';

const FIELDS = ['hostname', 'rack', '@zone'] as const;

describe('RoundFacts: what explanations read of a round, kept as it changes', () => {
  it('a count reads as it was at each version from when it was kept; before that it is unknown', () => {
    const facts = new RoundFacts();
    facts.keepCount('node', 'rack', 'rack-1', 2);
    const kept = facts.version;
    facts.tick();
    facts.changed('node', 'rack', 'rack-1', 3);
    facts.changed('node', 'rack', 'rack-2', 1); // not tracked: ignored
    const after = facts.version;
    expect(facts.countAt(kept, 'node', 'rack', 'rack-1')).toBe(2);
    expect(facts.countAt(after, 'node', 'rack', 'rack-1')).toBe(3);
    expect(facts.countAt(after, 'node', 'rack', 'rack-2')).toBeUndefined();
    expect(facts.countAt(kept - 1, 'node', 'rack', 'rack-1')).toBeUndefined();
  });

  it('property: a count kept at any point of a round of placements and removals reads, at that point, what the index counted then', () => {
    const opArb = fc.oneof(
      fc.record({ kind: fc.constant('place' as const), pod: fc.nat(9), agent: fc.nat(11) }),
      fc.record({ kind: fc.constant('remove' as const), pod: fc.nat(9) }),
      fc.record({ kind: fc.constant('keep' as const), agent: fc.nat(11), field: fc.constantFrom(...FIELDS) }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.nat(5), (ops, startAt) => {
        const { view } = makeCluster({ agents: 12, racks: 3, zones: 2 });
        view.agents[0]!.pods = { node: ['node-9'] };
        const index = buildPlacementIndex(view);
        const seen: { version: number; field: string; value: string; count: number }[] = [];
        ops.forEach((op, n) => {
          // The facts begin at some point of the round (the first pod remembered).
          const facts = n >= startAt ? index.roundFacts() : undefined;
          if (op.kind === 'place') index.recordPlacement('node', `node-${op.pod}`, view.agents[op.agent]!);
          else if (op.kind === 'remove') index.removePlacement(`node-${op.pod}`);
          else if (facts) {
            const agent = view.agents[op.agent]!;
            const value = op.field === 'hostname' ? agent.hostname : op.field === 'rack' ? agent.domain.rack! : agent.domain.zone!;
            const live = index.count('node', op.field, value);
            if (!facts.hasCount('node', op.field, value)) facts.keepCount('node', op.field, value, live);
            seen.push({ version: facts.version, field: op.field, value, count: live });
          }
        });
        const facts = index.roundFacts();
        for (const s of seen) expect(facts.countAt(s.version, 'node', s.field, s.value)).toBe(s.count);
      }),
      { numRuns: 300 },
    );
  });

  it('a host whose agent the index learns mid-round: pods remembered before show it without a rack, pods after with it', () => {
    const { view, offers } = makeCluster({ agents: 4, racks: 2 });
    // agent-3 offers, but the round's view does not know its agent yet.
    view.agents.pop();
    const index = buildPlacementIndex(view);
    const memory = new PlacementMemory({ now: () => new Date(0), maxOffersPerPod: 10 });
    const constraints: PlacementConstraint[] = [{ field: 'hostname', operator: 'UNIQUE' }];
    evaluateOffers(makeRequest({ index: 0, constraints }), offers, index, { memory, detail: 'summary', trusted: true });
    // A pod lands on agent-3: the index learns its agent (rack-1).
    index.recordPlacement('node', 'node-7', { agentId: offers[3]!.agentId, hostname: 'agent-3', domain: { rack: 'rack-1' }, attributes: { rack: 'rack-1' } });
    evaluateOffers(makeRequest({ index: 1, constraints }), offers, index, { memory, detail: 'summary', trusted: true });
    expect(memory.get('node-0')!.racks['agent-3']).toBeUndefined();
    expect(memory.get('node-1')!.racks['agent-3']).toBe('rack-1');
    expect(memory.explain('node-1').join('\n')).toContain('agent-3 (rack-1): FAIL constraints');
  });

  it('pods of one type whose constraints name other fields (the same list, changed in place) are each explained as judged', () => {
    const { view, offers: plain } = makeCluster({ agents: 6, racks: 2 });
    // Immutable, as the offer handler's: a kept offer is the offer itself, not a copy.
    const offers = plain.map((o) => immutableOffer(o));
    const index = buildPlacementIndex(view);
    const lazy = new PlacementMemory({ now: () => new Date(0), maxOffersPerPod: 10 });
    const eager = new PlacementMemory({ now: () => new Date(0), maxOffersPerPod: 10 });
    const constraints: PlacementConstraint[] = [{ field: 'hostname', operator: 'UNIQUE' }];
    // Both pass everywhere: the second pod keeps the very offers the first kept, in the same places.
    for (const [n, c] of [[0, { field: 'hostname', operator: 'UNIQUE' }], [1, { field: 'rack', operator: 'MAX_PER', value: '5' }]] as const) {
      constraints[0] = c;
      const request = makeRequest({ index: n, constraints });
      evaluateOffers(request, offers, index, { memory: eager, detail: 'full' });
      evaluateOffers(request, offers, index, { memory: lazy, detail: 'summary', trusted: true });
    }
    expect(lazy.explain('node-1')).toEqual(eager.explain('node-1'));
    expect(lazy.get('node-1')!.chosen!.reasons.join('\n')).toContain('rack:MAX_PER:5 holds: 0 of at most 5 node pods on rack=rack-0');
  });
});
