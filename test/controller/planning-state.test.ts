import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PlanningState } from '../../src/controller/planning-state';
import { buildPlacementIndex } from '../../src/placement';
import { agentIdOf, clusterOf, hosts } from './fixtures';

const HOSTS = hosts(6, 3);
const HOSTNAMES = [...HOSTS.map((h) => h.host), 'unknown-host'];
const TYPES = ['a', 'b'];

interface FakePod {
  name: string;
  podType: string;
  index: number;
  task?: { agentId: string };
  volumes: { name: string }[];
}

/** A registry of pods whose contexts hold a task (or not) and volumes (whose replicas may be known). */
function fakeRegistry(pods: FakePod[]) {
  let scans = 0;
  return {
    pods,
    get scans() {
      return scans;
    },
    all: () => {
      scans += 1;
      return pods as never[];
    },
    context: (e: FakePod) => ({ task: e.task, volumes: e.volumes }) as never,
  };
}

const podArb = fc.record({
  podType: fc.constantFrom(...TYPES),
  index: fc.integer({ min: 0, max: 5 }),
  taskOn: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  replicas: fc.option(fc.array(fc.constantFrom(...HOSTNAMES), { minLength: 1, maxLength: 3 }), { nil: undefined }),
});

const noteArb = fc.record({
  kind: fc.constantFrom('host', 'replicas'),
  podType: fc.constantFrom(...TYPES),
  index: fc.integer({ min: 0, max: 6 }),
  hosts: fc.array(fc.constantFrom(...HOSTNAMES), { minLength: 1, maxLength: 3 }),
});

interface PodShape {
  podType: string;
  index: number;
  taskOn: number | undefined;
  replicas: string[] | undefined;
}

function setup(shapes: PodShape[], goneHost: number | undefined) {
  const cluster = clusterOf(HOSTS);
  if (goneHost !== undefined) cluster.markGone(agentIdOf(HOSTS[goneHost]!.host));
  const seen = new Set<string>();
  const pods: FakePod[] = [];
  const replicaHosts = new Map<string, string[]>();
  for (const s of shapes) {
    const name = `${s.podType}-${s.index}`;
    if (seen.has(name)) continue;
    seen.add(name);
    const vol = `svc-${name}-data`;
    if (s.replicas) replicaHosts.set(vol, s.replicas);
    pods.push({ name, podType: s.podType, index: s.index, ...(s.taskOn !== undefined ? { task: { agentId: agentIdOf(HOSTS[s.taskOn]!.host) } } : {}), volumes: [{ name: vol }] });
  }
  const registry = fakeRegistry(pods);
  const state = new PlanningState(registry as never, { replicaHosts: (v: string) => replicaHosts.get(v) }, cluster);
  return { cluster, registry, state, pods };
}

describe('PlanningState rounds (volume plans share one index per time slice)', () => {
  it('a round kept current by its own notes reads exactly what a rescan reads: siblings, placements, counts (property)', () => {
    fc.assert(
      fc.property(fc.array(podArb, { maxLength: 12 }), fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }), fc.array(noteArb, { maxLength: 12 }), (shapes, gone, notes) => {
        const { cluster, state, pods } = setup(shapes, gone);
        const round = state.round();
        const check = () => {
          const rescan = buildPlacementIndex(cluster.view(state.podsByAgent(true)));
          for (const p of pods) {
            expect([...round.siblingReplicaHosts(p.podType, p.index)].sort()).toEqual([...state.siblingReplicaHosts(p.podType, p.index)].sort());
            expect(round.index.locationOf(p.name)?.agentId).toEqual(rescan.locationOf(p.name)?.agentId);
          }
          for (const t of TYPES) {
            for (const h of HOSTNAMES) expect(round.index.count(t, 'hostname', h)).toBe(rescan.count(t, 'hostname', h));
            for (const r of ['r0', 'r1', 'r2']) expect(round.index.count(t, 'rack', r)).toBe(rescan.count(t, 'rack', r));
          }
        };
        check();
        for (const n of notes) {
          if (n.kind === 'host') round.notePlannedHost(n.podType, n.index, n.hosts[0]!);
          else round.notePlannedReplicas(n.podType, n.index, n.hosts);
          check();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reads the pods once per round, not once per plan: a burst of 200 plans scans the registry once', () => {
    const shapes = Array.from({ length: 200 }, (_, i) => ({ podType: 'a', index: i, taskOn: undefined, replicas: undefined }));
    const { registry, state } = setup(shapes, undefined);
    for (let i = 0; i < 200; i++) {
      const round = state.round();
      round.siblingReplicaHosts('a', i);
      round.notePlannedHost('a', i, HOSTS[i % HOSTS.length]!.host);
      round.notePlannedReplicas('a', i, [HOSTS[i % HOSTS.length]!.host, HOSTS[(i + 1) % HOSTS.length]!.host]);
    }
    expect(registry.scans).toBe(1);
    // What the round noted is remembered: the next round (after the slice) sees every plan.
    state.endRound();
    expect(state.round().index.count('a', 'hostname', HOSTS[0]!.host)).toBe(34);
    expect(registry.scans).toBe(2);
  });

  it('a note made outside the round (a direct call) ends it: the next read rescans', () => {
    const { registry, state } = setup([{ podType: 'a', index: 0, taskOn: undefined, replicas: undefined }], undefined);
    const before = state.round();
    state.notePlannedHost('a-0', HOSTS[1]!.host);
    const after = state.round();
    expect(after).not.toBe(before);
    expect(after.index.locationOf('a-0')?.hostname).toBe(HOSTS[1]!.host);
    expect(registry.scans).toBe(2);
  });
});
