import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LaunchedIndex } from '../../src/controller/launched-index';
import { buildPlacementIndex, type PlacementIndex } from '../../src/placement';
import { agentIdOf, clusterOf, hosts } from './fixtures';

/** A registry of pods whose task (agent) the test sets; every change is named, as PodRegistry does. */
function fakeRegistry() {
  const pods = new Map<string, { name: string; podType: string; task: { agentId: string } | null }>();
  const listeners = new Set<(name: string) => void>();
  const changed = (name: string) => listeners.forEach((fn) => fn(name));
  return {
    pods,
    set(name: string, agentId: string | null) {
      const podType = name.split('-')[0]!;
      pods.set(name, { name, podType, task: agentId ? { agentId } : null });
      changed(name);
    },
    remove(name: string) {
      pods.delete(name);
      changed(name);
    },
    registry: {
      all: () => [...pods.values()],
      get: (name: string) => pods.get(name),
      context: (e: { name: string }) => ({ task: pods.get(e.name)?.task ?? null }),
      onPodChange: (fn: (name: string) => void) => {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
    },
  };
}

const shape = hosts(6, 3);
const HOSTS = shape.map((h) => h.host);

/** What an index counts, field by field, for the pod types used here. */
function counts(index: PlacementIndex, names: string[]) {
  const out: Record<string, number | string | undefined> = {};
  for (const t of ['node', 'data']) {
    for (const h of HOSTS) out[`${t}/hostname/${h}`] = index.count(t, 'hostname', h);
    for (const r of ['r0', 'r1', 'r2']) out[`${t}/rack/${r}`] = index.count(t, 'rack', r);
  }
  for (const n of names) out[`at/${n}`] = index.locationOf(n)?.hostname;
  return out;
}

const op = fc.oneof(
  fc.record({ kind: fc.constant('place' as const), pod: fc.constantFrom('node-0', 'node-1', 'node-2', 'data-0', 'data-1'), host: fc.constantFrom(...HOSTS) }),
  fc.record({ kind: fc.constant('unplace' as const), pod: fc.constantFrom('node-0', 'node-1', 'node-2', 'data-0', 'data-1') }),
  fc.record({ kind: fc.constant('remove' as const), pod: fc.constantFrom('node-0', 'node-1', 'node-2', 'data-0', 'data-1') }),
  fc.record({ kind: fc.constant('round-places' as const), pod: fc.constantFrom('node-0', 'node-1', 'data-0'), host: fc.constantFrom(...HOSTS) }),
  fc.record({ kind: fc.constant('round' as const) }),
);

describe('LaunchedIndex: the launched pods’ placement index kept across offer rounds', () => {
  it('counts, after any sequence of launches, moves, removals and rounds, exactly what an index built anew counts (property)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const cluster = clusterOf(shape);
        const reg = fakeRegistry();
        const launched = new LaunchedIndex(reg.registry as never, cluster);
        let index = launched.current();
        for (const o of ops) {
          if (o.kind === 'place') reg.set(o.pod, agentIdOf(o.host));
          else if (o.kind === 'unplace') reg.set(o.pod, null);
          else if (o.kind === 'remove') reg.remove(o.pod);
          else if (o.kind === 'round') index = launched.current();
          else {
            // A round places a pod: counted now, its task reported afterwards (as the PLACE persists).
            const agent = index.agentByHostname(o.host)!;
            launched.record(index, o.pod.split('-')[0]!, o.pod, agent);
            reg.set(o.pod, agentIdOf(o.host));
          }
        }
        const kept = launched.current();
        const byAgent = new Map<string, Record<string, string[]>>();
        for (const p of reg.pods.values()) if (p.task) ((byAgent.get(p.task.agentId) ?? byAgent.set(p.task.agentId, {}).get(p.task.agentId)!)[p.podType] ??= []).push(p.name);
        const fresh = buildPlacementIndex(cluster.view(byAgent));
        const names = ['node-0', 'node-1', 'node-2', 'data-0', 'data-1'];
        expect(counts(kept, names)).toEqual(counts(fresh, names));
      }),
      { numRuns: 300 },
    );
  });

  it('is kept, not rebuilt, while the cluster view stays the same; a change of the view rebuilds it', () => {
    const cluster = clusterOf(shape);
    const reg = fakeRegistry();
    const launched = new LaunchedIndex(reg.registry as never, cluster);
    const first = launched.current();
    reg.set('node-0', agentIdOf('h1'));
    expect(launched.current()).toBe(first);
    expect(first.count('node', 'hostname', 'h1')).toBe(1);
    cluster.markUnreachable(agentIdOf('h2'), true);
    const second = launched.current();
    expect(second).not.toBe(first);
    expect(second.count('node', 'hostname', 'h1')).toBe(1);
  });

  it('gives each round new explanation facts: a pod remembered earlier keeps its own', () => {
    const cluster = clusterOf(shape);
    const launched = new LaunchedIndex(fakeRegistry().registry as never, cluster);
    const facts = launched.current().roundFacts();
    expect(launched.current().roundFacts()).not.toBe(facts);
  });
});
