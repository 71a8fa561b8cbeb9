import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { planHost } from '../../src/controller/volume-planner';
import { agentIdOf, clusterOf, demoSpec, hosts } from './fixtures';

describe('planHost (where a new pod instance\'s volumes go before any offer is at hand)', () => {
  const spec = demoSpec({ count: 3 });

  it('picks a host outside `avoid` (a sibling\'s failover targets) whenever one fits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.integer({ min: 0, max: 7 }),
        (n, racks, avoidMask, keep) => {
          const shape = hosts(n, racks);
          // Leave at least one host free.
          const avoid = new Set(shape.filter((h, i) => avoidMask[i] && i !== keep % n).map((h) => h.host));
          const view = clusterOf(shape).view(new Map());
          const chosen = planHost(spec, 'node', 0, view, avoid);
          return !avoid.has(chosen) && shape.some((h) => h.host === chosen);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('lands on the only host left free, for whichever host that is', () => {
    const shape = hosts(4);
    const view = clusterOf(shape).view(new Map());
    for (const free of shape) {
      const avoid = new Set(shape.filter((h) => h !== free).map((h) => h.host));
      expect(planHost(spec, 'node', 0, view, avoid)).toBe(free.host);
    }
  });

  it('falls back to an avoided host when every other host fails a constraint', () => {
    // hostname:UNIQUE and siblings on h0 and h1: only h2 fits, and h2 is to be avoided.
    const unique = demoSpec({ count: 3, placement: ['hostname:UNIQUE'] });
    const shape = hosts(3);
    const pods = new Map([
      [agentIdOf('h0'), { node: ['node-1'] }],
      [agentIdOf('h1'), { node: ['node-2'] }],
    ]);
    const view = clusterOf(shape).view(pods);
    expect(planHost(unique, 'node', 0, view, new Set(['h2']))).toBe('h2');
  });

  it('falls back to the avoided hosts when all of them are avoided', () => {
    const shape = hosts(3);
    const view = clusterOf(shape).view(new Map());
    const chosen = planHost(spec, 'node', 0, view, new Set(shape.map((h) => h.host)));
    expect(shape.map((h) => h.host)).toContain(chosen);
  });
});
