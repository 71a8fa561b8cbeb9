import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Action, StepPlan } from '../../src/sim/chaos/plan';
import { runChaos, type ChaosRunResult } from '../../src/sim/chaos/runner';

/**
 * The failover model, shared by the suite's short run (test/chaos/failover-model.test.ts) and the
 * long seeded soak (bench/failover-model.soak.ts): the same faults, plans and run settings, so a
 * counterexample the soak finds replays in the suite with PXFW_MODEL_SEED / PXFW_MODEL_RUNS.
 */
export const MODEL_SPEED = 20;
/** The seed the suite runs by default. */
export const MODEL_SEED = 20261207;
// Two hosts per zone (3 racks): a zone-only host is covered by chaos-regressions.test.ts.
export const MODEL_AGENTS = Number(process.env.PXFW_MODEL_AGENTS ?? 6);
/** failure_policy.probation of the shipped Cassandra spec (10 s) at this speed. */
const PROBATION_MS = 10_000 / MODEL_SPEED;
const hosts = Array.from({ length: MODEL_AGENTS }, (_, i) => `agent-${i + 1}`);

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

export const planArb: fc.Arbitrary<StepPlan[]> = fc
  .array(fc.record({ action: faultArb, dwellMs: fc.integer({ min: 100, max: 1200 }) }), { minLength: 3, maxLength: 8 })
  .map((steps): StepPlan[] => steps.map((s, i) => ({ step: i + 1, actions: [s.action], dwellMs: s.dwellMs })));

/** One plan against the scheduler (in process) and the simulators, on the given NATS server. */
export async function runModelPlan(
  plan: StepPlan[],
  nats: { url: string; restart: () => Promise<void> },
  print: (line: string) => void,
): Promise<ChaosRunResult> {
  return runChaos({
    seed: 1,
    steps: plan.length,
    plan,
    speed: MODEL_SPEED,
    agents: MODEL_AGENTS,
    racks: 3,
    scheduler: 'inproc',
    workDir: mkdtempSync(join(tmpdir(), 'pxfw-chaos-model-')),
    nats: { ...nats, restartable: false },
    baselineRates: {},
    settleMs: 15_000,
    print,
  });
}
