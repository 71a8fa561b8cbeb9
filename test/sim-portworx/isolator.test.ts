import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PortworxClient } from '../../src/portworx';
import { hostMountPath, PortworxVolumeIsolator, VolumeMountRefusedError } from '../../src/sim/isolator/portworx-isolator';
import { PortworxSimulator } from '../../src/sim/portworx';

const GiB = 1024 ** 3;
const pxd = (name: string) => ({ driver: 'pxd', name, options: {} });

describe('the pxd docker volume isolator against the Portworx simulator', () => {
  let sim: PortworxSimulator;
  let client: PortworxClient;
  let isolator: PortworxVolumeIsolator;
  beforeEach(async () => {
    sim = await PortworxSimulator.start({ hosts: 'h1,h2', detectDelaySeconds: 0, bootSeconds: 0 });
    client = new PortworxClient({ url: sim.url, legacyUrl: sim.url });
    isolator = new PortworxVolumeIsolator(client);
    await client.createVolume({ name: 'data', spec: { size: GiB, ha_level: 2 } });
  });
  afterEach(async () => {
    await sim.stop();
  });
  const volume = () => sim.volumes().find((v) => v.name === 'data')!;

  it('attaches and mounts for the first task on a host, and detaches after the last one ends', async () => {
    await isolator.prepare({ taskId: 't1', agentId: 'a1', hostname: 'h1', volumes: [pxd('data')] });
    await isolator.prepare({ taskId: 't2', agentId: 'a1', hostname: 'h1', volumes: [pxd('data')] });
    expect(volume().attachedOn).toEqual(['h1']);
    await isolator.release({ taskId: 't1', agentId: 'a1', hostname: 'h1', volumes: [pxd('data')] });
    expect(volume().attachedOn).toEqual(['h1']);
    await isolator.release({ taskId: 't2', agentId: 'a1', hostname: 'h1', volumes: [pxd('data')] });
    expect(volume().attachedOn).toEqual([]);
  });

  it('refuses a launch while the volume is attached on another host', async () => {
    await isolator.prepare({ taskId: 't1', agentId: 'a1', hostname: 'h1', volumes: [pxd('data')] });
    await expect(isolator.prepare({ taskId: 't2', agentId: 'a2', hostname: 'h2', volumes: [pxd('data')] })).rejects.toBeInstanceOf(
      VolumeMountRefusedError,
    );
  });

  it('after a crash and reboot (a new agent id at the same host) attaches again, though the dead task never released', async () => {
    await isolator.prepare({ taskId: 't1', agentId: 'a1', hostname: 'h1', volumes: [pxd('data')] });
    // The host dies: nothing is released there; the scheduler fences the volume off it.
    sim.crashHost('h1');
    await client.detach(volume().id, { node: 'h2', force: true });
    sim.bootHost('h1');
    await new Promise((r) => setTimeout(r, 20));
    await isolator.prepare({ taskId: 't2', agentId: 'a1-rebooted', hostname: 'h1', volumes: [pxd('data')] });
    expect(volume().attachedOn).toEqual(['h1']);
    await isolator.release({ taskId: 't2', agentId: 'a1-rebooted', hostname: 'h1', volumes: [pxd('data')] });
    expect(volume().attachedOn).toEqual([]);
    expect(sim.volumes().find((v) => v.name === 'data')!.attachedOn).toEqual([]);
    expect(hostMountPath('data')).toBe('/var/lib/osd/mounts/data');
  });
});
