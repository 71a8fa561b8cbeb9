import { describe, expect, it } from 'vitest';
import { buildPlacementIndex, evaluateOffers, PlacementMemory, type ClusterView } from '../../src/placement';
import { DEFAULT_OFFERS_PER_POD } from '../../src/placement/memory';
import { agentAt, makeCluster, makeRequest } from './fixtures';

const sites = [agentAt('agent-1', 'rack-1', 'z1', 'R'), agentAt('agent-4', 'rack-2', 'z1', 'R'), agentAt('agent-5', 'rack-3', 'z1', 'R')];
const view: ClusterView = {
  agents: sites.map((s) => s.agent),
  storage: { 'agent-1': 'up', 'agent-4': 'up', 'agent-5': 'up' },
};
const fixedNow = () => new Date('2025-01-01T00:00:00Z');

describe('PlacementMemory', () => {
  it('explains a refused offer with its host, rack, stage and reason', () => {
    const memory = new PlacementMemory({ now: fixedNow });
    const request = makeRequest({
      volumes: [{ name: 'cassandra-node-0-data', exists: true, replicaHosts: ['agent-1', 'agent-5'] }],
      convergence: { mode: 'hard', softWaitExpired: false },
    });
    evaluateOffers(request, [sites[1]!.offer, sites[0]!.offer], buildPlacementIndex(view), { memory });
    expect(memory.explain('node-0')).toEqual([
      'cassandra node-0 at 2025-01-01T00:00:00.000Z: chose agent-1 (rack-1) score 100 of 2 offer(s); hard convergence',
      'agent-1 (rack-1): CHOSEN score 100: replica holder of cassandra-node-0-data',
      'agent-4 (rack-2): FAIL volume-locality: not a replica holder of cassandra-node-0-data (holders: agent-1, agent-5); hard convergence',
    ]);
  });

  it('lists every failing stage of an offer and says when nothing fits', () => {
    const memory = new PlacementMemory({ now: fixedNow });
    const down: ClusterView = { ...view, storage: { ...view.storage, 'agent-4': 'down' } };
    const request = makeRequest({ cpus: 100, volumes: [{ name: 'v', exists: false, replicaHosts: [] }] });
    evaluateOffers(request, [sites[1]!.offer], buildPlacementIndex(down), { memory });
    const lines = memory.explain('node-0');
    expect(lines[0]).toMatch(/no offer fits among 1 offer\(s\)/);
    expect(lines.slice(1)).toEqual([
      'agent-4 (rack-2): FAIL resources: not enough cpus: needs 100, offer has 8',
      'agent-4 (rack-2): FAIL storage-health: Portworx node on agent-4 is down',
    ]);
  });

  it('fills in full reasons for the offers it keeps from a summary evaluation', () => {
    const memory = new PlacementMemory({ now: fixedNow });
    const request = makeRequest({
      volumes: [{ name: 'cassandra-node-0-data', exists: true, replicaHosts: ['agent-1', 'agent-5'] }],
      convergence: { mode: 'hard', softWaitExpired: false },
    });
    const result = evaluateOffers(request, [sites[1]!.offer, sites[0]!.offer], buildPlacementIndex(view), { memory, detail: 'summary' });
    expect(result.evaluations[0]!.outcomes).toEqual([]);
    expect(memory.explain('node-0')[2]).toBe(
      'agent-4 (rack-2): FAIL volume-locality: not a replica holder of cassandra-node-0-data (holders: agent-1, agent-5); hard convergence',
    );
  });

  it('answers for a pod it never saw', () => {
    expect(new PlacementMemory().explain('node-7')).toEqual(['node-7: no placement evaluated yet']);
  });

  it('keeps only the most recent pods and a bounded number of offers per pod', () => {
    const { view: big, offers } = makeCluster({ agents: 50 });
    const memory = new PlacementMemory({ maxPods: 2, maxOffersPerPod: 5 });
    const index = buildPlacementIndex(big);
    for (let i = 0; i < 3; i++) evaluateOffers(makeRequest({ index: i }), offers, index, { memory });
    expect(memory.pods()).toEqual(['node-1', 'node-2']);
    const entry = memory.get('node-2')!;
    expect(entry.evaluations).toHaveLength(5);
    expect(entry.evaluations[0]!.offerId).toBe(entry.chosen!.offerId);
    expect(entry.offersSeen).toBe(50);
    expect(memory.explain('node-2').at(-1)).toBe('… 45 more offer(s) not kept');
  });

  it('keeps 25 offers per pod by default (each of the last 1,000 pods of a serial deploy keeps its own), the chosen one first', () => {
    const { view: big, offers } = makeCluster({ agents: 60 });
    const memory = new PlacementMemory();
    evaluateOffers(makeRequest(), offers, buildPlacementIndex(big), { memory });
    const entry = memory.get('node-0')!;
    expect(DEFAULT_OFFERS_PER_POD).toBe(25);
    expect(entry.evaluations).toHaveLength(25);
    expect(entry.evaluations[0]!.offerId).toBe(entry.chosen!.offerId);
    expect(memory.explain('node-0').at(-1)).toBe('… 35 more offer(s) not kept');
  });

  it('keeps plain JSON', () => {
    const memory = new PlacementMemory({ now: fixedNow });
    evaluateOffers(makeRequest(), [sites[0]!.offer], view, { memory });
    const entry = memory.get('node-0')!;
    expect(JSON.parse(JSON.stringify(entry))).toEqual(entry);
  });
});
