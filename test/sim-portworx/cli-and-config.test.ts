import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerSimPortworx } from '../../src/cli/sim-portworx.command';
import { parseHostsSpec, PortworxSimulator, SimConfigError, SimUnknownNodeError } from '../../src/sim/portworx';
import { parseByteSize } from '../../src/sim/portworx/control-client';

describe('--hosts and sizes', () => {
  it('reads host names with optional rack/zone/region, defaulting racks round-robin', () => {
    expect(parseHostsSpec('a,b=rack-9,c=r/z/g,d')).toEqual([
      { hostname: 'a', topology: { rack: 'rack-1', zone: 'zone-1', region: 'region-1' } },
      { hostname: 'b', topology: { rack: 'rack-9', zone: 'zone-1', region: 'region-1' } },
      { hostname: 'c', topology: { rack: 'r', zone: 'z', region: 'g' } },
      { hostname: 'd', topology: { rack: 'rack-1', zone: 'zone-1', region: 'region-1' } },
    ]);
  });

  it('refuses duplicate hosts, bad names and a malformed topology with the offending text', () => {
    expect(() => parseHostsSpec('a,a')).toThrow(/a is listed twice/);
    expect(() => parseHostsSpec('a b')).toThrow(SimConfigError);
    expect(() => parseHostsSpec('a=r/z/g/x')).toThrow(/must be rack\[\/zone\[\/region\]\], got "r\/z\/g\/x"/);
  });

  it('reads pool sizes in bytes or binary and decimal units', () => {
    expect(parseByteSize('100GiB')).toBe(100 * 1024 ** 3);
    expect(parseByteSize('2TB')).toBe(2e12);
    expect(parseByteSize('4096')).toBe(4096);
    expect(() => parseByteSize('lots')).toThrow(/not a size/);
  });

  it('refuses both --hosts and --mesos, and a cluster id that cannot be a subject token', async () => {
    await expect(PortworxSimulator.start({ hosts: 'a', mesosUrl: 'http://x' })).rejects.toThrow(SimConfigError);
    await expect(PortworxSimulator.start({ hosts: 'a', clusterId: 'a.b' })).rejects.toThrow(/cannot be a NATS subject token/);
  });
});

describe('pxfw sim node down|up HOST', () => {
  let sim: PortworxSimulator | undefined;
  afterEach(async () => {
    await sim?.stop();
    vi.restoreAllMocks();
  });

  async function run(...args: string[]): Promise<string> {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    const program = new Command('pxfw').exitOverride();
    registerSimPortworx(program.command('sim'));
    await program.parseAsync(['sim', ...args], { from: 'user' });
    return out.join('');
  }

  it('takes a node down and brings it up through the control route', async () => {
    sim = await PortworxSimulator.start({ hosts: 'h1,h2' });
    expect(await run('node', 'down', 'h2', '--portworx', sim.url)).toMatch(/^node h2 \(.+\) is offline\n$/);
    expect(sim.nodes().find((n) => n.hostname === 'h2')!.online).toBe(false);
    const json = JSON.parse(await run('node', 'up', 'h2', '--portworx', sim.url, '--json'));
    expect(json).toMatchObject({ hostname: 'h2', online: true });
  });

  it('fails naming the known nodes when the host is not in the cluster', async () => {
    sim = await PortworxSimulator.start({ hosts: 'h1,h2' });
    await expect(run('node', 'down', 'nope', '--portworx', sim.url)).rejects.toThrow(SimUnknownNodeError);
    await expect(run('node', 'down', 'nope', '--portworx', sim.url)).rejects.toThrow(/nodes: h1, h2/);
  });
});
