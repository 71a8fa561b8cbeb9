import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/controller/cluster-view';
import type { Offer as MesosOffer } from '../../src/mesos';

function offer(id: string, agent: string, host: string, rack: string, extra: Record<string, string> = {}): MesosOffer {
  const attributes = [{ name: 'rack', type: 'TEXT', text: { value: rack } }, ...Object.entries(extra).map(([name, value]) => ({ name, type: 'TEXT', text: { value } }))];
  return {
    id: { value: id },
    framework_id: { value: 'fw' },
    agent_id: { value: agent },
    hostname: host,
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 4 } }],
    attributes,
  } as unknown as MesosOffer;
}

describe('ClusterState agents learnt from offers (2,000 per offer round)', () => {
  it('an agent that reads the same stays the agent known: same record and objects, the view version unchanged', () => {
    const cluster = new ClusterState();
    const first = cluster.learnOffer(offer('o1', 'a1', 'h1', 'r1', { ssd: 'true' }));
    const known = cluster.agent('a1');
    const version = cluster.version;
    const again = cluster.learnOffer(offer('o2', 'a1', 'h1', 'r1', { ssd: 'true' }));
    expect(cluster.agent('a1')).toBe(known);
    expect(again.domain).toBe(first.domain);
    expect(again.attributes).toBe(first.attributes);
    expect(again.offerId).toBe('o2');
    expect(cluster.version).toBe(version);
  });

  it('an agent that reads differently (rack, attribute, hostname) or came back from gone is learnt anew and bumps the version', () => {
    const cluster = new ClusterState();
    cluster.learnOffer(offer('o1', 'a1', 'h1', 'r1'));
    const steps: [MesosOffer, (c: ClusterState) => void][] = [
      [offer('o2', 'a1', 'h1', 'r2'), () => undefined],
      [offer('o3', 'a1', 'h1', 'r2', { ssd: 'true' }), () => undefined],
      [offer('o4', 'a1', 'h9', 'r2', { ssd: 'true' }), () => undefined],
      [offer('o5', 'a1', 'h9', 'r2', { ssd: 'true' }), (c) => c.markGone('a1')],
    ];
    for (const [o, before] of steps) {
      before(cluster);
      const known = cluster.agent('a1');
      const version = cluster.version;
      const learnt = cluster.learnOffer(o);
      expect(cluster.agent('a1')).not.toBe(known);
      expect(cluster.version).toBeGreaterThan(version);
      expect(cluster.agent('a1')).toMatchObject({ hostname: o.hostname, gone: false, domain: learnt.domain, attributes: learnt.attributes });
      expect(cluster.agentByHost(o.hostname)?.agentId).toBe('a1');
    }
    expect(cluster.agent('a1')?.domain).toEqual({ rack: 'r2' });
    expect(cluster.agent('a1')?.attributes).toEqual({ rack: 'r2', ssd: 'true' });
  });
});
