import { describe, expect, it } from 'vitest';
import { evaluateOffers, type ClusterView, type PodRequest } from '../../src/placement';
import { agentAt, makeRequest } from './fixtures';

// The holder h1 and one agent at each distance from it.
const sites = [
  agentAt('h1', 'r1', 'z1', 'R1'), // replica holder
  agentAt('rack-mate', 'r1', 'z1', 'R1'),
  agentAt('zone-mate', 'r2', 'z1', 'R1'),
  agentAt('region-mate', 'r3', 'z2', 'R1'),
  agentAt('far', 'r4', 'z3', 'R2'),
];
const view: ClusterView = {
  agents: sites.map((s) => s.agent),
  storage: Object.fromEntries(sites.map((s) => [s.agent.hostname, 'up'])),
};
const offers = sites.map((s) => s.offer);

const volume = { name: 'cassandra-node-0-data', exists: true, replicaHosts: ['h1', 'h9'] };
const req = (convergence: PodRequest['convergence']) => makeRequest({ volumes: [volume], convergence });

function byHost(result: ReturnType<typeof evaluateOffers>) {
  return Object.fromEntries(result.evaluations.map((e) => [e.hostname, e]));
}

describe('volume locality', () => {
  it('ranks replica holder 100 > same rack 60 > same zone 40 > same region 20 > other 0', () => {
    const result = evaluateOffers(req({ mode: 'soft', softWaitExpired: true }), offers, view);
    const scores = byHost(result);
    expect([scores.h1, scores['rack-mate'], scores['zone-mate'], scores['region-mate'], scores.far].map((e) => e!.score)).toEqual([
      100, 60, 40, 20, 0,
    ]);
    expect(result.chosen?.hostname).toBe('h1');
  });

  it('chooses the nearest non-holder when the holder has no offer and the soft wait expired', () => {
    const result = evaluateOffers(req({ mode: 'soft', softWaitExpired: true }), offers.slice(1), view);
    expect(result.chosen).toMatchObject({ hostname: 'rack-mate', score: 60 });
    const loc = result.chosen!.reasons.find((r) => r.startsWith('volume-locality'))!;
    expect(loc).toBe(
      'volume-locality: not a replica holder of cassandra-node-0-data (holders: h1, h9); soft convergence wait expired, falling back (same rack as a replica, score 60)',
    );
  });

  it('under hard convergence refuses every non-holder, saying why', () => {
    const result = evaluateOffers(req({ mode: 'hard', softWaitExpired: true }), offers, view);
    expect(result.chosen?.hostname).toBe('h1');
    const far = byHost(result).far!;
    expect(far.pass).toBe(false);
    expect(far.outcomes.find((o) => o.stage === 'volume-locality')!.reason).toBe(
      'not a replica holder of cassandra-node-0-data (holders: h1, h9); hard convergence',
    );
  });

  it('under hard convergence waits (no choice) while the holder makes no offer', () => {
    const result = evaluateOffers(req({ mode: 'hard', softWaitExpired: false }), offers.slice(1), view);
    expect(result.chosen).toBeUndefined();
    expect(result.evaluations.every((e) => !e.pass)).toBe(true);
  });

  it('under hard convergence says when no holder is up', () => {
    const down: ClusterView = { ...view, storage: { ...view.storage, h1: 'down' } };
    const result = evaluateOffers(req({ mode: 'hard', softWaitExpired: false }), offers, down);
    expect(result.chosen).toBeUndefined();
    const reason = byHost(result)['rack-mate']!.outcomes.find((o) => o.stage === 'volume-locality')!.reason;
    expect(reason).toMatch(/hard convergence; no holder is up, waiting for one to return/);
  });

  it('under soft convergence waits for a holder before max_wait expires', () => {
    const result = evaluateOffers(req({ mode: 'soft', softWaitExpired: false }), offers.slice(1), view);
    expect(result.chosen).toBeUndefined();
    const reason = byHost(result)['rack-mate']!.outcomes.find((o) => o.stage === 'volume-locality')!.reason;
    expect(reason).toMatch(/soft convergence waits for a holder until max_wait expires/);
  });

  it('under soft convergence falls back at once when no holder is up', () => {
    const down: ClusterView = { ...view, storage: { ...view.storage, h1: 'down' } };
    const result = evaluateOffers(req({ mode: 'soft', softWaitExpired: false }), offers, down);
    // Nearness to a replica that is offline buys no I/O, so every host scores 0 and the tie-break decides.
    expect(result.chosen).toMatchObject({ hostname: 'far', score: 0 });
    expect(result.chosen!.reasons[3]).toMatch(/no holder is up, soft convergence falls back now/);
  });

  it('scores a host whose storage node is down zero and excludes it', () => {
    const down: ClusterView = { ...view, storage: { ...view.storage, h1: 'down' } };
    const result = evaluateOffers(req({ mode: 'soft', softWaitExpired: true }), offers, down);
    const h1 = byHost(result).h1!;
    expect(h1).toMatchObject({ pass: false, score: 0 });
    expect(h1.outcomes.find((o) => o.stage === 'storage-health')).toMatchObject({ pass: false, reason: 'Portworx node on h1 is down' });
    expect(result.chosen?.hostname).not.toBe('h1');
  });

  it('does not wait for a holder that is a storage-only node (no agent to run the pod)', () => {
    const onlyStorageHolder = { ...volume, replicaHosts: ['h9'] };
    const v: ClusterView = { ...view, storage: { ...view.storage, h9: 'up' } };
    const result = evaluateOffers(makeRequest({ volumes: [onlyStorageHolder] }), offers, v);
    expect(result.chosen).toBeDefined();
  });

  it('averages the score over several existing volumes and gives new volumes no preference', () => {
    const second = { name: 'cassandra-node-0-logs', exists: true, replicaHosts: ['far'] };
    const fresh = { name: 'cassandra-node-0-tmp', exists: false, replicaHosts: [] };
    const result = evaluateOffers(
      makeRequest({ volumes: [volume, second, fresh], convergence: { mode: 'soft', softWaitExpired: true } }),
      offers,
      view,
    );
    const s = byHost(result);
    expect(s.h1!.score).toBe(50); // holder of one (100), far from the other (0)
    expect(s.far!.score).toBe(50);
  });

  it('passes every host for a pod whose volumes are all new', () => {
    const result = evaluateOffers(makeRequest({ volumes: [{ name: 'n', exists: false, replicaHosts: [] }] }), offers, view);
    expect(result.evaluations.every((e) => e.pass)).toBe(true);
    expect(result.evaluations[0]!.outcomes[3]!.reason).toBe('new volume(s) get their first replica on h1');
  });
});
