import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateNatsServer } from '../helpers/nats-server';
import { MODEL_SEED, planArb, runModelPlan } from './failover-model-plans';

/**
 * A model test of failover: random sequences of host crashes, agent restarts (with and without a
 * new agent id), short and long partitions, Portworx OFFLINE / STORAGE_DOWN / MAINTENANCE and
 * heals, against the scheduler with the simulators. After every step: at most one live task per
 * pod, at most one attachment per volume, no pod moved without evidence that its host was down;
 * once every fault heals, every pod runs again with its volume attached where it runs.
 *
 * The suite runs a short seeded sample (3 plans, ~10 s each); the long version is
 * `node --import tsx bench/failover-model.soak.ts --runs 50 --seeds 4` (same plans and settings).
 * PXFW_MODEL_RUNS / PXFW_MODEL_SEED replay more plans, or a soak's failing seed, here.
 */
describe('failover model', () => {
  let nats: PrivateNatsServer;
  beforeAll(async () => {
    nats = await PrivateNatsServer.start();
  });
  afterAll(async () => {
    await nats?.dispose();
  });

  it('holds the safety invariants under random fault sequences and recovers once they heal', async () => {
    await fc.assert(
      fc.asyncProperty(planArb, async (plan) => {
        const lines: string[] = [];
        const result = await runModelPlan(plan, { url: nats.url, restart: () => nats.restart() }, (l) => {
          lines.push(l);
          if (process.env.PXFW_CHAOS_VERBOSE) console.log(l);
        });
        expect(result.violations, lines.join('\n')).toEqual([]);
        expect(result.converged, lines.join('\n')).toBe(true);
      }),
      { numRuns: Number(process.env.PXFW_MODEL_RUNS ?? 3), seed: Number(process.env.PXFW_MODEL_SEED ?? MODEL_SEED), endOnFailure: true, interruptAfterTimeLimit: 80_000 },
    );
  }, 90_000);
});
