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
  /** The context object handed out (as an actor's snapshot: the same object until it changes). */
  ctx?: unknown;
}

/**
 * A registry of pods whose contexts hold a task (or not) and volumes (whose replicas may be known).
 * Tracked: it also has get() and onPodChange(), and the test names every pod it changes (changed()).
 */
function fakeRegistry(pods: FakePod[], tracked = false) {
  let scans = 0;
  let contextReads = 0;
  const listeners: ((name: string) => void)[] = [];
  const base = {
    pods,
    get scans() {
      return scans;
    },
    get contextReads() {
      return contextReads;
    },
    all: () => {
      scans += 1;
      return [...pods] as never[];
    },
    context: (e: FakePod) => {
      contextReads += 1;
      return (e.ctx ??= { task: e.task, volumes: e.volumes }) as never;
    },
    changed: (name: string) => listeners.forEach((fn) => fn(name)),
  };
  if (!tracked) return base;
  return {
    ...base,
    get scans() {
      return scans;
    },
    get contextReads() {
      return contextReads;
    },
    get: (name: string) => pods.find((p) => p.name === name) as never,
    onPodChange: (fn: (name: string) => void) => {
      listeners.push(fn);
      return () => undefined;
    },
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

function setup(shapes: PodShape[], goneHost: number | undefined, tracked = false) {
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
  const registry = fakeRegistry(pods, tracked);
  const volumeListeners: ((volume: string) => void)[] = [];
  const volumes = {
    replicaHosts: (v: string) => replicaHosts.get(v),
    ...(tracked ? { onChange: (fn: (volume: string) => void) => (volumeListeners.push(fn), () => true) } : {}),
  };
  const state = new PlanningState(registry as never, volumes, cluster);
  /** Replica hosts of a volume changed (or are unknown again): as VolumeLocations tells. */
  const setReplicas = (volume: string, hosts: string[] | undefined) => {
    if (hosts) replicaHosts.set(volume, hosts);
    else replicaHosts.delete(volume);
    volumeListeners.forEach((fn) => fn(volume));
  };
  return { cluster, registry, state, pods, replicaHosts, setReplicas };
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

  it.each([
    ['by reference checks', false],
    ['named by change feeds', true],
  ])('carried over slices, a round re-reads only what changed (%s) and still reads what a rescan reads: tasks, replicas, pods added and removed, agents gone, direct notes (property)', (_, tracked) => {
    const changeArb = fc.oneof(
      fc.record({ kind: fc.constant('task' as const), pod: fc.nat(20), host: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }) }),
      fc.record({ kind: fc.constant('replicas' as const), pod: fc.nat(20), hosts: fc.option(fc.array(fc.constantFrom(...HOSTNAMES), { minLength: 1, maxLength: 2 }), { nil: undefined }) }),
      fc.record({ kind: fc.constant('remove' as const), pod: fc.nat(20) }),
      fc.record({ kind: fc.constant('add' as const), podType: fc.constantFrom(...TYPES), index: fc.integer({ min: 6, max: 9 }) }),
      fc.record({ kind: fc.constant('gone' as const), host: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ kind: fc.constant('direct' as const), pod: fc.nat(20), host: fc.constantFrom(...HOSTNAMES) }),
      fc.record({ kind: fc.constant('note' as const), note: noteArb }),
    );
    fc.assert(
      fc.property(fc.array(podArb, { maxLength: 10 }), fc.array(changeArb, { maxLength: 25 }), (shapes, changes) => {
        const { cluster, state, pods, registry, setReplicas } = setup(shapes, undefined, tracked);
        state.round();
        for (const c of changes) {
          const pod = pods.length > 0 && 'pod' in c ? pods[c.pod % pods.length]! : undefined;
          if (c.kind === 'note') {
            const round = state.round();
            if (c.note.kind === 'host') round.notePlannedHost(c.note.podType, c.note.index, c.note.hosts[0]!);
            else round.notePlannedReplicas(c.note.podType, c.note.index, c.note.hosts);
          } else {
            state.endRound();
            if (c.kind === 'task' && pod) {
              if (c.host === undefined) delete pod.task;
              else pod.task = { agentId: agentIdOf(HOSTS[c.host]!.host) };
              pod.ctx = undefined;
              registry.changed(pod.name);
            } else if (c.kind === 'replicas' && pod) setReplicas(pod.volumes[0]!.name, c.hosts ? [...c.hosts] : undefined);
            else if (c.kind === 'remove' && pod) {
              pods.splice(pods.indexOf(pod), 1);
              registry.changed(pod.name);
            } else if (c.kind === 'add' && !pods.some((p) => p.name === `${c.podType}-${c.index}`)) {
              pods.push({ name: `${c.podType}-${c.index}`, podType: c.podType, index: c.index, volumes: [{ name: `svc-${c.podType}-${c.index}-data` }] });
              registry.changed(`${c.podType}-${c.index}`);
            } else if (c.kind === 'gone') cluster.markGone(agentIdOf(HOSTS[c.host]!.host));
            else if (c.kind === 'direct' && pod) state.notePlannedHost(pod.name, c.host);
          }
          const round = state.round();
          const rescan = buildPlacementIndex(cluster.view(state.podsByAgent(true)));
          for (const p of pods) {
            expect([...round.siblingReplicaHosts(p.podType, p.index)].sort()).toEqual([...state.siblingReplicaHosts(p.podType, p.index)].sort());
            expect(round.index.locationOf(p.name)?.agentId).toEqual(rescan.locationOf(p.name)?.agentId);
          }
          for (const t of TYPES) for (const h of HOSTNAMES) expect(round.index.count(t, 'hostname', h)).toBe(rescan.count(t, 'hostname', h));
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

  it('with change feeds, a round carried over slices reads only the pods named since: no scan of every pod', () => {
    const shapes = Array.from({ length: 500 }, (_, i) => ({ podType: 'a', index: i, taskOn: undefined, replicas: undefined }));
    const { registry, state, pods, setReplicas } = setup(shapes, undefined, true);
    state.round();
    const [scans, reads] = [registry.scans, registry.contextReads];
    for (let i = 0; i < 50; i++) {
      state.endRound();
      const pod = pods[i]!;
      pod.task = { agentId: agentIdOf(HOSTS[i % HOSTS.length]!.host) };
      pod.ctx = undefined;
      registry.changed(pod.name);
      setReplicas(pods[i + 100]!.volumes[0]!.name, [HOSTS[0]!.host]);
      state.round();
    }
    state.endRound();
    const round = state.round();
    expect(registry.scans).toBe(scans);
    // Each slice read its two changed pods (a few context reads each), never the other 498.
    expect(registry.contextReads - reads).toBeLessThanOrEqual(50 * 2 * 6);
    expect(round.index.locationOf('a-3')?.hostname).toBe(HOSTS[3]!.host);
    expect(round.index.locationOf('a-103')?.hostname).toBe(HOSTS[0]!.host);
  });

  it('a note made outside the round (a direct call) is caught up before the round is read again', () => {
    const { registry, state } = setup([{ podType: 'a', index: 0, taskOn: undefined, replicas: undefined }], undefined);
    state.round();
    state.notePlannedHost('a-0', HOSTS[1]!.host);
    expect(state.round().index.locationOf('a-0')?.hostname).toBe(HOSTS[1]!.host);
    expect(registry.scans).toBe(2);
  });

  it('is rebuilt once the cluster view changes (an agent gone): its pods count nowhere there', () => {
    const { cluster, state } = setup([{ podType: 'a', index: 0, taskOn: 1, replicas: undefined }], undefined);
    const before = state.round();
    expect(before.index.locationOf('a-0')?.hostname).toBe(HOSTS[1]!.host);
    cluster.markGone(agentIdOf(HOSTS[1]!.host));
    const after = state.round();
    expect(after).not.toBe(before);
    expect(after.index.locationOf('a-0')).toBeUndefined();
  });
});
