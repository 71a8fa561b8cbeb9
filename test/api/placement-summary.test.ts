import { describe, expect, it } from 'vitest';
import { placementStallReason } from '../../src/api/placement-summary';
import type { RememberedPlacement } from '../../src/placement/memory';
import type { OfferEvaluation } from '../../src/placement/types';

const ok = { stage: 'constraints', pass: true, reason: 'fits' };
function failing(hostname: string, ...reasons: [string, string][]): OfferEvaluation {
  return { offerId: `o-${hostname}`, agentId: `a-${hostname}`, hostname, pass: false, score: 0, outcomes: [ok, ...reasons.map(([stage, reason]) => ({ stage, pass: false, reason }))] };
}
function remembered(evaluations: OfferEvaluation[], extra: Partial<RememberedPlacement> = {}): RememberedPlacement {
  return { pod: 'node-0', service: 'cassandra', podType: 'node', at: '2026-01-01T00:00:00Z', convergence: { mode: 'soft', softWaitExpired: false }, evaluations, offersSeen: evaluations.length, racks: {}, ...extra };
}
const portsMissing = (host: string) => failing(host, ['resources', `not enough ports: 9042, 7000 not offered (in use on ${host}?)`]);

describe('why a pod waits for placement, in one line for plan status', () => {
  it('says no agent offers port 9042 when every offer lacks it (agents offering only 31000-32000)', () => {
    const reason = placementStallReason(remembered(['agent-1', 'agent-2', 'agent-3'].map(portsMissing)));
    expect(reason).toBe('no offer fits: no agent offers ports 9042, 7000 (pxfw cassandra debug offers node-0)');
    const one = failing('agent-1', ['resources', 'not enough ports: 9042 not offered (in use on agent-1?)']);
    expect(placementStallReason(remembered([one]))).toBe('no offer fits: no agent offers port 9042 (pxfw cassandra debug offers node-0)');
  });

  it('counts agents that fail alike together, most common first, with how many of the offers', () => {
    const reason = placementStallReason(
      remembered([
        portsMissing('agent-1'),
        failing('agent-2', ['resources', 'not enough mem: needs 4096 MiB, offer has 1024']),
        failing('agent-3', ['storage-health', 'Portworx node on agent-3 is down'], ['resources', 'not enough mem: needs 4096 MiB, offer has 1024']),
      ]),
      1,
    );
    expect(reason).toBe('no offer fits: not enough mem: needs 4096 MiB, offer has 1024 (2 of 3 offers) (pxfw cassandra debug offers node-0)');
    expect(placementStallReason(remembered([portsMissing('agent-1'), failing('agent-2', ['storage-health', 'Portworx node on agent-2 is down'])]), 1)).toBe(
      'no offer fits: port 7000 not offered by 1 of 2 agents (pxfw cassandra debug offers node-0)',
    );
  });

  it('has nothing to say when an offer was chosen or nothing was evaluated; says so when no offer came', () => {
    expect(placementStallReason(undefined)).toBeUndefined();
    expect(placementStallReason(remembered([], { chosen: { offerId: 'o', agentId: 'a', hostname: 'h', score: 1 } as RememberedPlacement['chosen'] }))).toBeUndefined();
    expect(placementStallReason(remembered([]))).toBe('waiting for an offer (none received yet)');
  });
});
