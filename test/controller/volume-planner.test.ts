import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pinVolumeReplicas, planHost, replicaHostsFor } from '../../src/controller/volume-planner';
import { evaluateOffers, podRequestFor, type ClusterView } from '../../src/placement';
import type { ServiceSpec } from '../../src/service-spec';
import { agentAt, makeCluster, placePods } from '../placement/fixtures';
import { NoStorageHostError } from '../../src/controller/errors';
import { agentIdOf, clusterOf, demoSpec, hosts, nodeIdOf } from './fixtures';

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

  /** Held offers with plenty of room, by host. */
  const held = (...hs: string[]) => new Map(hs.map((h) => [h, { cpus: 8, mem: 32_768, disk: 100_000, ports: [{ begin: 31000, end: 31999 }] }]));

  it('plans on a host whose offer is held when it is exactly as good: its pod launches on that offer at once', () => {
    const shape = hosts(6);
    const view = clusterOf(shape).view(new Map());
    expect(planHost(spec, 'node', 0, view)).toBe('h0');
    expect(planHost(spec, 'node', 0, view, new Set(), held('h4'))).toBe('h4');
  });

  it('passes over a held offer too small for the pod (held offers are what no pod took: often leftovers)', () => {
    const shape = hosts(6);
    const view = clusterOf(shape).view(new Map());
    const small = new Map([['h4', { cpus: 0.05, mem: 64, disk: 100, ports: [] }]]);
    expect(planHost(spec, 'node', 0, view, new Set(), small)).toBe('h0');
  });

  it('never trades the spread for a held offer: a held host in a more crowded rack, or one to avoid, is passed over', () => {
    const shape = hosts(6);
    // node-1 on h1 (rack r1): h4 (r1) is now more crowded than h0 (r0).
    const view = clusterOf(shape).view(new Map([[agentIdOf('h1'), { node: ['node-1'] }]]));
    expect(planHost(spec, 'node', 0, view, new Set(), held('h4'))).toBe('h0');
    expect(planHost(spec, 'node', 0, view, new Set(['h3']), held('h3'))).toBe('h0');
    expect(planHost(spec, 'node', 0, view, new Set(), held('h3'))).toBe('h3');
  });

  it('falls back to the avoided hosts when all of them are avoided', () => {
    const shape = hosts(3);
    const view = clusterOf(shape).view(new Map());
    const chosen = planHost(spec, 'node', 0, view, new Set(shape.map((h) => h.host)));
    expect(shape.map((h) => h.host)).toContain(chosen);
  });
});

describe('replicaHostsFor (where a new volume\'s replicas go: the second where its pod could fail over)', () => {
  const cassandra = demoSpec({ count: 3, repl: 2, placement: ['hostname:UNIQUE', '@zone:GROUP_BY'] });
  const data = (spec: ServiceSpec) => spec.pods.node!.volumes[0]!;
  const zone = (view: ClusterView, host: string) => view.agents.find((a) => a.hostname === host)!.domain.zone;
  const rack = (view: ClusterView, host: string) => view.agents.find((a) => a.hostname === host)!.domain.rack;

  /** A serial deploy as pod-effects runs it: plan the host, pin the replicas, remember both. */
  function deploy(spec: ServiceSpec, start: ClusterView, count: number) {
    let view = start;
    const pods: { host: string; replicas: string[] }[] = [];
    for (let i = 0; i < count; i++) {
      const siblings = new Set(pods.flatMap((p) => p.replicas));
      const host = planHost(spec, 'node', i, view, siblings);
      const replicas = replicaHostsFor(host, data(spec), view, `demo-node-${i}-data`, { podType: 'node', replicaHosts: siblings }, { spec, index: i });
      pods.push({ host, replicas });
      view = placePods(view, 'node', { [host]: [`node-${i}`] });
    }
    return { pods, view };
  }

  it('shipped Cassandra layout (6 agents, 3 zones): replica 2 on the other host of the pod\'s zone, a host no pod uses', () => {
    const { view } = makeCluster({ agents: 6, racks: 3, zones: 3 });
    const { pods } = deploy(cassandra, view, 3);
    const podHosts = pods.map((p) => p.host);
    for (const p of pods) {
      expect(p.replicas[0]).toBe(p.host);
      expect(zone(view, p.replicas[1]!)).toBe(zone(view, p.host));
      expect(podHosts).not.toContain(p.replicas[1]);
    }
    expect(new Set(pods.map((p) => zone(view, p.host))).size).toBe(3);
  });

  it('after the pod\'s host dies, the placement engine takes replica 2\'s host, keeping every constraint (no replica to add)', () => {
    const { view, offers } = makeCluster({ agents: 6, racks: 3, zones: 3 });
    const { pods, view: placed } = deploy(cassandra, view, 3);
    pods.forEach((p, i) => {
      const lost = { ...placed, storage: { ...placed.storage, [p.host]: 'down' as const } };
      const request = podRequestFor(cassandra, 'node', i, { existingVolumes: { [`demo-node-${i}-data`]: p.replicas } });
      const result = evaluateOffers(request, offers.filter((o) => o.hostname !== p.host), lost);
      expect(result.chosen?.hostname).toBe(p.replicas[1]);
      expect(result.chosen?.breaks).toBeUndefined();
    });
  });

  it('through planHost and replicaHostsFor, any deploy order on 6/3, 8/4, 9/3, 10/5 hosts/zones: each pod\'s failover holder keeps the constraints after its host dies (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom([6, 3], [8, 4], [9, 3], [10, 5]), fc.nat(), fc.boolean(), ([agents, zones], rotate, reverse) => {
        const spec = demoSpec({ service: 'prop', count: zones!, repl: 2, placement: ['hostname:UNIQUE', '@zone:GROUP_BY'] });
        const { view: start, offers } = makeCluster({ agents: agents!, racks: zones!, zones: zones! });
        const order = Array.from({ length: zones! }, (_, i) => (i + rotate) % zones!);
        if (reverse) order.reverse();
        let view = start;
        const pods = new Map<number, { host: string; replicas: string[] }>();
        for (const i of order) {
          const siblings = new Set([...pods.values()].flatMap((p) => p.replicas));
          const host = planHost(spec, 'node', i, view, siblings);
          const replicas = replicaHostsFor(host, data(spec), view, `prop-node-${i}-data`, { podType: 'node', replicaHosts: siblings }, { spec, index: i });
          pods.set(i, { host, replicas });
          view = placePods(view, 'node', { [host]: [`node-${i}`] });
        }
        for (const [i, p] of pods) {
          const lost = { ...view, storage: { ...view.storage, [p.host]: 'down' as const } };
          const request = podRequestFor(spec, 'node', i, { existingVolumes: { [`prop-node-${i}-data`]: p.replicas } });
          const result = evaluateOffers({ ...request, convergence: { mode: 'hard', softWaitExpired: false } }, offers.filter((o) => o.hostname !== p.host), lost);
          expect(result.chosen?.hostname, `node-${i}`).toBe(p.replicas[1]);
          expect(result.chosen?.breaks).toBeUndefined();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('prefers another rack of the pod\'s zone, then another host of its rack', () => {
    const a = agentAt('a1', 'rack-1', 'zone-a', 'r');
    const b = agentAt('a2', 'rack-1', 'zone-a', 'r');
    const c = agentAt('a3', 'rack-2', 'zone-a', 'r');
    const d = agentAt('b1', 'rack-3', 'zone-b', 'r');
    const view: ClusterView = { agents: [a, b, c, d].map((x) => x.agent), storage: { a1: 'up', a2: 'up', a3: 'up', b1: 'up' } };
    for (const salt of ['x', 'y', 'z', 'w']) {
      expect(pinVolumeReplicas('a1', data(cassandra), view, salt, { podType: 'node', replicaHosts: new Set() }, { spec: cassandra, index: 0 }).hosts).toEqual(['a1', 'a3']);
    }
    const rack3Down = { ...view, storage: { ...view.storage, a3: 'down' as const } };
    expect(pinVolumeReplicas('a1', data(cassandra), rack3Down, 'v', { podType: 'node', replicaHosts: new Set() }, { spec: cassandra, index: 0 }).hosts).toEqual(['a1', 'a2']);
  });

  it('keeps clear of a sibling\'s failover host, even at the cost of sharing the rack', () => {
    const unique = demoSpec({ count: 3, repl: 2, placement: ['hostname:UNIQUE'] });
    const { view } = makeCluster({ agents: 4, racks: 2, zones: 1 }); // agent-0, 2 in rack-0; agent-1, 3 in rack-1
    const siblings = { podType: 'node', replicaHosts: new Set(['agent-1', 'agent-3']) };
    const pinned = pinVolumeReplicas('agent-0', data(unique), view, 'v', siblings, { spec: unique, index: 0 });
    expect(pinned.hosts).toEqual(['agent-0', 'agent-2']);
    expect(pinned.failover?.keepsConstraints).toBe(true);
  });

  it('keeps static constraints too (LIKE / UNLIKE on an attribute): never a failover host the pod may not use', () => {
    const notRack2 = demoSpec({ count: 2, repl: 2, placement: ['hostname:UNIQUE', 'rack:UNLIKE:rack-2'] });
    const { view } = makeCluster({ agents: 6, racks: 3, zones: 1 });
    for (const salt of ['a', 'b', 'c', 'd', 'e', 'f']) {
      const { hosts } = pinVolumeReplicas('agent-0', data(notRack2), view, salt, { podType: 'node', replicaHosts: new Set() }, { spec: notRack2, index: 0 });
      expect(rack(view, hosts[1]!)).toBe('rack-1');
    }
  });

  it('falls back to another failure domain when no host keeps the constraints (a zone with one host), and says so', () => {
    // zone-0: agent-0 alone; zone-1: agent-1, agent-2, both running siblings.
    const three = [agentAt('agent-0', 'rack-0', 'zone-0', 'r'), agentAt('agent-1', 'rack-1', 'zone-1', 'r'), agentAt('agent-2', 'rack-2', 'zone-1', 'r')];
    const bare: ClusterView = { agents: three.map((h) => h.agent), storage: { 'agent-0': 'up', 'agent-1': 'up', 'agent-2': 'up' } };
    const view = placePods(bare, 'node', { 'agent-1': ['node-1'], 'agent-2': ['node-2'] });
    const pinned = pinVolumeReplicas('agent-0', data(cassandra), view, 'v', { podType: 'node', replicaHosts: new Set() }, { spec: cassandra, index: 0 });
    expect(pinned.hosts[0]).toBe('agent-0');
    expect(['agent-1', 'agent-2']).toContain(pinned.hosts[1]);
    expect(pinned.failover).toMatchObject({ host: pinned.hosts[1], keepsConstraints: false });
    expect(pinned.failover!.reason).toMatch(/no host with storage up where node-0 could run if agent-0 died keeps hostname:UNIQUE, @zone:GROUP_BY/);
    expect(pinned.failover!.reason).toMatch(/waits for a new replica to sync \(spread policy keep\)/);
  });

  it('a host legal only with the siblings placed so far (another zone, before they come) is used, but not called keeping', () => {
    const three = [agentAt('agent-0', 'rack-0', 'zone-0', 'r'), agentAt('agent-1', 'rack-1', 'zone-1', 'r'), agentAt('agent-2', 'rack-2', 'zone-1', 'r')];
    const view: ClusterView = { agents: three.map((h) => h.agent), storage: { 'agent-0': 'up', 'agent-1': 'up', 'agent-2': 'up' } };
    const pinned = pinVolumeReplicas('agent-0', data(cassandra), view, 'v', { podType: 'node', replicaHosts: new Set() }, { spec: cassandra, index: 0 });
    expect(['agent-1', 'agent-2']).toContain(pinned.hosts[1]);
    expect(pinned.failover?.keepsConstraints).toBe(false);
    expect(pinned.failover!.reason).toMatch(/only with the siblings placed so far/);
  });

  it('repl 3: the third replica goes to another zone', () => {
    const three = demoSpec({ count: 3, repl: 3, placement: ['hostname:UNIQUE', '@zone:GROUP_BY'] });
    const { view } = makeCluster({ agents: 6, racks: 3, zones: 3 });
    const { pods } = deploy(three, view, 3);
    for (const p of pods) {
      expect(zone(view, p.replicas[1]!)).toBe(zone(view, p.host));
      expect(zone(view, p.replicas[2]!)).not.toBe(zone(view, p.host));
      expect(new Set(p.replicas).size).toBe(3);
    }
  });

  it('without the pod (no PlannedPod) the replicas only spread across failure domains', () => {
    const { view } = makeCluster({ agents: 6, racks: 3, zones: 3 });
    const pinned = pinVolumeReplicas('agent-0', data(cassandra), view, 'v', { podType: 'node', replicaHosts: new Set() });
    expect(pinned.failover).toBeUndefined();
    expect(zone(view, pinned.hosts[1]!)).not.toBe('zone-0');
  });

  it('every volume of a pod with several volumes keeps its constraints (pod-effects passes the pod for each)', () => {
    const twoVolumes = demoSpec({ service: 'bridge', count: 3, repl: 2, volumes: ['data', 'logs'], placement: ['hostname:UNIQUE', '@zone:GROUP_BY'] });
    const { view } = makeCluster({ agents: 6, racks: 3, zones: 3 });
    const planned = planHost(twoVolumes, 'node', 1, view);
    for (const [i, v] of twoVolumes.pods.node!.volumes.entries()) {
      // pod-effects reads a fresh planning view for each volume.
      const hostsOf = replicaHostsFor(planned, v, { ...view }, `bridge-node-1-${v.name}`, { podType: 'node', replicaHosts: new Set() }, { spec: twoVolumes, index: 1 });
      expect(zone(view, hostsOf[1]!), `volume ${i}`).toBe(zone(view, planned));
    }
  });
});

describe('planHost and replicaHostsFor use only Portworx nodes that are up (OK or NONE)', () => {
  const STATUSES = ['STATUS_OK', 'STATUS_NONE', 'STATUS_OFFLINE', 'STATUS_MAINTENANCE', 'STATUS_STORAGE_DOWN'] as const;
  const UP: ReadonlySet<string> = new Set(['STATUS_OK', 'STATUS_NONE']);
  const spec = demoSpec({ count: 5, repl: 2, placement: ['hostname:UNIQUE'] });
  const volume = spec.pods.node!.volumes[0]!;

  /** The planning view as the runtime builds it: ClusterState fed Portworx's node list. */
  function viewWith(statuses: readonly string[], unreachable: readonly boolean[] = []) {
    const shape = hosts(statuses.length, 4);
    const cluster = clusterOf(shape, { storage: false });
    cluster.setStorageNodes(shape.map((h, i) => ({ id: nodeIdOf(h.host), hostname: h.host, scheduler_node_name: h.host, status: statuses[i] as never })));
    shape.forEach((h, i) => cluster.markUnreachable(agentIdOf(h.host), unreachable[i] ?? false));
    return { shape, view: cluster.view(new Map()) };
  }

  it('never plans a pod, nor pins a replica, on a node that is OFFLINE, in MAINTENANCE or STORAGE_DOWN, or whose agent is unreachable (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...STATUSES), { minLength: 2, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        (statuses, unreachable) => {
          const { shape, view } = viewWith(statuses, unreachable);
          const usable = new Set(shape.filter((h) => view.storage[h.host] === 'up').map((h) => h.host));
          for (const h of shape) if (view.storage[h.host] === 'up') expect(UP.has(statuses[shape.indexOf(h)]!)).toBe(true);
          let host: string;
          try {
            host = planHost(spec, 'node', 0, view);
          } catch (err) {
            expect(err).toBeInstanceOf(NoStorageHostError);
            expect(usable.size).toBe(0);
            return;
          }
          expect(usable.has(host)).toBe(true);
          try {
            const replicas = replicaHostsFor(host, volume, view, 'demo-node-0-data', { podType: 'node', replicaHosts: new Set() }, { spec, index: 0 });
            expect(replicas.every((r) => usable.has(r))).toBe(true);
          } catch (err) {
            // Too few nodes up for repl 2: the pod waits (retryable), nothing is pinned.
            expect(err).toBeInstanceOf(NoStorageHostError);
            expect((err as NoStorageHostError).retryable).toBe(true);
            expect(usable.size).toBeLessThan(2);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the chaos repro layout: with agent-4, 7 and 8 (here h3, h6, h7) OFFLINE, pod 3 and its replicas land on the five nodes that are up', () => {
    const statuses = ['STATUS_OK', 'STATUS_OK', 'STATUS_OK', 'STATUS_OFFLINE', 'STATUS_OK', 'STATUS_OK', 'STATUS_OFFLINE', 'STATUS_OFFLINE'];
    const { view } = viewWith(statuses);
    const placed = placePods(view, 'node', { h0: ['node-0'], h1: ['node-1'], h2: ['node-2'] });
    const host = planHost(spec, 'node', 3, placed);
    expect(['h4', 'h5']).toContain(host);
    const replicas = replicaHostsFor(host, volume, placed, 'demo-node-3-data', { podType: 'node', replicaHosts: new Set() }, { spec, index: 3 });
    expect(replicas.filter((r) => ['h3', 'h6', 'h7'].includes(r))).toEqual([]);
  });
});
