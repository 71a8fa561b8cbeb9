import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/service-spec';
import { chooseAddedReplica, chooseKeptReplicas, type ReplicaChoiceDeps } from '../../src/controller/config-replicas';
import { clusterOf, hosts, nodeIdOf, type HostShape } from './fixtures';

const spec = parseSpec(`
name: svc
pods:
  node:
    count: 3
    cpus: 1
    mem: 64
    command: x
    volumes:
      - name: data
        path: /data
        size: 1Gi
        repl: 3
`);

function deps(shape: HostShape[]): ReplicaChoiceDeps {
  const cluster = clusterOf(shape);
  return {
    spec: () => spec,
    planningView: () => cluster.view(new Map()),
    hostOfNode: (id) => cluster.hostOfNode(id),
    nodeIdOfHost: (h) => cluster.nodeIdOfHost(h),
    siblingReplicaHosts: () => new Set(),
  };
}

const step = { podType: 'node', pod: 'node-0', volume: 'svc-node-0-data', repl: 3 };

describe('the host of a replica added by config update (repl up)', () => {
  it('goes to a rack that holds none of the volume replicas yet', () => {
    // h0 r0, h1 r1, h2 r2, h3 r0, h4 r1, h5 r2: replicas on h0 (r0) and h1 (r1) -> the new one in r2.
    const added = chooseAddedReplica(deps(hosts(6, 3)), step, ['h0', 'h1']);
    expect(['h2', 'h5']).toContain(added);
  });

  it('falls back to another host when every rack already holds one, never a holder', () => {
    const added = chooseAddedReplica(deps(hosts(4, 2)), step, ['h0', 'h1']);
    expect(['h2', 'h3']).toContain(added);
  });

  it('never picks a host whose storage is down', () => {
    const shape = hosts(6, 3).map((h) => (h.rack === 'r2' && h.host === 'h2' ? { ...h, storage: 'down' as const } : h));
    expect(chooseAddedReplica(deps(shape), step, ['h0', 'h1'])).toBe('h5');
  });

  it('fails with a reason when no host can take it', () => {
    expect(() => chooseAddedReplica(deps(hosts(2, 2)), step, ['h0', 'h1'])).toThrow(/no host with Portworx storage up can take another replica of svc-node-0-data \(replicas on h0, h1\)/);
  });

  it('is pinned by node id (the hosts map to Portworx nodes)', () => {
    const d = deps(hosts(6, 3));
    expect(d.nodeIdOfHost(chooseAddedReplica(d, step, ['h0', 'h1']))).toMatch(/^node-h[25]$/);
    expect(nodeIdOf('h2')).toBe('node-h2');
  });
});

describe('the replicas kept when repl goes down', () => {
  it("keeps the pod's host first, then the others in placement order", () => {
    expect(chooseKeptReplicas(['h0', 'h1', 'h2'], 2, 'h2')).toEqual(['h2', 'h0']);
    expect(chooseKeptReplicas(['h0', 'h1', 'h2'], 2, null)).toEqual(['h0', 'h1']);
  });
});
