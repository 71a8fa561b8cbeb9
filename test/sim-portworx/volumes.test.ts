import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Recorder } from '../../src/record/recorder';
import { PortworxSimulator } from '../../src/sim/portworx';
import { expectConformantRecordings } from '../conformance/recordings';
import { call, createVolume, GiB, inspect } from './sdk-http';

const HOSTS = 'a1=rack-1/zone-1/region-1,a2=rack-1/zone-1/region-1,a3=rack-2/zone-1/region-1,a4=rack-3/zone-2/region-1,a5=rack-3/zone-2/region-1';

describe('the Portworx simulator: volumes over the SDK REST gateway', () => {
  let sim: PortworxSimulator;
  let dir: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pxsim-vol-'));
    sim = await PortworxSimulator.start({ hosts: HOSTS, recorder: Recorder.toDir(dir), poolBytes: 100 * GiB });
  });
  afterEach(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('describes the cluster and one storage node per host, tied to it by hostname and scheduler_node_name', async () => {
    const cluster = await call(sim.url, 'GET', '/v1/clusters/inspectcurrent');
    expect(cluster.body).toEqual({ cluster: { id: sim.clusterId, name: sim.clusterId, status: 'STATUS_OK' } });
    const nodes = await call(sim.url, 'GET', '/v1/nodes/filters');
    expect(nodes.body.nodes.map((n: any) => n.hostname)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    const a4 = nodes.body.nodes[3];
    expect(a4).toMatchObject({ scheduler_node_name: 'a4', status: 'STATUS_OK', node_labels: { rack: 'rack-3', zone: 'zone-2' } });
    expect(a4.pools[0]).toMatchObject({ TotalSize: String(100 * GiB) });
    const ids = await call(sim.url, 'GET', '/v1/nodes');
    expect(ids.body.node_ids).toHaveLength(5);
    const one = await call(sim.url, 'GET', `/v1/nodes/inspect/${a4.id}`);
    expect(one.body.node.hostname).toBe('a4');
    const current = await call(sim.url, 'GET', '/v1/nodes/inspectcurrent', undefined, 'a3');
    expect(current.body.node.hostname).toBe('a3');
    const missing = await call(sim.url, 'GET', '/v1/nodes/inspect/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: 'Id nope not found', code: 5, message: 'Id nope not found', details: [] });
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('places ha_level 3 replicas in three different racks, never two on one node', async () => {
    const id = await createVolume(sim.url, 'data-0', { size: String(10 * GiB), ha_level: '3' });
    const vol = (await inspect(sim.url, id)).volume;
    const replicaNodes: string[] = vol.replica_sets[0].nodes;
    expect(new Set(replicaNodes).size).toBe(3);
    const racks = sim.nodes().filter((n) => replicaNodes.includes(n.id)).map((n) => n.topology.rack);
    expect(new Set(racks)).toEqual(new Set(['rack-1', 'rack-2', 'rack-3']));
    expect(vol).toMatchObject({ state: 'VOLUME_STATE_DETACHED', status: 'VOLUME_STATUS_UP', spec: { size: String(10 * GiB), ha_level: '3' } });
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('honours replica_set.nodes pins and spreads the remaining replicas', async () => {
    const [a1, a2] = sim.nodes();
    const id = await createVolume(sim.url, 'pinned', { size: String(GiB), ha_level: '2', replica_set: { nodes: [a1!.id] } });
    const nodes: string[] = (await inspect(sim.url, id)).volume.replica_sets[0].nodes;
    expect(nodes[0]).toBe(a1!.id);
    // a2 shares a1's rack, so the second replica goes elsewhere.
    expect(nodes[1]).not.toBe(a2!.id);
  });

  it('creates idempotently by name: same spec gives the same id, a different spec is AlreadyExists (409)', async () => {
    const spec = { size: String(5 * GiB), ha_level: '2' };
    const id = await createVolume(sim.url, 'idem', spec, { app: 'cassandra' });
    expect(await createVolume(sim.url, 'idem', spec)).toBe(id);
    const bigger = await call(sim.url, 'POST', '/v1/volumes', { name: 'idem', spec: { ...spec, size: String(6 * GiB) } });
    expect(bigger.status).toBe(409);
    expect(bigger.body).toMatchObject({
      code: 6,
      message: `Existing volume has a size of ${5 * GiB} which differs from requested size of ${6 * GiB}`,
    });
    expect(sim.volumes()).toHaveLength(1);
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('refuses a request with a field the SDK does not have, naming the field', async () => {
    const r = await call(sim.url, 'POST', '/v1/volumes', { name: 'x', spec: { size: '1', replicas: 3 } });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe(3);
    expect(r.body.message).toContain('spec.replicas: unknown field "replicas" in api.VolumeSpec');
    const noSpec = await call(sim.url, 'POST', '/v1/volumes', { name: 'x' });
    expect(noSpec.body).toMatchObject({ code: 3, message: 'Must supply spec object' });
  });

  it('finds volumes by name and labels, inspects them with filters, and updates and deletes them', async () => {
    const a = await createVolume(sim.url, 'va', { size: String(GiB), ha_level: '1' }, { svc: 'kafka', pod: 'broker-0' });
    const b = await createVolume(sim.url, 'vb', { size: String(GiB), ha_level: '1', volume_labels: { svc: 'kafka' } });
    await createVolume(sim.url, 'vc', { size: String(GiB) }, { svc: 'hdfs' });
    expect((await call(sim.url, 'POST', '/v1/volumes/filters', { labels: { svc: 'kafka' } })).body.volume_ids.sort()).toEqual([a, b].sort());
    expect((await call(sim.url, 'POST', '/v1/volumes/filters', { name: 'vb' })).body.volume_ids).toEqual([b]);
    const inspected = await call(sim.url, 'POST', '/v1/volumes/inspectwithfilters', { labels: { pod: 'broker-0' } });
    expect(inspected.body.volumes).toHaveLength(1);
    expect(inspected.body.volumes[0]).toMatchObject({ name: 'va', labels: { svc: 'kafka', pod: 'broker-0' } });
    expect((await call(sim.url, 'GET', '/v1/volumes')).body.volume_ids).toHaveLength(3);

    const upd = await call(sim.url, 'PUT', `/v1/volumes/${a}`, { labels: { pod: '', tier: 'hot' }, spec: { size: String(2 * GiB), ha_level: '2' } });
    expect(upd.status).toBe(200);
    const after = await inspect(sim.url, a);
    expect(after.labels).toEqual({ svc: 'kafka', tier: 'hot' });
    expect(after.volume.spec).toMatchObject({ size: String(2 * GiB), ha_level: '2' });
    expect(after.volume.replica_sets[0].nodes).toHaveLength(2);

    expect((await call(sim.url, 'DELETE', `/v1/volumes/${a}`)).status).toBe(200);
    expect((await call(sim.url, 'DELETE', `/v1/volumes/${a}`)).status).toBe(200);
    const gone = await call(sim.url, 'GET', `/v1/volumes/inspect/${a}`);
    expect(gone.status).toBe(404);
    expect(gone.body.message).toBe(`Volume id ${a} not found`);
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('gives back pool space on delete and fails a create that no pool can hold with the SDK Internal error', async () => {
    const id = await createVolume(sim.url, 'big', { size: String(80 * GiB), ha_level: '3' });
    expect(sim.nodes().filter((n) => n.poolUsedBytes === 80 * GiB)).toHaveLength(3);
    const tooBig = await call(sim.url, 'POST', '/v1/volumes', { name: 'big2', spec: { size: String(80 * GiB), ha_level: '3' } });
    expect(tooBig.status).toBe(500);
    expect(tooBig.body.code).toBe(13);
    expect(tooBig.body.message).toMatch(/^Failed to create volume: Could not find enough nodes to provision volume/);
    await call(sim.url, 'DELETE', `/v1/volumes/${id}`);
    expect(sim.nodes().every((n) => n.poolUsedBytes === 0)).toBe(true);
    expect((await call(sim.url, 'POST', '/v1/volumes', { name: 'big2', spec: { size: String(80 * GiB), ha_level: '3' } })).status).toBe(200);
    expectConformantRecordings(dir, { require: ['portworx'] });
  });
});
