import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Recorder } from '../../src/record/recorder';
import { PortworxSimulator, SimAlertType, SimControlError, type SimNodeStatus } from '../../src/sim/portworx';
import { expectConformantRecordings } from '../conformance/recordings';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { call, createVolume, GiB, inspect } from './sdk-http';

/**
 * What each node status means, as the simulator models it (docs/portworx-api.md, "Node statuses").
 * One row per status: the status field the SDK shows, whether the node's endpoint answers, what
 * happens to a volume with a replica there, to an attach there, to a plain (not forced) detach of
 * a volume attached there, to new replicas, the alert raised, and Stork's online/offline reading.
 */
interface Row {
  status: SimNodeStatus;
  /** `status` of the StorageNode in SDK JSON (absent for the enum's zero value). */
  wire: string | undefined;
  answers: boolean;
  volume: 'VOLUME_STATUS_UP' | 'VOLUME_STATUS_DEGRADED';
  attach: number;
  plainDetach: number;
  newReplicas: boolean;
  tag: string;
  severity: string;
  online: boolean;
}

const ROWS: Row[] = [
  { status: 'STATUS_OK', wire: 'STATUS_OK', answers: true, volume: 'VOLUME_STATUS_UP', attach: 200, plainDetach: 200, newReplicas: true, tag: 'node-online', severity: 'SEVERITY_TYPE_NOTIFY', online: true },
  { status: 'STATUS_OFFLINE', wire: 'STATUS_OFFLINE', answers: false, volume: 'VOLUME_STATUS_DEGRADED', attach: 503, plainDetach: 500, newReplicas: false, tag: 'node-offline', severity: 'SEVERITY_TYPE_ALARM', online: false },
  { status: 'STATUS_MAINTENANCE', wire: 'STATUS_MAINTENANCE', answers: true, volume: 'VOLUME_STATUS_DEGRADED', attach: 503, plainDetach: 200, newReplicas: false, tag: 'node-maintenance', severity: 'SEVERITY_TYPE_WARNING', online: false },
  { status: 'STATUS_STORAGE_DOWN', wire: 'STATUS_STORAGE_DOWN', answers: true, volume: 'VOLUME_STATUS_DEGRADED', attach: 200, plainDetach: 200, newReplicas: false, tag: 'node-storage-down', severity: 'SEVERITY_TYPE_ALARM', online: true },
  { status: 'STATUS_NONE', wire: undefined, answers: true, volume: 'VOLUME_STATUS_UP', attach: 200, plainDetach: 200, newReplicas: true, tag: 'node-status-none', severity: 'SEVERITY_TYPE_WARNING', online: true },
];

describe('the Portworx simulator: node statuses as the SDK reports them', () => {
  let sim: PortworxSimulator;
  let nc: NatsConnection;
  let dir: string;
  let clusterId: string;
  const published: { subject: string; alert: any }[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pxsim-status-'));
    nc = await connect({ servers: SHARED_NATS_URL });
    clusterId = `px-status-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
    published.length = 0;
    const sub = nc.subscribe(`portworx.alerts.${clusterId}.>`);
    void (async () => {
      for await (const m of sub) published.push({ subject: m.subject, alert: m.json() });
    })();
    await nc.flush();
    sim = await PortworxSimulator.start({ hosts: 'a=r1,b=r2,c=r3', clusterId, nats: nc, recorder: Recorder.toDir(dir) });
  });
  afterEach(async () => {
    await sim.stop();
    await nc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const id = (host: string) => sim.nodes().find((n) => n.hostname === host && !n.stale)!.id;

  async function until(pred: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it.each(ROWS)('$status: endpoint answers $answers, replica volume $volume, attach $attach, plain detach $plainDetach', async (row) => {
    // A volume with replicas on a and b, attached (not mounted) on a; another one to attach later.
    const vol = await createVolume(sim.url, 'vol-ab', { size: String(GiB), ha_level: '2', replica_set: { nodes: [id('a'), id('b')] } });
    const other = await createVolume(sim.url, 'vol-bc', { size: String(GiB), ha_level: '2', replica_set: { nodes: [id('b'), id('c')] } });
    expect((await call(sim.url, 'POST', '/v1/mountattach/attach', { volume_id: vol }, 'a')).status).toBe(200);

    sim.setNodeStatus('a', row.status);

    const node = (await call(sim.url, 'GET', `/v1/nodes/inspect/${id('a')}`, undefined, 'b')).body.node;
    expect(node.status).toBe(row.wire);
    expect((await call(sim.url, 'GET', '/v1/nodes/inspectcurrent', undefined, 'a')).status).toBe(row.answers ? 200 : 503);
    expect((await inspect(sim.url, vol)).volume.status).toBe(row.volume);
    expect(sim.nodes().find((n) => n.hostname === 'a')).toMatchObject({ status: row.status, online: row.online });

    const attach = await call(sim.url, 'POST', '/v1/mountattach/attach', { volume_id: other }, 'a');
    expect(attach.status).toBe(row.attach);
    const detach = await call(sim.url, 'POST', '/v1/mountattach/detach', { volume_id: vol }, 'b');
    expect(detach.status).toBe(row.plainDetach);
    // A forced detach always fences the volume off the node.
    expect((await call(sim.url, 'POST', '/v1/mountattach/detach', { volume_id: vol, options: { force: true } }, 'b')).status).toBe(200);
    expect((await inspect(sim.url, vol)).volume.state).toBe('VOLUME_STATE_DETACHED');

    // Three replicas need all three nodes: only a node that takes new replicas makes it.
    const ha3 = await call(sim.url, 'POST', '/v1/volumes', { name: 'vol-abc', spec: { size: String(GiB), ha_level: '3' } }, 'b');
    expect(ha3.status).toBe(row.newReplicas ? 200 : 500);

    if (row.status !== 'STATUS_OK') {
      const open = sim.alerts().filter((a) => a.resource === 'RESOURCE_TYPE_NODE' && a.resourceId === id('a') && !a.cleared);
      expect(open.map((a) => [a.uniqueTag, a.severity])).toEqual([[row.tag, row.severity]]);
      await until(() => published.some((p) => p.alert.unique_tag === row.tag), `the ${row.tag} alert on NATS`);
      expect(published.find((p) => p.alert.unique_tag === row.tag)!.subject).toBe(`portworx.alerts.${clusterId}.node`);
    }
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('keeps one open node alert per node: each change clears the previous status alert, served on /v1/alerts/filters', async () => {
    sim.setNodeStatus('a', 'STATUS_STORAGE_DOWN');
    sim.setNodeStatus('a', 'STATUS_MAINTENANCE');
    sim.setNodeStatus('a', 'STATUS_OK');
    const r = await call(sim.url, 'POST', '/v1/alerts/filters', { queries: [{ resource_id_query: { resource_type: 'RESOURCE_TYPE_NODE', alert_type: '1', resource_id: id('a') } }] });
    const alerts = JSON.parse(r.text.trim()).result.alerts;
    expect(alerts.map((a: any) => [a.unique_tag, a.cleared ?? false])).toEqual([
      ['node-storage-down', true],
      ['node-maintenance', true],
      ['node-online', false],
    ]);
    expect(alerts[1].message).toMatch(/^Node a \(.+\) is in maintenance mode/);
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('raises a volume alert when a status change moves a volume between up, degraded and down', async () => {
    const vol = await createVolume(sim.url, 'vol-ab', { size: String(GiB), ha_level: '2', replica_set: { nodes: [id('a'), id('b')] } });
    sim.setNodeStatus('a', 'STATUS_STORAGE_DOWN');
    sim.setNodeStatus('b', 'STATUS_MAINTENANCE');
    expect((await inspect(sim.url, vol)).volume.status).toBe('VOLUME_STATUS_DOWN');
    // A volume whose every replica serves no I/O cannot be attached anywhere.
    expect((await call(sim.url, 'POST', '/v1/mountattach/attach', { volume_id: vol }, 'c')).status).toBe(500);
    sim.setNodeStatus('a', 'STATUS_NONE');
    const tags = sim.alerts().filter((a) => a.alertType === SimAlertType.VolumeStateChange).map((a) => [a.uniqueTag, a.cleared]);
    expect(tags).toEqual([
      ['volume-degraded', true],
      ['volume-down', true],
      ['volume-degraded', false],
    ]);
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('refuses a status it does not model, naming the ones it does', () => {
    expect(() => sim.setNodeStatus('a', 'STATUS_DECOMMISSION' as SimNodeStatus)).toThrow(SimControlError);
    expect(() => sim.setNodeStatus('a', 'up' as SimNodeStatus)).toThrow(
      /use one of STATUS_OK, STATUS_OFFLINE, STATUS_MAINTENANCE, STATUS_STORAGE_DOWN, STATUS_NONE/,
    );
  });
});
