import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/controller/cluster-view';
import type { StorageNode } from '../../src/portworx';

type Node = StorageNode & { id: string; scheduler_node_name: string };

/** What hostOfNode answered before it kept a map: the first listed node answering to the ref. */
function scan(nodes: Node[], ref: string): string | undefined {
  const cluster = new ClusterState();
  cluster.setStorageNodes(nodes);
  for (const host of new Set(nodes.map((n) => n.scheduler_node_name))) {
    const s = cluster.storageNode(host)!;
    if (s.nodeId === ref || s.mgmtIp === ref || s.hostname === ref || s.aliases.includes(ref)) return s.hostname;
  }
  return undefined;
}

describe('the host of a storage node named by id, management IP, hostname or alias', () => {
  const nodeArb = fc.record({
    id: fc.constantFrom('n1', 'n2', 'n3', 'n4'),
    host: fc.constantFrom('h1', 'h2', 'h3'),
    ip: fc.option(fc.constantFrom('10.0.0.1', '10.0.0.2'), { nil: undefined }),
    status: fc.constantFrom('STATUS_OK' as const, 'STATUS_OFFLINE' as const, 'STATUS_MAINTENANCE' as const),
  }).map(({ id, host, ip, status }): Node => ({ id, hostname: host, scheduler_node_name: host, ...(ip ? { mgmt_ip: ip } : {}), status }));

  it('answers as a scan of the listed nodes would, after every re-read (the map never goes stale)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(nodeArb, { maxLength: 6 }), { minLength: 1, maxLength: 4 }), (listings) => {
        const cluster = new ClusterState();
        for (const nodes of listings) {
          cluster.setStorageNodes(nodes);
          for (const ref of ['n1', 'n2', 'n3', 'n4', 'h1', 'h2', 'h3', '10.0.0.1', '10.0.0.2', 'nope']) {
            expect(cluster.hostOfNode(ref)).toBe(scan(nodes, ref));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('forgets a node that a re-read no longer lists, and learns one added on its own', () => {
    const cluster = new ClusterState();
    cluster.setStorageNodes([{ id: 'old', hostname: 'h1', scheduler_node_name: 'h1', status: 'STATUS_OK' }]);
    expect(cluster.hostOfNode('old')).toBe('h1');
    cluster.setStorageNodes([{ id: 'new', hostname: 'h2', scheduler_node_name: 'h2', status: 'STATUS_OK' }]);
    expect(cluster.hostOfNode('old')).toBeUndefined();
    cluster.learnStorageNode({ id: 'third', hostname: 'h3', scheduler_node_name: 'h3', status: 'STATUS_OK' });
    expect(cluster.hostOfNode('third')).toBe('h3');
  });
});
