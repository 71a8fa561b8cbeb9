import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PortworxClient, replicaHealth } from '../../src/portworx';
import { FakeSdk } from './fake-sdk';

const GiB = 1024 ** 3;

describe('PortworxClient: what config update sends and reads back', () => {
  let sdk: FakeSdk;
  let client: PortworxClient;

  beforeEach(async () => {
    sdk = await FakeSdk.start();
    client = new PortworxClient({ url: sdk.url, retryBackoff: { baseMs: 1, maxMs: 2 } });
  });
  afterEach(() => sdk.close());

  it('a resize is a VolumeUpdate of spec.size alone, in bytes as a decimal string', async () => {
    sdk.reply('PUT /v1/volumes/vol-1', 200, {});
    await client.updateVolume('vol-1', { spec: { size: 30 * GiB } });
    expect(sdk.seen[0]!.body).toEqual({ volume_id: 'vol-1', spec: { size: String(30 * GiB) } });
  });

  it('a replication change sends ha_level with the whole new replica set', async () => {
    sdk.reply('PUT /v1/volumes/vol-1', 200, {});
    await client.updateVolume('vol-1', { spec: { ha_level: 3, replica_set: { nodes: ['n1', 'n2', 'n4'] } } });
    expect(sdk.seen[0]!.body).toEqual({ volume_id: 'vol-1', spec: { ha_level: '3', replica_set: { nodes: ['n1', 'n2', 'n4'] } } });
  });

  it('reads runtime_state and fs_resize_required from an inspection', async () => {
    sdk.reply('GET /v1/volumes/inspect/vol-1', 200, {
      volume: {
        id: 'vol-1',
        status: 'VOLUME_STATUS_DEGRADED',
        replica_sets: [{ nodes: ['n1', 'n2', 'n4'] }],
        runtime_state: [{ runtime_state: { RuntimeState: 'resync', ResyncNodes: 'n4', ResyncProgress: '40' } }],
        fs_resize_required: true,
      },
      name: 'data',
    });
    const v = (await client.inspectVolume('vol-1')).volume;
    expect(v.fs_resize_required).toBe(true);
    expect(replicaHealth(v)).toEqual({ replicas: 3, resyncing: true, resyncNodes: ['n4'], progress: 40 });
  });
});

describe('replicaHealth', () => {
  it('in sync when no runtime state says resync (clean, or none reported)', () => {
    expect(replicaHealth({ replica_sets: [{ nodes: ['a', 'b'] }], runtime_state: [{ runtime_state: { RuntimeState: 'clean' } }] })).toEqual({ replicas: 2, resyncing: false, resyncNodes: [] });
    expect(replicaHealth({ replica_sets: [{ nodes: ['a'] }] })).toEqual({ replicas: 1, resyncing: false, resyncNodes: [] });
  });

  it('resyncing without the simulator-only keys: no nodes, no progress', () => {
    expect(replicaHealth({ replica_sets: [{ nodes: ['a', 'b', 'c'] }], runtime_state: [{ runtime_state: { RuntimeState: 'resync' } }] })).toEqual({ replicas: 3, resyncing: true, resyncNodes: [] });
  });
});
