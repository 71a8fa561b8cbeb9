import { Command, CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerSimPortworx } from '../../src/cli/sim-portworx.command';
import { PortworxSimulator, SimUnknownNodeError } from '../../src/sim/portworx';
import { call } from './sdk-http';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('control routes of the Portworx simulator (/sim/v1, never recorded)', () => {
  let sim: PortworxSimulator;
  beforeEach(async () => {
    sim = await PortworxSimulator.start({ hosts: 'h1,h2,h3', detectDelaySeconds: 0.1, bootSeconds: 0.05 });
  });
  afterEach(async () => {
    await sim.stop();
  });
  const node = (host: string) => sim.nodes().find((n) => n.hostname === host && !n.stale)!;

  it('POST /sim/v1/nodes/<h>/status sets a status and answers the node with its status always present', async () => {
    const r = await call(sim.url, 'POST', '/sim/v1/nodes/h1/status', { status: 'STATUS_NONE' });
    expect(r.status).toBe(200);
    expect(r.body.node).toMatchObject({ hostname: 'h1', status: 'STATUS_NONE', host_down: false, stale: false });
    expect(node('h1').status).toBe('STATUS_NONE');
  });

  it('answers 400 naming the valid statuses for an unknown one, and 404 for an unknown host', async () => {
    const bad = await call(sim.url, 'POST', '/sim/v1/nodes/h1/status', { status: 'STATUS_DECOMMISSION' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/use one of STATUS_OK, STATUS_OFFLINE, STATUS_MAINTENANCE, STATUS_STORAGE_DOWN, STATUS_NONE/);
    expect((await call(sim.url, 'POST', '/sim/v1/nodes/h1/status', {})).status).toBe(400);
    expect((await call(sim.url, 'POST', '/sim/v1/nodes/h1/status', { status: 'STATUS_OK', extra: 1 })).status).toBe(400);
    const unknown = await call(sim.url, 'POST', '/sim/v1/nodes/zz/status', { status: 'STATUS_OK' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/no node "zz".*nodes: h1, h2, h3/);
  });

  it('POST /sim/v1/hosts/<h>/crash and /boot (what the Mesos simulator calls) crash and boot the host', async () => {
    const crash = await call(sim.url, 'POST', '/sim/v1/hosts/h2/crash');
    expect(crash.body).toMatchObject({ node: { hostname: 'h2', status: 'STATUS_OK', host_down: true }, detect_in_ms: 100 });
    await until(() => node('h2').status === 'STATUS_OFFLINE', 'the detection');
    const boot = await call(sim.url, 'POST', '/sim/v1/hosts/h2/boot');
    expect(boot.body).toMatchObject({ node: { hostname: 'h2', host_down: true }, ready_in_ms: 50 });
    await until(() => node('h2').status === 'STATUS_OK' && !node('h2').hostDown, 'the boot');
  });

  it('POST /sim/v1/nodes/<h>/flap checks its body', async () => {
    expect((await call(sim.url, 'POST', '/sim/v1/nodes/h3/flap', { period_ms: 0, count: 2 })).status).toBe(400);
    expect((await call(sim.url, 'POST', '/sim/v1/nodes/h3/flap', { period_ms: 20, count: 1001 })).status).toBe(400);
    const r = await call(sim.url, 'POST', '/sim/v1/nodes/h3/flap', { period_ms: 20, count: 1 });
    expect(r.body.node.status).toBe('STATUS_OFFLINE');
    await until(() => node('h3').status === 'STATUS_OK', 'the end of the flap');
  });

  it('POST and DELETE /sim/v1/nodes/<h>/duplicate add and remove a stale entry; GET lists every entry', async () => {
    const added = await call(sim.url, 'POST', '/sim/v1/nodes/h1/duplicate', { status: 'STATUS_OFFLINE' });
    expect(added.body.node).toMatchObject({ hostname: 'h1', stale: true, status: 'STATUS_OFFLINE' });
    const listed = await call(sim.url, 'GET', '/sim/v1/nodes/h1');
    expect(listed.body.node.id).toBe(node('h1').id);
    expect(listed.body.entries.map((e: any) => e.stale)).toEqual([false, true]);
    expect((await call(sim.url, 'DELETE', '/sim/v1/nodes/h1/duplicate')).body).toEqual({ removed: 1 });
    expect((await call(sim.url, 'GET', '/sim/v1/nodes/h1')).body.entries).toHaveLength(1);
  });

  it('keeps /down and /up', async () => {
    expect((await call(sim.url, 'POST', '/sim/v1/nodes/h1/down')).body.node.status).toBe('STATUS_OFFLINE');
    expect((await call(sim.url, 'POST', '/sim/v1/nodes/h1/up')).body.node.status).toBe('STATUS_OK');
  });
});

describe('pxfw sim node down|up|status|flap|duplicate|crash|boot HOST', () => {
  let sim: PortworxSimulator;
  beforeEach(async () => {
    sim = await PortworxSimulator.start({ hosts: 'h1,h2', detectDelaySeconds: 0 });
  });
  afterEach(async () => {
    await sim.stop();
    vi.restoreAllMocks();
  });
  const node = (host: string) => sim.nodes().find((n) => n.hostname === host && !n.stale)!;

  async function run(...args: string[]): Promise<string> {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    const program = new Command('pxfw').exitOverride().configureOutput({ writeErr: () => {} });
    registerSimPortworx(program.command('sim'));
    program.commands.forEach((c) => c.exitOverride());
    await program.parseAsync(['sim', ...args], { from: 'user' });
    return out.join('');
  }

  it('status --status sets a status by its SDK name or short form; status alone shows every entry', async () => {
    expect(await run('node', 'status', 'h1', '--status', 'maintenance', '--portworx', sim.url)).toMatch(/^node h1 \(.+\) is STATUS_MAINTENANCE\n$/);
    expect(node('h1').status).toBe('STATUS_MAINTENANCE');
    await run('node', 'status', 'h1', '--status', 'STATUS_STORAGE_DOWN', '--portworx', sim.url);
    expect(node('h1').status).toBe('STATUS_STORAGE_DOWN');
    await run('node', 'status', 'h1', '--status', 'storage-down', '--portworx', sim.url);
    const shown = JSON.parse(await run('node', 'status', 'h1', '--portworx', sim.url, '--json'));
    expect(shown.node).toMatchObject({ hostname: 'h1', status: 'STATUS_STORAGE_DOWN', online: true });
  });

  it('refuses a status it does not know before calling the simulator, listing the valid ones', async () => {
    const err = await run('node', 'status', 'h1', '--status', 'decommission', '--portworx', sim.url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommanderError);
    expect((err as Error).message).toMatch(/"decommission" is not a node status; use one of STATUS_OK, STATUS_OFFLINE/);
    expect(node('h1').status).toBe('STATUS_OK');
  });

  it('flap, duplicate (and --remove), crash and boot drive the routes', async () => {
    expect(await run('node', 'flap', 'h2', '--period', '20', '--count', '1', '--portworx', sim.url)).toMatch(/flapping 1 time\(s\) every 20 ms/);
    await until(() => node('h2').status === 'STATUS_OK', 'the end of the flap');
    expect(await run('node', 'duplicate', 'h2', '--status', 'offline', '--portworx', sim.url)).toMatch(/^node h2 \(.+\) is offline \[stale entry\]\n$/);
    expect(sim.nodes().filter((n) => n.hostname === 'h2')).toHaveLength(2);
    expect(await run('node', 'duplicate', 'h2', '--remove', '--portworx', sim.url)).toBe('removed 1 stale entry of h2\n');
    expect(await run('node', 'duplicate', 'h2', '--remove', '--portworx', sim.url)).toBe('h2 has no stale entry\n');
    expect(await run('node', 'crash', 'h1', '--portworx', sim.url)).toMatch(/host crashed/);
    expect(node('h1')).toMatchObject({ status: 'STATUS_OFFLINE', hostDown: true });
    await run('node', 'boot', 'h1', '--portworx', sim.url);
    await until(() => node('h1').status === 'STATUS_OK' && !node('h1').hostDown, 'the boot');
  });

  it('rejects a bad --period, --count or --detect-delay', async () => {
    await expect(run('node', 'flap', 'h2', '--period', '0', '--portworx', sim.url)).rejects.toThrow(/a whole number from 1/);
    await expect(run('node', 'flap', 'h2', '--count', 'x', '--portworx', sim.url)).rejects.toThrow(/expected a count/);
    await expect(run('portworx', '--detect-delay', 'soon')).rejects.toThrow(/expected a number of seconds/);
    await expect(run('portworx', '--speed', '0')).rejects.toThrow(/above 0/);
  });

  it('fails naming the known nodes when the host is not in the cluster', async () => {
    await expect(run('node', 'status', 'nope', '--portworx', sim.url)).rejects.toThrow(SimUnknownNodeError);
    await expect(run('node', 'crash', 'nope', '--portworx', sim.url)).rejects.toThrow(/nodes: h1, h2/);
  });
});
