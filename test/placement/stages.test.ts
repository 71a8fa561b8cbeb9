import { describe, expect, it } from 'vitest';
import {
  buildPlacementIndex,
  prepareStageContext,
  resourcesStage,
  storageHealthStage,
  type ClusterView,
  type Offer,
  type PodRequest,
} from '../../src/placement';
import { makeCluster, makeRequest } from './fixtures';

function run(stage: typeof resourcesStage, offer: Offer, request: PodRequest, view: ClusterView) {
  return stage.explain(offer, prepareStageContext(request, buildPlacementIndex(view)));
}

describe('resources stage', () => {
  const { view, offers } = makeCluster({ agents: 1, cpus: 2, mem: 4096, disk: 1000 });
  const offer = offers[0]!;

  it('passes when cpus, mem, disk and ports fit, saying what it used', () => {
    const out = run(resourcesStage, offer, makeRequest({ cpus: 2, mem: 4096, disk: 1000, ports: 1000 }), view);
    expect(out).toEqual({
      stage: 'resources',
      pass: true,
      reason: 'fits: cpus 2/2, mem 4096/4096 MiB, disk 1000/1000 MiB, ports 1000/1000',
    });
  });

  it('fails naming every resource that is short', () => {
    const out = run(resourcesStage, offer, makeRequest({ cpus: 3, mem: 8192, disk: 1, ports: 1001 }), view);
    expect(out.pass).toBe(false);
    expect(out.reason).toBe(
      'not enough cpus: needs 3, offer has 2; mem: needs 8192 MiB, offer has 4096; ports: needs 1001, offer has 1000',
    );
  });

  it('tolerates float noise in decimal cpus', () => {
    const out = run(resourcesStage, { ...offer, cpus: 0.1 + 0.2 }, makeRequest({ cpus: 0.3 }), view);
    expect(out.pass).toBe(true);
  });

  it('counts ports over several ranges', () => {
    const out = run(resourcesStage, { ...offer, ports: [{ begin: 1, end: 2 }, { begin: 10, end: 10 }] }, makeRequest({ ports: 3 }), view);
    expect(out.pass).toBe(true);
  });
});

describe('storage-health stage', () => {
  const { view, offers } = makeCluster({ agents: 3 });
  const withVolume = makeRequest({ volumes: [{ name: 'v', exists: false, replicaHosts: [] }] });
  const storage: ClusterView['storage'] = { ...view.storage, 'agent-1': 'down' };
  delete storage['agent-2'];
  const v2: ClusterView = { ...view, storage };

  it('passes when the Portworx node on the host is up', () => {
    expect(run(storageHealthStage, offers[0]!, withVolume, v2)).toEqual({
      stage: 'storage-health',
      pass: true,
      reason: 'Portworx node on agent-0 is up',
    });
  });

  it('excludes a host whose Portworx node is down', () => {
    expect(run(storageHealthStage, offers[1]!, withVolume, v2)).toMatchObject({ pass: false, reason: 'Portworx node on agent-1 is down' });
  });

  it('excludes a host without a Portworx node', () => {
    expect(run(storageHealthStage, offers[2]!, withVolume, v2)).toMatchObject({ pass: false, reason: 'no Portworx node on agent-2' });
  });

  it('does not care about storage for a pod without volumes', () => {
    expect(run(storageHealthStage, offers[1]!, makeRequest(), v2)).toMatchObject({ pass: true, reason: 'pod has no volumes' });
  });
});
