import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors';
import { PortworxClient, PortworxGroupSnapshotError, PortworxRequestError } from '../../src/portworx';
import { FakeSdk } from './fake-sdk';

const GROUP_ROUTE = 'POST /v1/osd-snapshot/snapshotgroup';

const snapOk = (id: string) => ({ volume_create_response: { id, volume_response: {} } });

describe('PortworxClient snapshots', () => {
  let sdk: FakeSdk;
  let legacy: FakeSdk;
  let client: PortworxClient;

  beforeEach(async () => {
    sdk = await FakeSdk.start();
    legacy = await FakeSdk.start();
    client = new PortworxClient({ url: sdk.url, legacyUrl: legacy.url, token: 't0k' });
  });
  afterEach(async () => {
    await sdk.close();
    await legacy.close();
  });

  it('creates a group snapshot on the legacy REST and maps each volume to its snapshot id', async () => {
    legacy.reply(GROUP_ROUTE, 200, { snapshots: { v1: snapOk('s1'), v2: snapOk('s2') } });
    const res = await client.createGroupSnapshot({
      volumeIds: ['v1', 'v2'],
      groupId: 'cassandra-20240501',
      labels: { pxfw: 'cassandra' },
      deleteOnFailure: true,
    });
    expect(res).toEqual({ groupId: 'cassandra-20240501', snapshots: { v1: 's1', v2: 's2' } });
    expect(legacy.seen[0]!.body).toEqual({
      id: 'cassandra-20240501',
      Labels: { pxfw: 'cassandra' },
      volume_ids: ['v1', 'v2'],
      delete_on_failure: true,
    });
    expect(legacy.seen[0]!.headers.authorization).toBe('bearer t0k');
    expect(sdk.seen).toHaveLength(0);
  });

  it('generates a group id when none is given', async () => {
    legacy.reply(GROUP_ROUTE, 200, { snapshots: { v1: snapOk('s1') } });
    const res = await client.createGroupSnapshot({ volumeIds: ['v1'] });
    expect(res.groupId).toMatch(/^[0-9a-f-]{36}$/);
    expect((legacy.seen[0]!.body as { id: string }).id).toBe(res.groupId);
  });

  it('fails listing every volume whose snapshot failed or is missing from the answer', async () => {
    legacy.reply(GROUP_ROUTE, 200, {
      snapshots: {
        v1: snapOk('s1'),
        v2: { volume_create_response: { volume_response: { error: 'volume v2 is not attached' } } },
      },
      error: 'group snapshot partially failed',
    });
    const err = await client.createGroupSnapshot({ volumeIds: ['v1', 'v2', 'v3'] }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PortworxGroupSnapshotError);
    const e = err as PortworxGroupSnapshotError;
    expect(e.failures).toEqual({ v2: 'volume v2 is not attached', v3: 'volume missing from the answer' });
    expect(e.message).toContain('group snapshot partially failed');
    expect(e.retryable).toBe(false);
  });

  it('maps a legacy text/plain error to an error that quotes it', async () => {
    legacy.on(GROUP_ROUTE, (_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Volume v9 not found\n');
    });
    const err = await client.createGroupSnapshot({ volumeIds: ['v9'] }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('Volume v9 not found');
    expect((err as PortworxRequestError).httpStatus).toBe(400);
    expect(legacy.count(GROUP_ROUTE)).toBe(1);
  });

  it('refuses a group snapshot of no volumes', async () => {
    await expect(client.createGroupSnapshot({ volumeIds: [] })).rejects.toBeInstanceOf(ValidationError);
  });

  it('creates, lists, restores and deletes single-volume snapshots over the SDK', async () => {
    sdk.reply('POST /v1/volumes/snapshots', 200, { snapshot_id: 'snap-1' });
    sdk.reply('POST /v1/volumes/snapshots/filters/v1', 200, { volume_snapshot_ids: ['snap-1'] });
    sdk.reply('POST /v1/volumes/snapshots/restore', 200, {});
    sdk.reply('DELETE /v1/volumes/snap-1', 200, {});
    expect(await client.createSnapshot('v1', 'nightly', { pxfw: 'c' })).toBe('snap-1');
    expect(await client.enumerateSnapshots({ volumeId: 'v1', labels: { pxfw: 'c' } })).toEqual(['snap-1']);
    await client.restoreSnapshot('v1', 'snap-1');
    expect(await client.deleteSnapshot('snap-1')).toEqual({ alreadyGone: false });
    expect(sdk.seen.map((s) => s.body)).toEqual([
      { volume_id: 'v1', name: 'nightly', labels: { pxfw: 'c' } },
      { volume_id: 'v1', labels: { pxfw: 'c' } },
      { volume_id: 'v1', snapshot_id: 'snap-1' },
      null,
    ]);
  });

  it('lists snapshots of all volumes by labels by inspecting each one', async () => {
    sdk.reply('GET /v1/volumes/snapshots', 200, { volume_snapshot_ids: ['s1', 's2'] });
    sdk.reply('GET /v1/volumes/inspect/s1', 200, { volume: { id: 's1', locator: { volume_labels: { pxfw: 'c' } } } });
    sdk.reply('GET /v1/volumes/inspect/s2', 200, { volume: { id: 's2' }, labels: { pxfw: 'other' } });
    expect(await client.enumerateSnapshots({ labels: { pxfw: 'c' } })).toEqual(['s1']);
    expect(await client.enumerateSnapshots()).toEqual(['s1', 's2']);
  });
});
