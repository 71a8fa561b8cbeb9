import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Recorder } from '../../src/record/recorder';
import { PortworxSimulator } from '../../src/sim/portworx';
import { expectConformantRecordings } from '../conformance/recordings';
import { call, createVolume, GiB, inspect } from './sdk-http';

const HOSTS = 'a1=rack-1/zone-1/region-1,a2=rack-2/zone-1/region-1,a3=rack-3/zone-1/region-1,a4=rack-3/zone-1/region-1';

async function volume(url: string, id: string) {
  return (await inspect(url, id)).volume;
}

describe('the Portworx simulator: VolumeUpdate of size and ha_level (what config update drives)', () => {
  let sim: PortworxSimulator;
  let dir: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pxsim-upd-'));
    // Simulated time at ten times real speed: a resync (30 s + 1 s/GiB simulated) ends in about 3 s.
    sim = await PortworxSimulator.start({ hosts: HOSTS, recorder: Recorder.toDir(dir), poolBytes: 100 * GiB, speed: 10 });
  });
  afterEach(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const nodeId = (host: string) => sim.nodes().find((n) => n.hostname === host)!.id;

  it('ha_level 2 -> 3 adds the replica on the node named in replica_set; the volume is DEGRADED, resyncing, until the resync ends', async () => {
    const id = await createVolume(sim.url, 'v', { size: String(GiB), ha_level: '2', replica_set: { nodes: [nodeId('a1'), nodeId('a2')] } });
    const put = await call(sim.url, 'PUT', `/v1/volumes/${id}`, { volume_id: id, spec: { ha_level: '3', replica_set: { nodes: [nodeId('a1'), nodeId('a2'), nodeId('a4')] } } });
    expect(put.status).toBe(200);
    const during = await volume(sim.url, id);
    expect(during.replica_sets[0].nodes).toEqual([nodeId('a1'), nodeId('a2'), nodeId('a4')]);
    expect(during.spec.ha_level).toBe('3');
    expect(during.status).toBe('VOLUME_STATUS_DEGRADED');
    expect(during.runtime_state[0].runtime_state).toMatchObject({ RuntimeState: 'resync', ResyncNodes: nodeId('a4') });
    const end = Date.now() + 10_000;
    let after = during;
    while (after.status !== 'VOLUME_STATUS_UP' && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      after = await volume(sim.url, id);
    }
    expect(after.status).toBe('VOLUME_STATUS_UP');
    expect(after.runtime_state[0].runtime_state).toMatchObject({ RuntimeState: 'clean' });
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('ha_level 3 -> 2 keeps the nodes named in replica_set and drops the other', async () => {
    const id = await createVolume(sim.url, 'w', { size: String(GiB), ha_level: '3', replica_set: { nodes: [nodeId('a1'), nodeId('a2'), nodeId('a3')] } });
    const put = await call(sim.url, 'PUT', `/v1/volumes/${id}`, { volume_id: id, spec: { ha_level: '2', replica_set: { nodes: [nodeId('a1'), nodeId('a3')] } } });
    expect(put.status).toBe(200);
    expect((await volume(sim.url, id)).replica_sets[0].nodes).toEqual([nodeId('a1'), nodeId('a3')]);
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('a resize grows an attached volume and its filesystem online; a detached one needs the filesystem grown at its next attach', async () => {
    const attached = await createVolume(sim.url, 'att', { size: String(20 * GiB), ha_level: '1', replica_set: { nodes: [nodeId('a1')] } });
    expect((await call(sim.url, 'POST', '/v1/mountattach/attach', { volume_id: attached }, 'a1')).status).toBe(200);
    expect((await call(sim.url, 'PUT', `/v1/volumes/${attached}`, { volume_id: attached, spec: { size: String(30 * GiB) } })).status).toBe(200);
    const grown = await volume(sim.url, attached);
    expect(grown.spec.size).toBe(String(30 * GiB));
    expect(grown.fs_resize_required).toBeUndefined();

    const detached = await createVolume(sim.url, 'det', { size: String(20 * GiB), ha_level: '1', replica_set: { nodes: [nodeId('a2')] } });
    expect((await call(sim.url, 'PUT', `/v1/volumes/${detached}`, { volume_id: detached, spec: { size: String(30 * GiB) } })).status).toBe(200);
    expect((await volume(sim.url, detached)).fs_resize_required).toBe(true);
    expect((await call(sim.url, 'POST', '/v1/mountattach/attach', { volume_id: detached }, 'a2')).status).toBe(200);
    expect((await volume(sim.url, detached)).fs_resize_required).toBeUndefined();

    const shrink = await call(sim.url, 'PUT', `/v1/volumes/${attached}`, { volume_id: attached, spec: { size: String(10 * GiB) } });
    expect(shrink.status).toBe(500);
    expect(shrink.body.message).toMatch(/smaller than the current size/);
    expectConformantRecordings(dir, { require: ['portworx'] });
  });
});
