import { describe, expect, it } from 'vitest';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { PortworxClient, UpdateVolumeInput, VolumeInspection } from '../../src/portworx';
import type { PodRegistry } from '../../src/controller/pod-registry';
import { ReplicaRepair } from '../../src/controller/replica-repair';
import { VolumeLocations } from '../../src/controller/volume-locations';
import { clusterOf, demoSpec, hosts, inspected, nodeIdOf, silentLogger } from './fixtures';

/** Portworx VolumeUpdate of ha_level as the SDK takes it: replica_set.nodes is the wanted set. */
class ReplicaPortworx {
  readonly volumes = new Map<string, VolumeInspection>();
  readonly updates: { id: string; ha: number; nodes: string[] }[] = [];
  resyncing = new Set<string>();
  inspects = 0;

  add(name: string, id: string, replicaHosts: string[]): void {
    const v = inspected(name, id, replicaHosts);
    v.volume.spec = { ha_level: String(replicaHosts.length) };
    this.volumes.set(id, v);
  }

  hostsOf(id: string): string[] {
    return (this.volumes.get(id)!.volume.replica_sets![0]!.nodes ?? []).map((n) => n.replace(/^node-/, ''));
  }

  client(): PortworxClient {
    return {
      inspectVolume: async (id: string) => {
        this.inspects += 1;
        const v = this.volumes.get(id)!;
        const rs = this.resyncing.has(id) ? [{ runtime_state: { RuntimeState: 'resync' } }] : [{ runtime_state: { RuntimeState: 'clean' } }];
        return { ...v, volume: { ...v.volume, runtime_state: rs } };
      },
      updateVolume: async (id: string, u: UpdateVolumeInput) => {
        const ha = u.spec!.ha_level!;
        const nodes = u.spec!.replica_set!.nodes;
        this.updates.push({ id, ha, nodes });
        const v = this.volumes.get(id)!;
        // A replica added starts empty: Portworx resyncs it (until the test clears `resyncing`).
        if (ha > Number(v.volume.spec?.ha_level ?? 0)) this.resyncing.add(id);
        v.volume.replica_sets = [{ nodes }];
        v.volume.spec = { ha_level: String(ha) };
      },
    } as unknown as PortworxClient;
  }
}

/** Pods demo node-i, each with its one volume `demo-node-i-data` (repl 2), none running. */
function registryOf(count: number): PodRegistry {
  const running = { getSnapshot: () => ({ status: 'active' }) };
  const entries = Array.from({ length: count }, (_, i) => ({ name: `node-${i}`, podType: 'node', index: i, actor: running, ctx: { task: null, volumes: [{ name: `demo-node-${i}-data`, id: `vol-${i}` }] } }));
  return { all: () => entries, context: (e: (typeof entries)[number]) => e.ctx } as unknown as PodRegistry;
}

/** The storage nodes of h0..h5 as Portworx lists them now, those named OFFLINE. */
function offline(cluster: ReturnType<typeof clusterOf>, ...down: string[]): void {
  cluster.setStorageNodes(hosts(6).map(({ host }) => ({ id: nodeIdOf(host), hostname: host, scheduler_node_name: host, status: down.includes(host) ? ('STATUS_OFFLINE' as const) : ('STATUS_OK' as const) })));
}

function setup(opts: { count?: number; lostAfterMs?: number; maxUpdatesPerPass?: number } = {}) {
  // h0..h5 on racks r0..r2: h0/h3 r0, h1/h4 r1, h2/h5 r2.
  const cluster = clusterOf(hosts(6));
  const px = new ReplicaPortworx();
  for (let i = 0; i < (opts.count ?? 1); i++) px.add(`demo-node-${i}-data`, `vol-${i}`, ['h0', 'h1']);
  let now = 1_000_000;
  const repair = new ReplicaRepair({
    px: px.client(),
    cluster,
    volumes: new VolumeLocations(px.client(), cluster),
    registry: registryOf(opts.count ?? 1),
    spec: () => demoSpec({ repl: 2, count: opts.count ?? 1 }),
    logger: silentLogger(),
    lostAfterMs: () => opts.lostAfterMs ?? 60_000,
    now: () => now,
    ...(opts.maxUpdatesPerPass ? { maxUpdatesPerPass: opts.maxUpdatesPerPass } : {}),
  });
  return { cluster, px, repair, advance: (ms: number) => (now += ms) };
}

describe('replica repair: a volume gets back to its repl after a node is lost for good', () => {
  it('leaves a replica alone while its node is offline for less than the timeout (it may come back)', async () => {
    const { cluster, px, repair, advance } = setup();
    offline(cluster, 'h1');
    repair.observe();
    advance(59_000);
    expect(await repair.pass()).toEqual([]);
    expect(px.updates).toEqual([]);
  });

  it('past the timeout: adds a replica in a rack holding no live replica, waits for the resync, then drops the lost one; then does nothing more', async () => {
    const { cluster, px, repair, advance } = setup();
    offline(cluster, 'h1');
    repair.observe();
    advance(60_000);
    const [add] = await repair.pass();
    expect(add).toMatchObject({ action: 'add', host: 'h2' });
    expect(px.updates[0]).toEqual({ id: 'vol-0', ha: 3, nodes: [nodeIdOf('h0'), nodeIdOf('h1'), nodeIdOf('h2')] });
    expect(await repair.pass()).toEqual([]); // resyncing
    px.resyncing.clear();
    const [drop] = await repair.pass();
    expect(drop).toMatchObject({ action: 'remove', host: 'h1' });
    expect(px.updates[1]).toEqual({ id: 'vol-0', ha: 2, nodes: [nodeIdOf('h0'), nodeIdOf('h2')] });
    expect(px.hostsOf('vol-0')).toEqual(['h0', 'h2']);
    expect(await repair.pass()).toEqual([]);
    expect(px.updates).toHaveLength(2);
  });

  it('counts a replica on a gone agent as lost at once', async () => {
    const { cluster, px, repair } = setup();
    cluster.markGone('agent-h1');
    const [add] = await repair.pass();
    expect(add).toMatchObject({ action: 'add' });
    expect(add!.reason).toMatch(/the agent on h1 is gone/);
    expect(px.hostsOf('vol-0')).not.toContain('h3'); // same rack (r0) as the live replica on h0
  });

  it('counts a node Portworx no longer lists (decommissioned) as lost', async () => {
    const { cluster, repair } = setup();
    cluster.setStorageNodes(['h0', 'h2', 'h3', 'h4', 'h5'].map((h) => ({ id: nodeIdOf(h), hostname: h, scheduler_node_name: h, status: 'STATUS_OK' as const })));
    const [add] = await repair.pass();
    expect(add!.reason).toMatch(/decommissioned/);
  });

  it('makes at most maxUpdatesPerPass changes per pass (rate limit); later passes do the rest', async () => {
    const { cluster, px, repair } = setup({ count: 5, maxUpdatesPerPass: 2 });
    cluster.markGone('agent-h1');
    expect(await repair.pass()).toHaveLength(2);
    expect(await repair.pass()).toHaveLength(2);
    expect(await repair.pass()).toHaveLength(1);
    expect(new Set(px.updates.map((u) => u.id)).size).toBe(5);
  });

  it('at ha_level 3 with a lost replica, drops the lost replica first (no room for a fourth)', async () => {
    const { cluster, px, repair } = setup();
    px.add('demo-node-0-data', 'vol-0', ['h0', 'h1', 'h2']);
    cluster.markGone('agent-h2');
    const [first] = await repair.pass();
    expect(first).toMatchObject({ action: 'remove', host: 'h2' });
    expect(px.hostsOf('vol-0')).toEqual(['h0', 'h1']);
  });
});

describe('replica repair driven by storage refreshes (tick): volumes are inspected only when something may be lost', () => {
  const settle = async () => {
    for (let i = 0; i < 5; i++) await nextMacrotask();
  };

  it('skips the pass while every node is online, no agent is gone and the same nodes are listed', async () => {
    const { cluster, px, repair, advance } = setup({ count: 3 });
    offline(cluster);
    repair.tick();
    await settle();
    // The first pass reads every volume once: nothing known yet.
    expect(px.inspects).toBe(3);
    for (let i = 0; i < 5; i++) {
      advance(10_000);
      offline(cluster);
      repair.tick();
      await settle();
    }
    expect(px.inspects).toBe(3);
  });

  it('still repairs the replicas of a node that goes offline and stays offline past the timeout', async () => {
    const { cluster, px, repair, advance } = setup({ count: 2, lostAfterMs: 60_000 });
    offline(cluster);
    repair.tick();
    await settle();
    offline(cluster, 'h1');
    for (let t = 0; t < 8; t++) {
      advance(10_000);
      repair.tick();
      await settle();
    }
    // Both volumes lost their h1 replica: each got one added on a healthy host.
    expect(px.updates.filter((u) => u.ha === 3)).toHaveLength(2);
    expect(px.updates.every((u) => !u.nodes.includes(nodeIdOf('h1')) || u.nodes.length === 3)).toBe(true);
  });

  it('passes again when a node disappears from the list (decommissioned) or an agent is gone, with nothing offline', async () => {
    const { cluster, px, repair, advance } = setup({ count: 1 });
    offline(cluster);
    repair.tick();
    await settle();
    const before = px.inspects;
    advance(10_000);
    // h1 decommissioned: Portworx no longer lists it.
    cluster.setStorageNodes(hosts(6).filter(({ host }) => host !== 'h1').map(({ host }) => ({ id: nodeIdOf(host), hostname: host, scheduler_node_name: host, status: 'STATUS_OK' as const })));
    repair.tick();
    await settle();
    expect(px.inspects).toBeGreaterThan(before);
    expect(px.updates.some((u) => u.ha === 3)).toBe(true);
    const afterNode = px.inspects;
    advance(10_000);
    cluster.markGone('agent-h4');
    repair.tick();
    await settle();
    expect(px.inspects).toBeGreaterThan(afterNode);
  });

  it('still makes a full pass now and then with nothing signalled (default every 10 min)', async () => {
    const { cluster, px, repair, advance } = setup({ count: 1 });
    offline(cluster);
    repair.tick();
    await settle();
    advance(599_000);
    repair.tick();
    await settle();
    expect(px.inspects).toBe(1);
    advance(2_000);
    repair.tick();
    await settle();
    expect(px.inspects).toBe(2);
  });
});
