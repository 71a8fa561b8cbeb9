import { afterEach, describe, expect, it } from 'vitest';
import {
  GrpcCode,
  PortworxAlreadyExistsError,
  PortworxInternalError,
  PortworxInvalidArgumentError,
} from '../../src/portworx';
import { GROUP_SNAPSHOT_LABEL } from '../../src/sim/portworx';
import { expectConformantRecordings } from '../conformance/recordings';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { AlertTap, nodeIndex, RACK_LABEL, recordedExchanges, startPxStack, until, type PxStack } from './helpers/px-stack';

const GiB = 1024 ** 3;

/*
 * The real PortworxClient against the real PortworxSimulator over HTTP, with the simulator
 * publishing alerts on the shared NATS server (a unique cluster id per test keeps tests apart).
 * Every test ends by holding the client's recorded traffic to the OpenStorage SDK document.
 */
describe('the Portworx client against the Portworx simulator', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    // Run every cleanup even if one fails, then fail with all of them.
    const errors: unknown[] = [];
    for (const c of cleanups.splice(0).reverse()) await c().catch((err: unknown) => errors.push(err));
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} cleanup step(s) failed`);
  });

  async function stack(hosts: string, natsUrl?: string): Promise<PxStack> {
    const s = await startPxStack({ hosts, ...(natsUrl ? { natsUrl } : {}) });
    cleanups.push(() => s.stop());
    return s;
  }

  it('creates a volume with ha_level 3 whose replicas land on three nodes in three racks, idempotently by name', async () => {
    const { client, dir } = await stack('a1=rack-1,a2=rack-1,b1=rack-2,b2=rack-2,c1=rack-3,c2=rack-3');
    const input = { name: 'pxfw-cassandra-node-0-data', labels: { 'pxfw.service': 'cassandra' }, spec: { size: 10 * GiB, ha_level: 3 } };
    const id = await client.createVolume(input);
    // A repeat after a lost answer converges on the same volume. The SDK compares only size,
    // shared and parent, so another ha_level still answers the existing id (200, not 409).
    expect(await client.createVolume(input)).toBe(id);
    expect(await client.createVolume({ ...input, spec: { ...input.spec, ha_level: 2 } })).toBe(id);
    const creates = recordedExchanges(dir).filter((x) => x.method === 'POST' && x.path === '/v1/volumes');
    expect(creates.map((x) => [x.status, x.response])).toEqual([
      [200, { volume_id: id }],
      [200, { volume_id: id }],
      [200, { volume_id: id }],
    ]);

    const { volume, name } = await client.inspectVolume(id);
    expect(name).toBe(input.name);
    expect(volume.spec?.ha_level).toBe('3');
    expect(volume.spec?.size).toBe(String(10 * GiB));
    const replicas = volume.replica_sets?.flatMap((r) => r.nodes ?? []) ?? [];
    expect(replicas).toHaveLength(3);
    // replica_sets hold node ids, not hostnames: each resolves through the node list.
    const nodes = await nodeIndex(client);
    const racks = replicas.map((nodeId) => nodes.byId.get(nodeId)?.scheduler_topology?.labels?.[RACK_LABEL]);
    expect(new Set(replicas).size).toBe(3);
    expect(new Set(racks)).toEqual(new Set(['rack-1', 'rack-2', 'rack-3']));

    // The same name with a different fixed spec is a conflict that names the field.
    const clash = client.createVolume({ ...input, spec: { size: 20 * GiB, ha_level: 3 } });
    await expect(clash).rejects.toBeInstanceOf(PortworxAlreadyExistsError);
    await expect(clash).rejects.toThrow(/size/);
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('fences a volume: attached on A, A goes down (alert on NATS), attach on B refused until a force detach from A', async () => {
    const { client, sim, dir, clusterId } = await stack('host-a=rack-1,host-b=rack-2,host-c=rack-3', SHARED_NATS_URL);
    const tap = await AlertTap.open(SHARED_NATS_URL, clusterId);
    cleanups.push(() => tap.close());
    const nodes = await nodeIndex(client);
    const [a, b] = [nodes.byHost('host-a'), nodes.byHost('host-b')];

    const id = await client.createVolume({ name: 'pxfw-kafka-broker-0-data', spec: { size: GiB, ha_level: 3 } });
    const { devicePath } = await client.attach(id, { node: 'host-a' });
    expect(devicePath).not.toBe('');
    sim.setMarker(id, 'written-on-a');
    const attached = (await client.inspectVolume(id)).volume;
    expect(attached.state).toBe('VOLUME_STATE_ATTACHED');
    // Portworx reports the attachment by the node's management IP; map it back through mgmt_ip.
    expect(attached.attached_on).toBe(a.mgmt_ip);
    expect(nodes.byMgmtIp(attached.attached_on)?.id).toBe(a.id);

    sim.nodeDown('host-a');
    await until(() => tap.find((x) => x.resource_id === a.id && !x.cleared) !== undefined, 'the node-offline alert on NATS');
    const nodeAlert = tap.find((x) => x.resource_id === a.id && !x.cleared)!;
    expect(nodeAlert).toMatchObject({ resource: 'RESOURCE_TYPE_NODE', severity: 'SEVERITY_TYPE_ALARM' });
    expect(tap.received.find((r) => r.alert === nodeAlert)?.subject).toBe(`portworx.alerts.${clusterId}.node`);
    expect((await client.inspectNode(a.id!)).status).toBe('STATUS_OFFLINE');
    expect((await client.inspectVolume(id)).volume.status).toBe('VOLUME_STATUS_DEGRADED');

    // Two writers are never allowed: B is refused while the volume is still attached on A.
    const refused = await client.attach(id, { node: 'host-b' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PortworxAlreadyExistsError);
    expect(refused).toMatchObject({ grpcCode: GrpcCode.ALREADY_EXISTS, httpStatus: 409 });
    await until(() => tap.find((x) => x.resource_id === id && /Failed to attach/.test(x.message ?? '')) !== undefined, 'the attach-failure alert');
    // A plain detach cannot reach the dead node; only a forced one fences it.
    await expect(client.detach(id, { node: 'host-b' })).rejects.toBeInstanceOf(PortworxInternalError);
    await client.detach(id, { node: 'host-b', force: true });
    expect((await client.inspectVolume(id)).volume.attached_on).toBeUndefined();

    await client.attach(id, { node: 'host-b' });
    const moved = await client.inspectVolume(id);
    expect(moved.volume.id).toBe(id);
    expect(moved.volume.attached_on).toBe(b.mgmt_ip);
    expect(sim.marker(id)).toBe('written-on-a');
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('reads every node status the simulator models, a stale duplicate entry, and a crash detected after the delay', async () => {
    const { client, sim, dir, clusterId } = await stack('host-a=rack-1,host-b=rack-2,host-c=rack-3', SHARED_NATS_URL);
    const tap = await AlertTap.open(SHARED_NATS_URL, clusterId);
    cleanups.push(() => tap.close());
    const nodes = await nodeIndex(client);
    const a = nodes.byHost('host-a');

    // The client's schema accepts each status; STATUS_NONE is the zero value and arrives absent.
    const seen: (string | undefined)[] = [];
    for (const status of ['STATUS_MAINTENANCE', 'STATUS_STORAGE_DOWN', 'STATUS_NONE', 'STATUS_OFFLINE', 'STATUS_OK'] as const) {
      sim.setNodeStatus('host-a', status);
      seen.push((await client.inspectNode(a.id!)).status);
    }
    expect(seen).toEqual(['STATUS_MAINTENANCE', 'STATUS_STORAGE_DOWN', undefined, 'STATUS_OFFLINE', 'STATUS_OK']);
    await until(() => tap.find((x) => x.resource_id === a.id && x.unique_tag === 'node-maintenance') !== undefined, 'the maintenance alert on NATS');

    // A stale entry: two StorageNodes name host-a; the current one is online.
    const stale = sim.addDuplicateNode('host-a');
    const listed = (await client.enumerateNodes()).filter((n) => n.scheduler_node_name === 'host-a');
    expect(listed.map((n) => [n.id, n.status])).toEqual(
      expect.arrayContaining([
        [a.id, 'STATUS_OK'],
        [stale.id, 'STATUS_OFFLINE'],
      ]),
    );
    sim.removeDuplicateNode('host-a');

    // A crash: the cluster keeps reporting OK through the detection delay, then OFFLINE.
    const b = nodes.byHost('host-b');
    sim.crashHost('host-b');
    expect((await client.inspectNode(b.id!)).status).toBe('STATUS_OK');
    await until(() => tap.find((x) => x.resource_id === b.id && x.unique_tag === 'node-offline') !== undefined, 'the offline alert after the delay');
    expect((await client.inspectNode(b.id!)).status).toBe('STATUS_OFFLINE');
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('snapshots three volumes as one consistency group through the legacy route, and restores one', async () => {
    const { client, sim, dir } = await stack('n1=rack-1,n2=rack-2,n3=rack-3');
    const ids: string[] = [];
    for (const i of [0, 1, 2]) {
      const id = await client.createVolume({ name: `pxfw-cass-node-${i}-data`, spec: { size: GiB, ha_level: 2 } });
      sim.setMarker(id, `before-${i}`);
      ids.push(id);
    }
    const result = await client.createGroupSnapshot({ volumeIds: ids, labels: { 'pxfw.service': 'cass' }, deleteOnFailure: true });
    expect(Object.keys(result.snapshots).sort()).toEqual([...ids].sort());
    for (const [i, id] of ids.entries()) sim.setMarker(id, `after-${i}`);

    // Read the snapshots back through the SDK: one per volume, one group label, one ctime.
    const snaps = await Promise.all(ids.map(async (id) => {
      const listed = await client.enumerateSnapshots({ volumeId: id });
      expect(listed).toEqual([result.snapshots[id]]);
      return client.inspectVolume(listed[0]!);
    }));
    const groups = new Set(snaps.map((s) => s.volume.locator?.volume_labels?.[GROUP_SNAPSHOT_LABEL]));
    expect(groups.size).toBe(1);
    const [group] = groups;
    expect(group).toMatch(/^\d+$/);
    expect(new Set(snaps.map((s) => s.volume.ctime)).size).toBe(1);
    expect(snaps.map((s) => s.volume.source?.parent)).toEqual(ids);
    expect(snaps.every((s) => s.volume.readonly === true)).toBe(true);
    // Without a volume id the SDK lists every snapshot; labels pick the group's.
    const byGroup = await client.enumerateSnapshots({ labels: { [GROUP_SNAPSHOT_LABEL]: group! } });
    expect(byGroup.sort()).toEqual(Object.values(result.snapshots).sort());

    await client.restoreSnapshot(ids[1]!, result.snapshots[ids[1]!]!);
    expect(ids.map((id) => sim.marker(id))).toEqual(['after-0', 'before-1', 'after-2']);
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('refuses to restore an attached volume, and reports a bad alert query as a stream error the checker accepts', async () => {
    const { client, dir } = await stack('n1,n2,n3');
    const id = await client.createVolume({ name: 'pxfw-es-data-0', spec: { size: GiB, ha_level: 1 } });
    const snap = await client.createSnapshot(id, 'manual-1', { reason: 'test' });
    await client.attach(id, { node: 'n1' });
    await expect(client.restoreSnapshot(id, snap)).rejects.toThrow(/Volume is attached/);
    // The SDK needs at least one alert query: the gateway answers 400 with an {"error"} stream chunk.
    const stream = client.streamAlerts({ filters: [] })[Symbol.asyncIterator]();
    await expect(stream.next()).rejects.toBeInstanceOf(PortworxInvalidArgumentError);
    expectConformantRecordings(dir, { require: ['portworx'] });
  });
});
