import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Recorder } from '../../src/record/recorder';
import { GROUP_SNAPSHOT_LABEL, PortworxSimulator } from '../../src/sim/portworx';
import { expectConformantRecordings } from '../conformance/recordings';
import { call, createVolume, GiB, inspect } from './sdk-http';

describe('the Portworx simulator: snapshots, group snapshots and restore', () => {
  let sim: PortworxSimulator;
  let dir: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pxsim-snap-'));
    sim = await PortworxSimulator.start({ hosts: 'h1,h2,h3', recorder: Recorder.toDir(dir) });
  });
  afterEach(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('captures every volume of a group snapshot at one logical instant, sharing one group id and ctime', async () => {
    const ids = [];
    for (const i of [0, 1, 2]) {
      const id = await createVolume(sim.url, `kafka-${i}`, { size: String(GiB), ha_level: '2' }, { svc: 'kafka' });
      sim.setMarker(id, `offset-${i}`);
      ids.push(id);
    }
    const r = await call(sim.url, 'POST', '/v1/osd-snapshot/snapshotgroup', { Labels: { svc: 'kafka' }, volume_ids: ids, delete_on_failure: true });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body.snapshots).sort()).toEqual([...ids].sort());
    const snapIds = ids.map((id) => r.body.snapshots[id].volume_create_response.id as string);
    const snaps = await Promise.all(snapIds.map(async (s) => (await inspect(sim.url, s)).volume));
    const groups = new Set(snaps.map((s) => s.locator.volume_labels[GROUP_SNAPSHOT_LABEL]));
    expect(groups.size).toBe(1);
    expect(new Set(snaps.map((s) => s.ctime)).size).toBe(1);
    expect(snaps.map((s) => s.source.parent)).toEqual(ids);
    expect(snaps.every((s) => s.readonly === true)).toBe(true);
    const views = sim.volumes().filter((v) => v.parentId);
    expect(views.map((v) => v.marker).sort()).toEqual(['offset-0', 'offset-1', 'offset-2']);

    const byLabel = await call(sim.url, 'POST', `/v1/volumes/snapshots/filters/${ids[1]}`, {
      labels: { [GROUP_SNAPSHOT_LABEL]: [...groups][0] },
    });
    expect(byLabel.body.volume_snapshot_ids).toEqual([snapIds[1]]);
    expect((await call(sim.url, 'GET', `/v1/volumes/snapshots?volume_id=${ids[0]}`)).body.volume_snapshot_ids).toEqual([snapIds[0]]);
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('answers a group snapshot of unknown volumes with a plain-text 400, as http.Error does', async () => {
    const r = await call(sim.url, 'POST', '/v1/osd-snapshot/snapshotgroup', { volume_ids: ['123'] });
    expect(r.status).toBe(400);
    expect(r.text).toBe('Volume(s) 123 not found\n');
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('restores a detached volume to a snapshot, and refuses while it is attached', async () => {
    const id = await createVolume(sim.url, 'db', { size: String(GiB) });
    sim.setMarker(id, 'v1');
    const snap = await call(sim.url, 'POST', '/v1/volumes/snapshots', { volume_id: id, name: 'db-snap', labels: { k: 'v' } });
    const snapId = snap.body.snapshot_id as string;
    sim.setMarker(id, 'v2');
    await call(sim.url, 'POST', '/v1/mountattach/attach', { volume_id: id });
    const refused = await call(sim.url, 'POST', '/v1/volumes/snapshots/restore', { volume_id: id, snapshot_id: snapId });
    expect(refused.status).toBe(500);
    expect(refused.body.message).toBe(`Failed to restore volume ${id} to snapshot ${snapId}: Volume is attached`);
    await call(sim.url, 'POST', '/v1/mountattach/detach', { volume_id: id });
    expect((await call(sim.url, 'POST', '/v1/volumes/snapshots/restore', { volume_id: id, snapshot_id: snapId })).status).toBe(200);
    expect(sim.marker(id)).toBe('v1');
    const missing = await call(sim.url, 'POST', '/v1/volumes/snapshots/restore', { volume_id: id, snapshot_id: '42' });
    expect(missing.body).toMatchObject({ code: 5, message: `Id ${id} or 42 not found` });
    // Deleting a snapshot is deleting a volume.
    expect((await call(sim.url, 'DELETE', `/v1/volumes/${snapId}`)).status).toBe(200);
    expect((await call(sim.url, 'GET', `/v1/volumes/snapshots?volume_id=${id}`)).body).toEqual({});
    expectConformantRecordings(dir, { require: ['portworx'] });
  });
});

describe('the Portworx simulator: the alerts stream', () => {
  let sim: PortworxSimulator;
  let dir: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pxsim-alert-'));
    sim = await PortworxSimulator.start({ hosts: 'h1,h2', recorder: Recorder.toDir(dir) });
  });
  afterEach(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const nodeQuery = { queries: [{ resource_type_query: { resource_type: 'RESOURCE_TYPE_NODE' } }] };

  it('streams the stored alerts as newline-separated {"result"} messages and then ends', async () => {
    const empty = await call(sim.url, 'POST', '/v1/alerts/filters', nodeQuery);
    expect(empty.text).toBe('{"result":{}}\n');
    sim.nodeDown('h2');
    sim.nodeUp('h2');
    const r = await call(sim.url, 'POST', '/v1/alerts/filters', nodeQuery);
    const lines = r.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    const alerts = lines[0].result.alerts;
    expect(alerts.map((a: any) => [a.severity, a.cleared ?? false])).toEqual([
      ['SEVERITY_TYPE_ALARM', true],
      ['SEVERITY_TYPE_NOTIFY', false],
    ]);
    expect(alerts[0]).toMatchObject({ resource: 'RESOURCE_TYPE_NODE', alert_type: '1', count: '1' });
    const open = await call(sim.url, 'POST', '/v1/alerts/filters', {
      queries: [{ ...nodeQuery.queries[0], opts: [{ is_cleared: false }] }],
    });
    expect(JSON.parse(open.text.trim()).result.alerts).toHaveLength(1);
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('refuses a request without queries with an {"error"} stream chunk and the mapped status', async () => {
    const r = await call(sim.url, 'POST', '/v1/alerts/filters', {});
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text.trim())).toEqual({
      error: { grpc_code: 3, http_code: 400, message: 'Must provide at least one query', http_status: 'Bad Request', details: [] },
    });
  });
});
