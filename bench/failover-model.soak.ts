/**
 * The long run of the failover model (test/chaos/failover-model.test.ts runs 3 plans of seed
 * 20261207 in the suite): many random fault plans, over several seeds, same plans and settings.
 *   node --import tsx bench/failover-model.soak.ts [--runs 50] [--seed 20261207] [--seeds 4]
 * Prints one line per seed; on a counterexample fast-check's report (seed, path, the plan) and the
 * run's step lines. Replay one in the suite: PXFW_MODEL_SEED=<seed> PXFW_MODEL_RUNS=<runs>
 * npx vitest run test/chaos/failover-model.test.ts. Exit status 1 when any seed failed.
 * Needs nats-server on PATH (a private one is started).
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';

// Loggers are created at import time: quiet the simulators before they load.
process.env.PXFW_LOG_LEVEL ??= 'error';
const { PrivateNatsServer } = await import('../test/helpers/nats-server');
const { MODEL_SEED, planArb, runModelPlan } = await import('../test/chaos/failover-model-plans');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '50' },
    seed: { type: 'string', default: String(MODEL_SEED) },
    seeds: { type: 'string', default: '4' },
    verbose: { type: 'boolean', default: false },
  },
});

const nats = await PrivateNatsServer.start();
let failed = 0;
try {
  for (let seed = Number(values.seed); seed < Number(values.seed) + Number(values.seeds); seed++) {
    const started = Date.now();
    let lines: string[] = [];
    const details = await fc.check(
      fc.asyncProperty(planArb, async (plan) => {
        lines = [];
        const r = await runModelPlan(plan, { url: nats.url, restart: () => nats.restart() }, (l) => {
          lines.push(l);
          if (values.verbose) console.log(l);
        });
        if (r.violations.length > 0) throw new Error(`violations: ${JSON.stringify(r.violations)}`);
        if (!r.converged) throw new Error('did not converge after every fault healed');
      }),
      { numRuns: Number(values.runs), seed, endOnFailure: true },
    );
    const secs = ((Date.now() - started) / 1000).toFixed(0);
    if (details.failed) {
      failed++;
      console.log(`seed ${seed}: FAILED after ${details.numRuns} plan(s), ${secs} s\n${fc.defaultReportMessage(details)}\n${lines.join('\n')}`);
    } else {
      console.log(`seed ${seed}: ${details.numRuns} plan(s) held, ${secs} s`);
    }
  }
} finally {
  await nats.dispose();
}
process.exit(failed > 0 ? 1 : 0);
