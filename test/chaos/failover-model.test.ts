import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action, StepPlan } from '../../src/sim/chaos/plan';
import { runChaos } from '../../src/sim/chaos/runner';
import { PrivateNatsServer } from '../helpers/nats-server';

const SPEED = 20;
// Two hosts per zone (3 racks): a zone-only host is covered by chaos-regressions.test.ts.
const AGENTS = Number(process.env.PXFW_MODEL_AGENTS ?? 6);
/** failure_policy.probation of the shipped Cassandra spec (10 s) at this speed. */
const PROBATION_MS = 10_000 / SPEED;
const hosts = Array.from({ length: AGENTS }, (_, i) => `agent-${i + 1}`);

/** One fault of the failure model, on a host, followed by a pause. */
const faultArb: fc.Arbitrary<Action> = fc.oneof(
  fc.constantFrom(...hosts).map((host): Action => ({ kind: 'crash', host })),
  fc.record({ host: fc.constantFrom(...hosts), newId: fc.boolean() }).map(({ host, newId }): Action => ({ kind: 'restart', host, newId })),
  // Short: well inside the probation; long: until healed.
  fc.record({ host: fc.constantFrom(...hosts), frac: fc.double({ min: 0.1, max: 0.4, noNaN: true }) }).map(({ host, frac }): Action => ({ kind: 'partition', host, healAfterMs: Math.round(PROBATION_MS * frac) })),
  fc.constantFrom(...hosts).map((host): Action => ({ kind: 'partition', host })),
  fc.record({ host: fc.constantFrom(...hosts), status: fc.constantFrom('STATUS_OFFLINE', 'STATUS_STORAGE_DOWN', 'STATUS_MAINTENANCE') }).map(({ host, status }): Action => ({ kind: 'px-status', host, status })),
  fc.constantFrom(...hosts).map((host): Action => ({ kind: 'heal', host, auto: false })),
);

const planArb = fc.array(fc.record({ action: faultArb, dwellMs: fc.integer({ min: 100, max: 1200 }) }), { minLength: 3, maxLength: 8 }).map((steps): StepPlan[] => steps.map((s, i) => ({ step: i + 1, actions: [s.action], dwellMs: s.dwellMs })));

/**
 * A model test of failover: random sequences of host crashes, agent restarts (with and without a
 * new agent id), short and long partitions, Portworx OFFLINE / STORAGE_DOWN / MAINTENANCE and
 * heals, against the scheduler with the simulators. After every step: at most one live task per
 * pod, at most one attachment per volume, no pod moved without evidence that its host was down;
 * once every fault heals, every pod runs again with its volume attached where it runs.
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
        const result = await runChaos({
          seed: 1,
          steps: plan.length,
          plan,
          speed: SPEED,
          agents: AGENTS,
          racks: 3,
          scheduler: 'inproc',
          workDir: mkdtempSync(join(tmpdir(), 'pxfw-chaos-model-')),
          nats: { url: nats.url, restart: () => nats.restart(), restartable: false },
          baselineRates: {},
          settleMs: 15_000,
          print: (l) => {
            lines.push(l);
            if (process.env.PXFW_CHAOS_VERBOSE) console.log(l);
          },
        });
        expect(result.violations, lines.join('\n')).toEqual([]);
        expect(result.converged, lines.join('\n')).toBe(true);
      }),
      { numRuns: Number(process.env.PXFW_MODEL_RUNS ?? 6), seed: Number(process.env.PXFW_MODEL_SEED ?? 20261207), endOnFailure: true, interruptAfterTimeLimit: 80_000 },
    );
  }, 90_000);
});
