import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplacementGovernor, type GovernorEvent, type ReplacementPhase } from '../../src/controller/replacement-governor';

const MIN = 60_000;

function rig(opts: { max?: number; share?: number; minNodes?: number; windowMs?: number } = {}) {
  let now = 0;
  const granted: string[] = [];
  const events: GovernorEvent[] = [];
  const gov = new ReplacementGovernor({
    policy: () => ({ maxConcurrentReplacements: opts.max ?? 1, maxUnavailable: 1 }),
    outage: { share: opts.share ?? 0.4, minNodes: opts.minNodes ?? 2, windowMs: opts.windowMs ?? MIN },
    grant: (pod) => granted.push(pod),
    emit: (e) => events.push(e),
    now: () => now,
  });
  const hosts = (n: number, offline: string[] = []) =>
    Array.from({ length: n }, (_, i) => `agent-${i + 1}`).map((hostname) => ({ hostname, online: !offline.includes(hostname) }));
  return { gov, granted, events, hosts, advance: (ms: number) => (now += ms) };
}

const pod = (name: string, podType = 'node') => ({ name, podType });

describe('replacement governor: at most max_concurrent_replacements per pod type', () => {
  it('grants the first waiting pod at once and queues the next until the first is done', () => {
    const { gov, granted } = rig();
    gov.track(pod('node-0'), 'waiting');
    gov.track(pod('node-1'), 'waiting');
    expect(granted).toEqual(['node-0']);
    expect(gov.status()).toMatchObject({ active: ['node-0'], queued: ['node-1'] });
    gov.track(pod('node-0'), 'replacing');
    expect(granted).toEqual(['node-0']);
    gov.track(pod('node-0'), 'done');
    expect(granted).toEqual(['node-0', 'node-1']);
  });

  it('counts each pod type on its own', () => {
    const { gov, granted } = rig();
    gov.track(pod('journal-0', 'journal'), 'waiting');
    gov.track(pod('data-0', 'data'), 'waiting');
    expect(granted).toEqual(['journal-0', 'data-0']);
  });

  it('a pod restored mid-replacement holds its slot after a scheduler restart', () => {
    const { gov, granted } = rig();
    gov.track(pod('node-2'), 'replacing');
    gov.track(pod('node-0'), 'waiting');
    expect(granted).toEqual([]);
    gov.track(pod('node-2'), 'done');
    expect(granted).toEqual(['node-0']);
  });

  it('is idempotent: the same phase reported twice grants once', () => {
    const { gov, granted, events } = rig();
    gov.track(pod('node-0'), 'waiting');
    gov.track(pod('node-0'), 'waiting');
    gov.track(pod('node-1'), 'done');
    expect(granted).toEqual(['node-0']);
    expect(events.filter((e) => e.kind === 'queued')).toHaveLength(1);
  });

  it('an operator replace is granted at once, past the limit, and takes a slot', () => {
    const { gov, granted } = rig();
    gov.track(pod('node-0'), 'waiting');
    gov.track({ ...pod('node-1'), operator: true }, 'waiting');
    gov.track(pod('node-2'), 'waiting');
    expect(granted).toEqual(['node-0', 'node-1']);
    gov.track(pod('node-0'), 'done');
    expect(granted).toEqual(['node-0', 'node-1']);
    gov.track(pod('node-1'), 'done');
    expect(granted).toEqual(['node-0', 'node-1', 'node-2']);
  });

  it('mayDisrupt allows deliberate disruption only below max_unavailable', () => {
    const { gov } = rig();
    expect(gov.mayDisrupt('node', 0)).toBe(true);
    expect(gov.mayDisrupt('node', 1)).toBe(false);
  });

  it('never has more active replacements of a type than allowed, whatever the order (property)', () => {
    const step = fc.record({
      pod: fc.integer({ min: 0, max: 5 }),
      type: fc.constantFrom('a', 'b'),
      phase: fc.constantFrom<ReplacementPhase>('waiting', 'replacing', 'done'),
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.array(step, { maxLength: 60 }), (max, steps) => {
        const { gov } = rig({ max });
        const types = new Map<string, string>();
        for (const s of steps) {
          const name = `p-${s.pod}`;
          const type = types.get(name) ?? s.type;
          types.set(name, type);
          // Only a granted pod moves on to replacing (as the pod machine does).
          if (s.phase === 'replacing' && !gov.status().active.includes(name)) continue;
          gov.track({ name, podType: type }, s.phase);
          const active = gov.status().active;
          for (const t of ['a', 'b']) expect(active.filter((n) => types.get(n) === t).length).toBeLessThanOrEqual(max);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('replacement governor: a burst of offline storage nodes pauses automatic replacement', () => {
  it('one host of three offline is a host failure, not an outage', () => {
    const { gov, hosts, granted } = rig();
    gov.observeStorage(hosts(3, ['agent-1']));
    gov.track(pod('node-0'), 'waiting');
    expect(gov.status().paused).toBe(false);
    expect(granted).toEqual(['node-0']);
  });

  it('three of six nodes offline within the window pause it, say why, and grant nothing', () => {
    const { gov, hosts, granted, events } = rig();
    gov.observeStorage(hosts(6));
    gov.observeStorage(hosts(6, ['agent-1', 'agent-2', 'agent-3']));
    gov.track(pod('node-0'), 'waiting');
    expect(granted).toEqual([]);
    const status = gov.status();
    expect(status.paused).toBe(true);
    expect(status.reason).toMatch(/3 of 6 Portworx nodes went offline within 60 s/);
    expect(events.map((e) => e.kind)).toEqual(['paused', 'queued']);
  });

  it('two of six offline stays under the share: replacements go on one at a time', () => {
    const { gov, hosts, granted } = rig();
    gov.observeStorage(hosts(6, ['agent-1', 'agent-2']));
    gov.track(pod('node-0'), 'waiting');
    gov.track(pod('node-1'), 'waiting');
    expect(gov.status().paused).toBe(false);
    expect(granted).toEqual(['node-0']);
  });

  it('nodes failing one by one, further apart than the window, do not pause it', () => {
    const { gov, hosts, advance } = rig();
    gov.observeStorage(hosts(6, ['agent-1']));
    advance(2 * MIN);
    gov.observeStorage(hosts(6, ['agent-1', 'agent-2']));
    advance(2 * MIN);
    gov.observeStorage(hosts(6, ['agent-1', 'agent-2', 'agent-3']));
    expect(gov.status().paused).toBe(false);
  });

  it('resumes once the offline share is back within the threshold, and grants the waiting pods', () => {
    const { gov, hosts, granted, events, advance } = rig();
    gov.observeStorage(hosts(6, ['agent-1', 'agent-2', 'agent-3']));
    gov.track(pod('node-0'), 'waiting');
    advance(5 * MIN);
    // Still three offline long after the burst: the pause holds (cleared by the level, not the window).
    gov.observeStorage(hosts(6, ['agent-1', 'agent-2', 'agent-3']));
    expect(gov.status().paused).toBe(true);
    gov.observeStorage(hosts(6, ['agent-1', 'agent-2']));
    expect(gov.status().paused).toBe(false);
    expect(granted).toEqual(['node-0']);
    expect(events.map((e) => e.kind)).toEqual(['paused', 'queued', 'resumed', 'granted']);
  });

  it('an operator replace still goes ahead during the pause', () => {
    const { gov, hosts, granted } = rig();
    gov.observeStorage(hosts(3, ['agent-1', 'agent-2']));
    expect(gov.status().paused).toBe(true);
    gov.track({ ...pod('node-0'), operator: true }, 'waiting');
    expect(granted).toEqual(['node-0']);
  });
});
