import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Recorder } from '../../src/record/recorder';
import { PortworxSimulator, SimAlertType, SimConfigError, SimControlError, SimUnknownNodeError, type PortworxSimulatorOptions } from '../../src/sim/portworx';
import { expectConformantRecordings } from '../conformance/recordings';
import { call, createVolume, GiB, inspect } from './sdk-http';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('the Portworx simulator: host crash, boot and the detection delay', () => {
  let sim: PortworxSimulator;
  let dir: string;
  afterEach(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function start(opts: PortworxSimulatorOptions = {}): Promise<PortworxSimulator> {
    dir = mkdtempSync(join(tmpdir(), 'pxsim-faults-'));
    sim = await PortworxSimulator.start({ hosts: 'h1,h2,h3', recorder: Recorder.toDir(dir), ...opts });
    return sim;
  }
  const node = (host: string) => sim.nodes().find((n) => n.hostname === host && !n.stale)!;

  it('defaults to a 3 s detection delay and a 1 s boot, both divided by the speed', async () => {
    await start();
    expect(sim.faultTiming).toEqual({ detectDelayMs: 3000, bootMs: 1000 });
    await sim.stop();
    await start({ speed: 10, detectDelaySeconds: 2 });
    expect(sim.faultTiming).toEqual({ detectDelayMs: 200, bootMs: 100 });
  });

  it('refuses a speed or delay that is not a sane number', async () => {
    await expect(PortworxSimulator.start({ hosts: 'h1', speed: 0 })).rejects.toThrow(SimConfigError);
    await expect(PortworxSimulator.start({ hosts: 'h1', detectDelaySeconds: -1 })).rejects.toThrow(/detect delay must be a number of seconds/);
  });

  it('crashHost: the host stops answering at once, the cluster reports it OFFLINE only after the detection delay', async () => {
    await start({ detectDelaySeconds: 10, speed: 10 }); // 1 s
    const vol = await createVolume(sim.url, 'v', { size: String(GiB), ha_level: '3' });
    const crashedAt = Date.now();
    sim.crashHost('h1');
    // Detection has not happened: the cluster still says OK and the volume is up ...
    expect(node('h1')).toMatchObject({ status: 'STATUS_OK', hostDown: true });
    expect((await call(sim.url, 'GET', `/v1/nodes/inspect/${node('h1').id}`, undefined, 'h2')).body.node.status).toBe('STATUS_OK');
    expect((await inspect(sim.url, vol)).volume.status).toBe('VOLUME_STATUS_UP');
    // ... but the dead host itself does not answer.
    const dead = await call(sim.url, 'GET', '/v1/nodes/inspectcurrent', undefined, 'h1');
    expect(dead.status).toBe(503);
    expect(dead.body.message).toBe('host h1 does not answer');

    await until(() => node('h1').status === 'STATUS_OFFLINE', 'detection');
    expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(990);
    expect((await inspect(sim.url, vol)).volume.status).toBe('VOLUME_STATUS_DEGRADED');
    expect(sim.alerts().filter((a) => a.alertType === SimAlertType.NodeStateChange && !a.cleared).map((a) => a.uniqueTag)).toEqual(['node-offline']);
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('bootHost: the node is STATUS_OK again after the startup, and answers only then', async () => {
    await start({ detectDelaySeconds: 0, bootSeconds: 2, speed: 10 }); // detect at once, boot 200 ms
    sim.crashHost('h2');
    expect(node('h2').status).toBe('STATUS_OFFLINE');
    const bootedAt = Date.now();
    sim.bootHost('h2');
    expect(node('h2')).toMatchObject({ status: 'STATUS_OFFLINE', hostDown: true });
    await until(() => node('h2').status === 'STATUS_OK', 'the boot');
    expect(Date.now() - bootedAt).toBeGreaterThanOrEqual(190);
    expect(node('h2').hostDown).toBe(false);
    expect((await call(sim.url, 'GET', '/v1/nodes/inspectcurrent', undefined, 'h2')).status).toBe(200);
  });

  it('a host that boots before its death was detected is never reported offline', async () => {
    await start({ detectDelaySeconds: 5, bootSeconds: 0.5, speed: 10 }); // detect 500 ms, boot 50 ms
    sim.crashHost('h3');
    sim.bootHost('h3');
    await until(() => !node('h3').hostDown, 'the boot');
    await sleep(600);
    expect(node('h3').status).toBe('STATUS_OK');
    expect(sim.alerts().filter((a) => a.resourceId === node('h3').id)).toEqual([]);
  });

  it("an operator's status replaces a crash under way", async () => {
    await start({ detectDelaySeconds: 2, speed: 10 });
    sim.crashHost('h1');
    sim.setNodeStatus('h1', 'STATUS_MAINTENANCE');
    await sleep(300);
    expect(node('h1')).toMatchObject({ status: 'STATUS_MAINTENANCE', hostDown: false });
  });

  it('names the known nodes when asked to crash a host the cluster does not have', async () => {
    await start();
    expect(() => sim.crashHost('nope')).toThrow(SimUnknownNodeError);
    expect(() => sim.bootHost('nope')).toThrow(/nodes: h1, h2, h3/);
  });
});

describe('the Portworx simulator: a flapping node', () => {
  let sim: PortworxSimulator;
  afterEach(async () => {
    await sim?.stop();
  });

  const statuses = () =>
    sim
      .alerts()
      .filter((a) => a.alertType === SimAlertType.NodeStateChange)
      .map((a) => a.uniqueTag);

  it('goes offline at once, then changes every period, `count` times offline, ending online', async () => {
    sim = await PortworxSimulator.start({ hosts: 'h1,h2' });
    const began = Date.now();
    sim.flapNode('h1', { periodMs: 60, count: 3 });
    expect(sim.nodes()[0]!.status).toBe('STATUS_OFFLINE');
    await until(() => statuses().length === 6, 'six status changes');
    expect(Date.now() - began).toBeGreaterThanOrEqual(5 * 60 - 10);
    expect(statuses()).toEqual(['node-offline', 'node-online', 'node-offline', 'node-online', 'node-offline', 'node-online']);
    await sleep(150);
    expect(statuses()).toHaveLength(6);
    expect(sim.nodes()[0]!.status).toBe('STATUS_OK');
  });

  it('stops flapping when the operator sets a status', async () => {
    sim = await PortworxSimulator.start({ hosts: 'h1,h2' });
    sim.flapNode('h1', { periodMs: 40, count: 10 });
    await sleep(100);
    sim.setNodeStatus('h1', 'STATUS_STORAGE_DOWN');
    const seen = statuses().length;
    await sleep(150);
    expect(statuses()).toHaveLength(seen);
    expect(sim.nodes()[0]!.status).toBe('STATUS_STORAGE_DOWN');
  });

  it('refuses a period or count that is not positive', async () => {
    sim = await PortworxSimulator.start({ hosts: 'h1' });
    expect(() => sim.flapNode('h1', { periodMs: 0, count: 2 })).toThrow(SimControlError);
    expect(() => sim.flapNode('h1', { periodMs: 10, count: 0 })).toThrow(/flap count must be a whole number from 1 to 1000, got 0/);
  });
});

describe('the Portworx simulator: duplicate node entries for one host', () => {
  let sim: PortworxSimulator;
  let dir: string;
  afterEach(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists a stale second entry with the same hostname and scheduler_node_name and another id, until removed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pxsim-dup-'));
    sim = await PortworxSimulator.start({ hosts: 'h1,h2,h3', recorder: Recorder.toDir(dir) });
    const current = sim.nodes().find((n) => n.hostname === 'h1')!;
    const dup = sim.addDuplicateNode('h1');
    expect(dup).toMatchObject({ hostname: 'h1', status: 'STATUS_OFFLINE', stale: true });
    expect(dup.id).not.toBe(current.id);

    const listed = (await call(sim.url, 'GET', '/v1/nodes/filters')).body.nodes.filter((n: any) => n.hostname === 'h1');
    expect(listed.map((n: any) => [n.id, n.scheduler_node_name, n.status])).toEqual([
      [current.id, 'h1', 'STATUS_OK'],
      [dup.id, 'h1', 'STATUS_OFFLINE'],
    ]);
    expect(listed[0].mgmt_ip).not.toBe(listed[1].mgmt_ip);
    expect((await call(sim.url, 'GET', '/v1/nodes')).body.node_ids).toHaveLength(4);
    // The host is still served by its current entry, and no data goes to the stale one.
    expect((await call(sim.url, 'GET', '/v1/nodes/inspectcurrent', undefined, 'h1')).body.node.id).toBe(current.id);
    expect((await call(sim.url, 'GET', '/v1/nodes/inspectcurrent', undefined, dup.id)).status).toBe(503);
    const vol = await createVolume(sim.url, 'v', { size: String(GiB), ha_level: '3' });
    expect(sim.volumes().find((v) => v.id === vol)!.replicaNodes).not.toContain(dup.id);

    // Re-adding updates the one stale entry; same_ip gives it the current entry's address (stork#448).
    const again = sim.addDuplicateNode('h1', { status: 'STATUS_OK', sameIp: true });
    expect(again.id).toBe(dup.id);
    const inspected = (await call(sim.url, 'GET', `/v1/nodes/inspect/${dup.id}`)).body.node;
    expect(inspected).toMatchObject({ status: 'STATUS_OK', mgmt_ip: listed[0].mgmt_ip, hostname: 'h1' });

    expect(sim.removeDuplicateNode('h1')).toBe(1);
    expect(sim.removeDuplicateNode('h1')).toBe(0);
    expect((await call(sim.url, 'GET', '/v1/nodes')).body.node_ids).toHaveLength(3);
    expectConformantRecordings(dir, { require: ['portworx'] });
  });

  it('crashes the current entry of the host; a status set by a stale entry\'s id goes to that entry', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pxsim-dup-'));
    sim = await PortworxSimulator.start({ hosts: 'h1,h2', detectDelaySeconds: 0 });
    const dup = sim.addDuplicateNode('h1', { status: 'STATUS_OK' });
    sim.crashHost('h1');
    const entries = sim.nodes().filter((n) => n.hostname === 'h1');
    expect(entries.map((n) => [n.stale, n.status])).toEqual([
      [false, 'STATUS_OFFLINE'],
      [true, 'STATUS_OK'],
    ]);
    sim.setNodeStatus(dup.id, 'STATUS_MAINTENANCE');
    expect(sim.nodes().filter((n) => n.hostname === 'h1').map((n) => n.status)).toEqual(['STATUS_OFFLINE', 'STATUS_MAINTENANCE']);
    sim.setNodeStatus('h1', 'STATUS_OK');
    expect(sim.nodes().filter((n) => n.hostname === 'h1').map((n) => n.status)).toEqual(['STATUS_OK', 'STATUS_MAINTENANCE']);
  });
});
