import { describe, expect, it } from 'vitest';
import { VolumeLocations } from '../../src/controller/volume-locations';
import { clusterOf, FakePortworx, hosts, inspected, learnStorage } from './fixtures';

describe('VolumeLocations (cached replica hosts per volume, for the locality stage)', () => {
  it('does not cache a volume while one of its replica nodes cannot be resolved to a host', async () => {
    // Storage node of h1 not listed yet (e.g. the first storage refresh has not finished).
    const cluster = clusterOf(hosts(3));
    const px = new FakePortworx();
    px.add(inspected('demo-node-0-data', 'vol-1', ['h0', 'h-new']));
    const locations = new VolumeLocations(px.asClient(), cluster);

    await locations.refresh([{ name: 'demo-node-0-data', id: 'vol-1' }]);

    expect(locations.replicaHosts('demo-node-0-data')).toBeUndefined();
  });

  it('caches the full host list on a later refresh, once every storage node is known', async () => {
    const cluster = clusterOf(hosts(3));
    const px = new FakePortworx();
    px.add(inspected('demo-node-0-data', 'vol-1', ['h0', 'h-new']));
    const locations = new VolumeLocations(px.asClient(), cluster);
    await locations.refresh([{ name: 'demo-node-0-data', id: 'vol-1' }]);

    learnStorage(cluster, 'h-new');
    await locations.refresh([{ name: 'demo-node-0-data', id: 'vol-1' }]);

    expect(locations.replicaHosts('demo-node-0-data')).toEqual(['h0', 'h-new']);
  });

  it('does not count a replica still resyncing as a holder, and reads the volume again until it is in sync', async () => {
    const cluster = clusterOf(hosts(3));
    const px = new FakePortworx();
    const v = inspected('demo-node-0-data', 'vol-1', ['h0', 'h1']);
    v.volume.runtime_state = [{ runtime_state: { RuntimeState: 'resync', ResyncNodes: 'node-h1' } }];
    px.add(v);
    const locations = new VolumeLocations(px.asClient(), cluster);
    await locations.refresh([{ name: 'demo-node-0-data', id: 'vol-1' }]);
    expect(locations.replicaHosts('demo-node-0-data')).toEqual(['h0']);

    v.volume.runtime_state = [{ runtime_state: { RuntimeState: 'clean' } }];
    await locations.refresh([{ name: 'demo-node-0-data', id: 'vol-1' }]);
    expect(locations.replicaHosts('demo-node-0-data')).toEqual(['h0', 'h1']);
    const reads = px.inspectCalls;
    await locations.refresh([{ name: 'demo-node-0-data', id: 'vol-1' }]);
    expect(px.inspectCalls).toBe(reads);
  });

  it('names every volume whose replica hosts changed (read, re-read, invalidated) to its listeners', async () => {
    const cluster = clusterOf(hosts(3));
    const px = new FakePortworx();
    px.add(inspected('demo-node-0-data', 'vol-1', ['h0', 'h1']));
    px.add(inspected('demo-node-1-data', 'vol-2', ['h0', 'h-new']));
    const locations = new VolumeLocations(px.asClient(), cluster);
    const heard: string[] = [];
    locations.onChange((v) => heard.push(v));
    await locations.refresh([{ name: 'demo-node-0-data', id: 'vol-1' }, { name: 'demo-node-1-data', id: 'vol-2' }]);
    // vol-2's node is not known yet: nothing cached, nothing to tell.
    expect(heard).toEqual(['demo-node-0-data']);
    locations.invalidate(['demo-node-0-data', 'demo-node-1-data']);
    expect(heard).toEqual(['demo-node-0-data', 'demo-node-0-data']);
  });
});
