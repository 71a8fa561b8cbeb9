import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPlacementIndex, InsufficientReplicaHostsError, pinReplicas, type ClusterView } from '../../src/placement';
import { makeCluster } from './fixtures';

const rackOf = (view: ClusterView, host: string) => view.agents.find((a) => a.hostname === host)!.domain.rack;
const zoneOf = (view: ClusterView, host: string) => view.agents.find((a) => a.hostname === host)!.domain.zone;

describe('pinReplicas', () => {
  it('puts the first replica on the chosen host and the others in other racks', () => {
    const { view } = makeCluster({ agents: 9, racks: 3, zones: 1 });
    const hosts = pinReplicas('agent-4', 3, view);
    expect(hosts[0]).toBe('agent-4');
    expect(new Set(hosts.map((h) => rackOf(view, h))).size).toBe(3);
  });

  it('prefers another zone once the racks are spread', () => {
    // 4 racks over 2 zones: agent-i in rack-(i%4), zone-(i%2)
    const { view } = makeCluster({ agents: 8, racks: 4, zones: 2 });
    const hosts = pinReplicas('agent-0', 2, view);
    expect(rackOf(view, hosts[1]!)).not.toBe('rack-0');
    expect(zoneOf(view, hosts[1]!)).not.toBe('zone-0');
  });

  it('stays in the first replica region when another region is available', () => {
    const { view } = makeCluster({ agents: 8, racks: 8, zones: 8, regions: 2 });
    const hosts = pinReplicas('agent-0', 3, view);
    const regionOf = (h: string) => view.agents.find((a) => a.hostname === h)!.domain.region;
    expect(hosts.map(regionOf)).toEqual(['region-0', 'region-0', 'region-0']);
  });

  it('skips storage nodes that are down or absent', () => {
    const { view } = makeCluster({ agents: 4, racks: 4 });
    const v: ClusterView = { ...view, storage: { 'agent-0': 'up', 'agent-1': 'down', 'agent-3': 'up' } };
    expect(pinReplicas('agent-0', 2, v)).toEqual(['agent-0', 'agent-3']);
  });

  it('is deterministic, and the salt spreads ties over different hosts', () => {
    const { view } = makeCluster({ agents: 30, racks: 3, zones: 1 });
    const index = buildPlacementIndex(view);
    expect(pinReplicas('agent-0', 3, index, { salt: 'v1' })).toEqual(pinReplicas('agent-0', 3, view, { salt: 'v1' }));
    const seconds = new Set(Array.from({ length: 20 }, (_, i) => pinReplicas('agent-0', 2, index, { salt: `vol-${i}` })[1]));
    expect(seconds.size).toBeGreaterThan(3);
  });

  it('fails, retryably, when there are too few healthy storage nodes', () => {
    const { view } = makeCluster({ agents: 2 });
    const err = (() => {
      try {
        pinReplicas('agent-0', 3, view);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InsufficientReplicaHostsError);
    expect((err as InsufficientReplicaHostsError).retryable).toBe(true);
    expect((err as Error).message).toMatch(/need 3 storage nodes that are up/);
  });

  it('refuses a chosen host whose storage node is not up', () => {
    const { view } = makeCluster({ agents: 3 });
    expect(() => pinReplicas('agent-0', 2, { ...view, storage: { ...view.storage, 'agent-0': 'down' } })).toThrow(/is down/);
  });

  it('never puts two replicas on one host, and uses distinct racks while racks remain (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(),
        fc.string(),
        (agents, racks, zones, repl, pick, salt) => {
          const { view } = makeCluster({ agents, racks, zones });
          const chosen = `agent-${pick % agents}`;
          const hosts = pinReplicas(chosen, repl, view, { salt });
          expect(hosts).toHaveLength(repl);
          expect(hosts[0]).toBe(chosen);
          expect(new Set(hosts).size).toBe(repl);
          // A rack is identified within its zone (rack names may repeat across zones).
          const rackKey = (h: string) => `${zoneOf(view, h)}/${rackOf(view, h)}`;
          const allRacks = new Set(view.agents.map((a) => rackKey(a.hostname))).size;
          expect(new Set(hosts.map(rackKey)).size).toBe(Math.min(repl, allRacks));
        },
      ),
    );
  });
});
