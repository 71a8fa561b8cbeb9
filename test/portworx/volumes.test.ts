import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors';
import {
  PortworxAlreadyExistsError,
  PortworxClient,
  PortworxProtocolError,
  type Volume,
} from '../../src/portworx';
import { FakeSdk, grpcError } from './fake-sdk';

const GiB = 1024 ** 3;

function existing(id: string, name: string, spec: Record<string, unknown>): unknown {
  return { volumes: [{ volume: { id, locator: { name }, spec }, name, labels: { app: 'cassandra' } }] };
}

describe('PortworxClient volumes', () => {
  let sdk: FakeSdk;
  let client: PortworxClient;

  beforeEach(async () => {
    sdk = await FakeSdk.start();
    client = new PortworxClient({ url: sdk.url, retryBackoff: { baseMs: 1, maxMs: 2 } });
  });
  afterEach(() => sdk.close());

  it('creates a volume with SDK JSON: snake_case names, int64 as strings, unset fields left out', async () => {
    sdk.reply('POST /v1/volumes', 200, { volume_id: 'vol-1' });
    const id = await client.createVolume({
      name: 'cassandra-0-data',
      labels: { app: 'cassandra' },
      spec: {
        size: 10 * GiB,
        ha_level: 3,
        format: 'FS_TYPE_EXT4',
        io_profile: 'IO_PROFILE_DB',
        cos: 'HIGH',
        group: 'cassandra',
        replica_set: { nodes: ['n1', 'n2', 'n3'] },
        shared: false,
      },
    });
    expect(id).toBe('vol-1');
    expect(sdk.seen[0]!.body).toEqual({
      name: 'cassandra-0-data',
      labels: { app: 'cassandra' },
      spec: {
        size: String(10 * GiB),
        ha_level: '3',
        format: 'FS_TYPE_EXT4',
        io_profile: 'IO_PROFILE_DB',
        cos: 'HIGH',
        group: { id: 'cassandra' },
        replica_set: { nodes: ['n1', 'n2', 'n3'] },
        shared: false,
      },
    });
  });

  it('treats ALREADY_EXISTS for the same name and spec as success and returns the existing id', async () => {
    const e = grpcError(6, 'Volume with name cassandra-0-data already exists');
    sdk.reply('POST /v1/volumes', e.status, e.body);
    sdk.reply(
      'POST /v1/volumes/inspectwithfilters',
      200,
      existing('vol-7', 'cassandra-0-data', { size: String(GiB), ha_level: '2', format: 'FS_TYPE_EXT4' }),
    );
    const id = await client.createVolume({ name: 'cassandra-0-data', spec: { size: GiB, ha_level: 3, format: 'FS_TYPE_EXT4' } });
    expect(id).toBe('vol-7');
    expect(sdk.count('POST /v1/volumes')).toBe(1);
    expect(sdk.seen[1]!.body).toEqual({ name: 'cassandra-0-data' });
  });

  it('surfaces ALREADY_EXISTS when the existing volume of that name has a different spec', async () => {
    const e = grpcError(6, 'exists');
    sdk.reply('POST /v1/volumes', e.status, e.body);
    sdk.reply('POST /v1/volumes/inspectwithfilters', 200, existing('vol-7', 'data', { size: String(2 * GiB) }));
    const err = await client.createVolume({ name: 'data', spec: { size: GiB, ha_level: 1 } }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PortworxAlreadyExistsError);
    expect((err as Error).message).toContain('size "2147483648" (wanted "1073741824")');
    expect((err as PortworxAlreadyExistsError).grpcCode).toBe(6);
    expect((err as PortworxAlreadyExistsError).httpStatus).toBe(409);
  });

  it('rejects bad input before sending anything, naming the field path', async () => {
    const err = await client
      .createVolume({ name: 'x', spec: { size: -1, ha_level: 5 } })
      .catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ValidationError);
    const paths = (err as ValidationError).issues.map((i) => i.path);
    expect(paths).toContain('spec.size');
    expect(paths).toContain('spec.ha_level');
    expect(sdk.seen).toHaveLength(0);
  });

  it('inspects a volume and normalises int64 numbers to strings', async () => {
    sdk.reply('GET /v1/volumes/inspect/vol-1', 200, {
      volume: {
        id: 'vol-1',
        spec: { size: 1073741824, ha_level: '2' },
        replica_sets: [{ nodes: ['n1', 'n2'] }],
        attached_on: 'n1',
        state: 'VOLUME_STATE_ATTACHED',
        status: 'VOLUME_STATUS_UP',
        future_field: { kept: true },
      },
      name: 'data',
      labels: { a: 'b' },
    });
    const v = await client.inspectVolume('vol-1');
    const volume: Volume = v.volume;
    expect(volume.spec?.size).toBe('1073741824');
    expect(volume.replica_sets?.[0]?.nodes).toEqual(['n1', 'n2']);
    expect(volume.future_field).toEqual({ kept: true });
    expect(v.name).toBe('data');
    expect(v.labels).toEqual({ a: 'b' });
  });

  it('fails with a protocol error naming the field when an enum name is unknown', async () => {
    sdk.reply('GET /v1/volumes/inspect/vol-1', 200, { volume: { id: 'vol-1', state: 'VOLUME_STATE_MELTED' } });
    const err = await client.inspectVolume('vol-1').catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PortworxProtocolError);
    expect((err as Error).message).toContain('volume.state');
  });

  it('reports a delete of a volume that is already gone as success with alreadyGone', async () => {
    const e = grpcError(5, 'Volume id vol-9 not found');
    sdk.reply('DELETE /v1/volumes/vol-9', e.status, e.body);
    sdk.reply('DELETE /v1/volumes/vol-1', 200, {});
    await expect(client.deleteVolume('vol-9')).resolves.toEqual({ alreadyGone: true });
    await expect(client.deleteVolume('vol-1')).resolves.toEqual({ alreadyGone: false });
  });

  it('enumerates by labels through the filters route and everything through GET /v1/volumes', async () => {
    sdk.reply('POST /v1/volumes/filters', 200, { volume_ids: ['a', 'b'] });
    sdk.reply('GET /v1/volumes', 200, {});
    await expect(client.enumerateVolumes({ labels: { pxfw: 'cassandra' } })).resolves.toEqual(['a', 'b']);
    await expect(client.enumerateVolumes()).resolves.toEqual([]);
    expect(sdk.seen[0]!.body).toEqual({ labels: { pxfw: 'cassandra' } });
  });

  it('finds a volume by exact name and returns undefined when none matches', async () => {
    sdk.reply('POST /v1/volumes/inspectwithfilters', 200, {
      volumes: [
        { volume: { id: 'v2' }, name: 'data-10' },
        { volume: { id: 'v1' }, name: 'data-1' },
      ],
    });
    expect((await client.findVolumeByName('data-1'))?.volume.id).toBe('v1');
    expect(await client.findVolumeByName('data-2')).toBeUndefined();
  });

  it('updates labels and spec with PUT, int64 fields as strings', async () => {
    sdk.reply('PUT /v1/volumes/vol-1', 200, {});
    await client.updateVolume('vol-1', { labels: { x: 'y' }, spec: { ha_level: 3, replica_set: { nodes: ['n3'] } } });
    expect(sdk.seen[0]!.body).toEqual({
      volume_id: 'vol-1',
      labels: { x: 'y' },
      spec: { ha_level: '3', replica_set: { nodes: ['n3'] } },
    });
  });
});
