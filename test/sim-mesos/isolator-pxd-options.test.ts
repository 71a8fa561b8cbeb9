import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PortworxClient } from '../../src/portworx';
import { parsePxdSize, pxdRequest } from '../../src/sim/isolator/pxd-options';
import { PortworxVolumeIsolator, VolumeMountRefusedError } from '../../src/sim/isolator/portworx-isolator';
import { PortworxSimulator } from '../../src/sim/portworx';

const GiB = 1024 ** 3;
const task = (taskId: string, options: Record<string, string>, name = 'data') => ({ taskId, agentId: 'a1', hostname: 'h1', volumes: [{ driver: 'pxd', name, options }] });

describe('pxd driver options as OpenStorage reads them (pkg/units, spec_handler)', () => {
  it.each([
    ['10', 10n * BigInt(GiB)],
    ['0.5', 0n],
    ['512M', 512n * 1024n * 1024n],
    ['2Ti', 2n * 1024n * BigInt(GiB)],
    ['1 GiB', BigInt(GiB)],
  ])('size %s is %d bytes', (text, bytes) => {
    expect(parsePxdSize(text)).toBe(bytes);
  });

  it('refuses what the plugin cannot parse, with its error', () => {
    expect(parsePxdSize('ten')).toBeUndefined();
    expect(pxdRequest({ size: '10', shared: 'yes' })).toEqual({ error: expect.stringMatching(/ParseBool/) });
    expect(pxdRequest({ size: '10', io_priority: 'urgent' })).toEqual({ error: expect.stringMatching(/Cos must be one of/) });
  });

  it('maps repl, fs, io_priority, io_profile, shared and encryption onto the volume spec', () => {
    expect(pxdRequest({ size: '20', repl: '2', fs: 'xfs', io_priority: 'high', io_profile: 'db', shared: 'true', secure: 'true', secret_key: 'k' })).toEqual({
      size: 20n * BigInt(GiB),
      shared: true,
      create: { size: 20n * BigInt(GiB), ha_level: 2, format: 'FS_TYPE_XFS', cos: 'HIGH', io_profile: 'IO_PROFILE_DB', shared: true, encrypted: true },
    });
  });
});

describe('the simulated docker/volume isolator with pxd (dvdcli mount: create, then mount)', () => {
  let sim: PortworxSimulator;
  let client: PortworxClient;
  let isolator: PortworxVolumeIsolator;
  beforeEach(async () => {
    sim = await PortworxSimulator.start({ hosts: 'h1,h2', detectDelaySeconds: 0, bootSeconds: 0 });
    client = new PortworxClient({ url: sim.url, legacyUrl: sim.url });
    isolator = new PortworxVolumeIsolator(client);
  });
  afterEach(async () => {
    await sim.stop();
  });
  const volume = (name = 'data') => sim.volumes().find((v) => v.name === name);

  it('creates a missing volume from the driver options, then attaches it on the task host', async () => {
    await isolator.prepare(task('t1', { size: '3', repl: '2', fs: 'xfs' }, 'fresh'));
    const inspected = (await client.findVolumeByName('fresh'))!.volume;
    expect(inspected.spec).toMatchObject({ size: String(3 * GiB), ha_level: '2', format: 'FS_TYPE_XFS' });
    expect(volume('fresh')?.attachedOn).toEqual(['h1']);
  });

  it('mounts an existing volume whose size and shared flag agree with the options', async () => {
    await client.createVolume({ name: 'data', spec: { size: 10 * GiB, ha_level: 2 } });
    await isolator.prepare(task('t1', { size: '10', repl: '2' }));
    expect(volume()?.attachedOn).toEqual(['h1']);
  });

  it('refuses an existing volume of another size, as the SDK answers ALREADY_EXISTS', async () => {
    await client.createVolume({ name: 'data', spec: { size: 10 * GiB, ha_level: 2 } });
    const err = await isolator.prepare(task('t1', { size: '0.5' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VolumeMountRefusedError);
    expect((err as Error).message).toMatch(/Existing volume has a size of 10737418240 which differs from requested size of 0/);
    expect(volume()?.attachedOn).toEqual([]);
  });

  it('refuses an existing shared volume the options do not call shared', async () => {
    await client.createVolume({ name: 'data', spec: { size: GiB, ha_level: 1, shared: true } });
    await expect(isolator.prepare(task('t1', { size: '1' }))).rejects.toThrow(/Existing volume has shared=true while request is asking for shared=false/);
  });

  it('refuses to create a 0-byte volume from a size the plugin reads as 0', async () => {
    await expect(isolator.prepare(task('t1', { size: '0.5' }, 'tiny'))).rejects.toBeInstanceOf(VolumeMountRefusedError);
    expect(volume('tiny')).toBeUndefined();
  });
});
