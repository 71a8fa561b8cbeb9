// @vitest-environment node
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { buildPlacementIndex, evaluateOffers, PlacementMemory, type PodRequest } from '../../src/placement';
import { makeCluster, makeRequest, placePods } from './fixtures';

// A collector this test can call without --expose-gc on the command line.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

const fixedNow = () => new Date('2025-01-01T00:00:00Z');

/** A round of 40 agents (some holding pods of the type), the pod judged once, with memory. */
function judgeOnce(memory: PlacementMemory, request: PodRequest, detail: 'full' | 'summary'): { index: WeakRef<object>; view: WeakRef<object> } {
  const { view: bare, offers } = makeCluster({ agents: 40 });
  const view = placePods(bare, 'node', { 'agent-1': ['node-5'], 'agent-2': ['node-6'], 'agent-7': ['node-8'] });
  const index = buildPlacementIndex(view);
  evaluateOffers(request, offers, index, { memory, detail });
  return { index: new WeakRef(index), view: new WeakRef(view) };
}

async function collected(ref: WeakRef<object>): Promise<boolean> {
  // A WeakRef keeps its target through the current job: let it end before collecting.
  for (let i = 0; i < 3 && ref.deref() !== undefined; i++) {
    await new Promise((r) => setTimeout(r, 0));
    collect();
  }
  return ref.deref() === undefined;
}

const requests: Record<string, PodRequest> = {
  'placed with constraints and a volume': makeRequest({
    constraints: [{ field: 'hostname', operator: 'UNIQUE' }, { field: 'rack', operator: 'GROUP_BY', value: '3' }],
    volumes: [{ name: 'cassandra-node-0-data', exists: true, replicaHosts: ['agent-1', 'agent-4', 'agent-9'] }],
    convergence: { mode: 'soft', softWaitExpired: true },
  }),
  'no offer fits': makeRequest({ cpus: 100, constraints: [{ field: 'hostname', operator: 'MAX_PER', value: '1' }] }),
};

describe('PlacementMemory retains what it explains, not the round', () => {
  for (const [name, request] of Object.entries(requests)) {
    for (const detail of ['summary', 'full'] as const) {
      it(`a remembered pod (${name}, ${detail}) does not keep the round's index or cluster view alive, and explains the same`, async () => {
        const memory = new PlacementMemory({ now: fixedNow, maxOffersPerPod: 10 });
        const refs = judgeOnce(memory, request, detail);
        // The same judgement read at once, while its round is still alive.
        const twin = new PlacementMemory({ now: fixedNow, maxOffersPerPod: 10 });
        judgeOnce(twin, request, detail);
        const expected = twin.explain('node-0');
        const expectedJson = JSON.stringify(twin.get('node-0'));

        expect(await collected(refs.index)).toBe(true);
        expect(await collected(refs.view)).toBe(true);
        expect(memory.explain('node-0')).toEqual(expected);
        expect(JSON.stringify(memory.get('node-0'))).toBe(expectedJson);
        expect(expected.length).toBeGreaterThan(3);
      });
    }
  }
});
