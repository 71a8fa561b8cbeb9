import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Recorder } from '../../src/record/recorder';
import { PortworxSimulator } from '../../src/sim/portworx';
import { expectConformantRecordings } from '../conformance/recordings';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { call, createVolume, GiB, inspect } from './sdk-http';

describe('the Portworx simulator: attachments, node failure and fencing', () => {
  let sim: PortworxSimulator;
  let nc: NatsConnection;
  let dir: string;
  const seen: { subject: string; alert: any }[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pxsim-att-'));
    nc = await connect({ servers: SHARED_NATS_URL });
    const clusterId = `px-att-${Date.now().toString(36)}`;
    seen.length = 0;
    const sub = nc.subscribe(`portworx.alerts.${clusterId}.>`);
    void (async () => {
      for await (const m of sub) seen.push({ subject: m.subject, alert: m.json() });
    })();
    await nc.flush();
    sim = await PortworxSimulator.start({
      hosts: 'node-a=r1,node-b=r2,node-c=r3',
      clusterId,
      natsUrl: SHARED_NATS_URL,
      recorder: Recorder.toDir(dir),
    });
  });
  afterEach(async () => {
    await sim.stop();
    await nc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function until(pred: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error('condition not met within 5 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('fences a volume off a dead node: refused elsewhere until force-detached, then same id and data', async () => {
    const id = await createVolume(sim.url, 'cass-0', { size: String(GiB), ha_level: '3' });
    const attach = await call(sim.url, 'POST', '/v1/mountattach/attach', { volume_id: id }, 'node-a');
    expect(attach.body).toEqual({ device_path: `/dev/pxd/pxd${id}` });
    await call(sim.url, 'POST', '/v1/mountattach/mount', { volume_id: id, mount_path: '/var/lib/osd/mounts/cass-0' }, 'node-a');
    sim.setMarker(id, 'rows-1..1000');
    const attached = (await inspect(sim.url, id)).volume;
    const nodeA = sim.nodes().find((n) => n.hostname === 'node-a')!;
    expect(attached).toMatchObject({ state: 'VOLUME_STATE_ATTACHED', attach_path: ['/var/lib/osd/mounts/cass-0'] });
    expect(attached.attached_on).toBe((await call(sim.url, 'GET', `/v1/nodes/inspect/${nodeA.id}`)).body.node.mgmt_ip);

    sim.nodeDown('node-a');
    await until(() => seen.some((s) => s.subject.endsWith('.node') && s.alert.resource_id === nodeA.id));
    const offline = seen.find((s) => s.subject.endsWith('.node'))!;
    expect(offline.subject).toBe(`portworx.alerts.${sim.clusterId}.node`);
    expect(offline.alert).toMatchObject({ severity: 'SEVERITY_TYPE_ALARM', resource: 'RESOURCE_TYPE_NODE', message: expect.stringContaining('offline') });
    expect((await inspect(sim.url, id)).volume.status).toBe('VOLUME_STATUS_DEGRADED');
    await until(() => seen.some((s) => s.subject.endsWith('.volume') && /degraded/.test(s.alert.message)));

    const refused = await call(sim.url, 'POST', '/v1/mountattach/attach', { volume_id: id }, 'node-b');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 6, message: 'Volume is attached on another node' });
    await until(() => seen.some((s) => /Failed to attach/.test(s.alert.message)));

    const gentle = await call(sim.url, 'POST', '/v1/mountattach/detach', { volume_id: id }, 'node-b');
    expect(gentle.status).toBe(500);
    expect(gentle.body.message).toMatch(/where the volume is attached is offline/);
    const forced = await call(sim.url, 'POST', '/v1/mountattach/detach', { volume_id: id, options: { force: true } }, 'node-b');
    expect(forced.status).toBe(200);

    const again = await call(sim.url, 'POST', '/v1/mountattach/attach', { volume_id: id }, 'node-b');
    expect(again.body.device_path).toBe(`/dev/pxd/pxd${id}`);
    expect(sim.volumes().find((v) => v.id === id)).toMatchObject({ attachedOn: ['node-b'], marker: 'rows-1..1000' });

    sim.nodeUp('node-a');
    expect((await inspect(sim.url, id)).volume.status).toBe('VOLUME_STATUS_UP');
    await until(() => seen.some((s) => s.subject.endsWith('.volume') && /healthy/.test(s.alert.message)));
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('answers for the node named by x-pxfw-node, and not at all for a node that is down', async () => {
    const id = await createVolume(sim.url, 'v', { size: String(GiB), ha_level: '2' });
    sim.nodeDown('node-c');
    const r = await call(sim.url, 'POST', '/v1/mountattach/attach', { volume_id: id }, 'node-c');
    expect(r.status).toBe(503);
    expect(r.body.code).toBe(14);
    const unknown = await call(sim.url, 'GET', '/v1/nodes/inspectcurrent', undefined, 'no-such-host');
    expect(unknown.status).toBe(503);
  });

  it('lets a shared volume attach on several nodes, and mounts only where attached', async () => {
    const shared = await createVolume(sim.url, 'shared', { size: String(GiB), shared: true });
    expect((await call(sim.url, 'POST', '/v1/mountattach/attach', { volume_id: shared }, 'node-a')).status).toBe(200);
    expect((await call(sim.url, 'POST', '/v1/mountattach/attach', { volume_id: shared }, 'node-b')).status).toBe(200);
    const solo = await createVolume(sim.url, 'solo', { size: String(GiB) });
    const notAttached = await call(sim.url, 'POST', '/v1/mountattach/mount', { volume_id: solo, mount_path: '/m' }, 'node-a');
    expect(notAttached.body).toMatchObject({ code: 13, message: `Failed to mount volume ${solo}: Volume is detached` });
    const noPath = await call(sim.url, 'POST', '/v1/mountattach/mount', { volume_id: solo }, 'node-a');
    expect(noPath.body).toMatchObject({ code: 3, message: 'Invalid Mount Path' });
    await call(sim.url, 'POST', '/v1/mountattach/attach', { volume_id: solo }, 'node-a');
    await call(sim.url, 'POST', '/v1/mountattach/mount', { volume_id: solo, mount_path: '/m' }, 'node-a');
    const busy = await call(sim.url, 'POST', '/v1/mountattach/detach', { volume_id: solo }, 'node-a');
    expect(busy.body.message).toBe(`Failed to detach volume ${solo}: Volume is mounted at /m`);
    const deleteAttached = await call(sim.url, 'DELETE', `/v1/volumes/${solo}`);
    expect(deleteAttached.body.message).toBe(`Failed to delete volume ${solo}: Volume is attached`);
    expect((await call(sim.url, 'POST', '/v1/mountattach/unmount', { volume_id: solo, mount_path: '/m' }, 'node-a')).status).toBe(200);
    expect((await call(sim.url, 'POST', '/v1/mountattach/detach', { volume_id: solo }, 'node-a')).status).toBe(200);
    expect((await inspect(sim.url, solo)).volume.state).toBe('VOLUME_STATE_DETACHED');
    expectConformantRecordings(dir, { require: ['portworx'] });
  });
});
