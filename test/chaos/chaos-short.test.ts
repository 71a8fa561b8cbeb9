import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChaos } from '../../src/sim/chaos/runner';
import { PrivateNatsServer } from '../helpers/nats-server';

/**
 * The short, seeded version of bench/chaos.ts: a fixed fault sequence (agent crashes, restarts,
 * partitions, Portworx node faults, a scheduler SIGKILL, NATS restart, master failover, wire
 * faults, scale/replace/snapshot) against the scheduler in its own process, checked against the
 * Mesos operator API and the Portworx SDK after every step and at the end.
 */
describe('a short seeded chaos run', () => {
  let nats: PrivateNatsServer;
  beforeAll(async () => {
    nats = await PrivateNatsServer.start();
  });
  afterAll(async () => {
    await nats?.dispose();
  });

  it('keeps one live task per pod and one attachment per volume, moves pods only on evidence, and converges once faults heal', async () => {
    const lines: string[] = [];
    const result = await runChaos({
      seed: Number(process.env.PXFW_CHAOS_SEED ?? 11),
      steps: 20,
      speed: 10,
      scheduler: 'child',
      workDir: mkdtempSync(join(tmpdir(), 'pxfw-chaos-short-')),
      nats: { url: nats.url, restart: () => nats.restart(), restartable: true },
      minDwellMs: 150,
      maxDwellMs: 700,
      settleMs: 20_000,
      print: (l) => {
        lines.push(l);
        if (process.env.PXFW_CHAOS_VERBOSE) console.log(l);
      },
    });
    expect(result.violations, lines.join('\n')).toEqual([]);
    expect(result.stepsRun).toBe(20);
    expect(result.converged, lines.join('\n')).toBe(true);
  }, 58_000);
});
