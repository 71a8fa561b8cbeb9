import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, it, type OnTestFinishedHandler } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { MesosSimulator } from '../../src/sim/mesos';
import { parsePortRanges, type PortRange } from '../../src/sim/mesos/options';
import { PortworxSimulator } from '../../src/sim/portworx';
import { freePort, SHARED_NATS_URL } from '../helpers/nats-server';
import { eventually, PxfwProcess } from '../run/cli-process';
import { frameworkYaml } from '../e2e/helpers';
import { cli } from '../e2e/helpers-ops';

const SPEED = 10;

/**
 * The shipped Cassandra spec (fixed ports 9042, 7000, 7199) on `pxfw sim mesos`: DC/OS agents (the
 * default) offer those ports and it deploys; agents offering only Mesos' default 31000-32000 never
 * fit, and `plan status` says why instead of stalling without a word.
 */
describe('pxfw sim mesos models DC/OS agents: the shipped Cassandra spec deploys, and says why when it cannot', () => {
  /**
   * `pxfw sim mesos [--ports]` + `pxfw sim portworx --mesos` in process, and `pxfw run` of the
   * shipped spec; stopped in reverse order when the test ends (the context's onTestFinished hooks
   * run last-registered first). Each test has its own simulators and service: they run side by side.
   */
  async function deploy(onTestFinished: (fn: OnTestFinishedHandler) => void, ports?: PortRange[]): Promise<string> {
    const stops: (() => Promise<unknown>)[] = [];
    const nc = await connect({ servers: SHARED_NATS_URL });
    onTestFinished(async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      await nc.close();
    });
    const mesos = await MesosSimulator.start({ agents: 3, racks: 3, speed: SPEED, ...(ports ? { agentResources: { ports } } : {}) });
    stops.push(() => mesos.stop());
    const px = await PortworxSimulator.start({ mesosUrl: mesos.url, nats: nc, clusterId: `sim-${randomUUID().slice(0, 8)}`, speed: SPEED });
    stops.push(() => px.stop());
    await eventually('Portworx mirrors the agents', () => px.nodes().length === 3, 10_000);
    const { yaml, name } = frameworkYaml('cassandra');
    const path = join(mkdtempSync(join(tmpdir(), 'pxfw-sim-ports-')), `${name}.yml`);
    writeFileSync(path, yaml);
    const run = new PxfwProcess(
      ['run', '--spec', path, '--mesos', mesos.url, '--portworx', px.url, '--portworx-legacy', px.url, '--nats', SHARED_NATS_URL, '--http', String(await freePort())],
      { env: { PXFW_TIME_SCALE: String(SPEED) }, killAfterMs: 120_000 },
    );
    stops.push(async () => {
      run.child.kill('SIGTERM');
      await run.exited;
    });
    return name;
  }

  it.concurrent('deploys on the default DC/OS agents (ports 1025-32000 but DC/OS\' own)', async ({ onTestFinished }) => {
    const name = await deploy(onTestFinished);
    await eventually('deploy COMPLETE', async () => (await cli(name, 'plan', 'status')).out.startsWith('plan deploy: COMPLETE'), 90_000);
  }, 120_000);

  it.concurrent('on agents offering only 31000-32000 (--ports mesos), plan status names the missing ports on the waiting step', async ({ onTestFinished }) => {
    const name = await deploy(onTestFinished, parsePortRanges('mesos'));
    const status = await eventually(
      'a waiting step that says why',
      async () => {
        const r = await cli(name, 'plan', 'status', '--json');
        const plan = JSON.parse(r.out) as { phases: { steps: { name: string; message?: string }[] }[] };
        return plan.phases?.[0]?.steps.find((s) => s.message?.includes('no agent offers ports 9042'));
      },
      60_000,
    );
    // The ports first (no agent has them); a second reason may follow (e.g. volume locality on some offers).
    expect(status.name).toBe('node-0');
    expect(status.message).toMatch(/^no offer fits: no agent offers ports 9042, 7000, 7199[;( ]/);
    expect(status.message).toContain(`(pxfw ${name} debug offers node-0)`);
    const human = await cli(name, 'plan', 'status');
    expect(human.out).toMatch(/node-0\s+STARTING\s+no offer fits: no agent offers ports 9042, 7000, 7199/);
  }, 120_000);
});
