import { afterEach, describe, expect, it } from 'vitest';
import { PxfwProcess } from '../run/cli-process';
import { call } from './sdk-http';

/** `npx pxfw sim portworx` as a user runs it, driven by `pxfw sim node` from another process. */
describe('pxfw sim portworx --detect-delay S --speed F (a real process)', () => {
  const procs: PxfwProcess[] = [];
  afterEach(async () => {
    for (const p of procs.splice(0)) await p.kill();
  });

  it('reports a crashed host offline after the scaled detection delay', async () => {
    const sim = new PxfwProcess(['sim', 'portworx', '--port', '0', '--hosts', 'h1,h2', '--detect-delay', '2', '--speed', '4', '--json'], {
      killAfterMs: 60_000,
    });
    procs.push(sim);
    await sim.waitForOutput(/\n/, 30_000);
    const started = JSON.parse(sim.out.split('\n')[0]!) as { url: string; detect_delay_ms: number };
    expect(started.detect_delay_ms).toBe(500);

    const crash = new PxfwProcess(['sim', 'node', 'crash', 'h1', '--portworx', started.url, '--json'], { killAfterMs: 30_000 });
    procs.push(crash);
    const crashed = await crash.exited;
    expect(crashed.code).toBe(0);
    expect(JSON.parse(crashed.out)).toMatchObject({ hostname: 'h1', status: 'STATUS_OK', hostDown: true });
    const t0 = Date.now();
    let node = (await call(started.url, 'GET', '/sim/v1/nodes/h1')).body.node;
    while (node.status !== 'STATUS_OFFLINE' && Date.now() - t0 < 10_000) {
      await new Promise((r) => setTimeout(r, 50));
      node = (await call(started.url, 'GET', '/sim/v1/nodes/h1')).body.node;
    }
    expect(node).toMatchObject({ status: 'STATUS_OFFLINE', host_down: true });

    const bad = new PxfwProcess(['sim', 'node', 'status', 'h1', '--status', 'bogus', '--portworx', started.url], { killAfterMs: 30_000 });
    procs.push(bad);
    const refused = await bad.exited;
    expect(refused.code).not.toBe(0);
    expect(refused.err).toMatch(/"bogus" is not a node status/);
  }, 90_000);
});
