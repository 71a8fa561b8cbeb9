/**
 * Seeded chaos run against the simulated cluster (issue 9):
 *   node --import tsx bench/chaos.ts --seed 7 --steps 150 [--speed 10] [--seeds 10] [--scheduler child|inproc]
 *        [--plan STEPS.json] [--only KIND,...] [--agents 8] [--racks 4] [--settle 60] [--min-dwell MS] [--max-dwell MS] [--out DIR] [--keep-going] [--record] [--harsh]
 * Prints one line per step; on a violation the seed, the step, the fault list and the evidence.
 * Exit status 1 when any run saw a violation. Needs nats-server on PATH (a private one is started).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ChaosRunResult } from '../src/sim/chaos/runner';
import { DEFAULT_WEIGHTS, type StepKind, type StepPlan } from '../src/sim/chaos/plan';

// Loggers are created at import time: quiet the simulators before they load.
process.env.PXFW_LOG_LEVEL ??= 'error';
const { PrivateNatsServer } = await import('../test/helpers/nats-server');
const { runChaos } = await import('../src/sim/chaos/runner');

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    seeds: { type: 'string', default: '1' },
    steps: { type: 'string', default: '150' },
    speed: { type: 'string', default: '10' },
    scheduler: { type: 'string', default: 'child' },
    settle: { type: 'string', default: '60' },
    out: { type: 'string' },
    'keep-going': { type: 'boolean', default: false },
    record: { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'warn' },
    'min-dwell': { type: 'string', default: '300' },
    'max-dwell': { type: 'string', default: '2500' },
    // Two faults per step 40% of the time, up to 3 hosts down, constant wire faults at 3x.
    harsh: { type: 'boolean', default: false },
    // Replay an explicit step list (JSON StepPlan[], e.g. a fast-check counterexample).
    plan: { type: 'string' },
    // Only these step kinds (comma-separated StepKind names), e.g. scale,wire-lose,crash,heal.
    only: { type: 'string' },
    agents: { type: 'string', default: '8' },
    racks: { type: 'string', default: '4' },
  },
});

const plan = values.plan ? (JSON.parse(readFileSync(values.plan, 'utf8')) as StepPlan[]) : undefined;
const only = values.only?.split(',').map((k) => k.trim()) ?? [];
const weights = only.length ? (Object.fromEntries(Object.keys(DEFAULT_WEIGHTS).map((k) => [k, only.includes(k) ? DEFAULT_WEIGHTS[k as StepKind] : 0])) as Record<StepKind, number>) : undefined;
const first = Number(values.seed);
const count = Number(values.seeds);
const out = values.out ?? mkdtempSync(join(tmpdir(), 'pxfw-chaos-'));
const results: ChaosRunResult[] = [];
let stopNats: (() => Promise<void>) | undefined;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.log(`${sig}: stopping (results so far: ${results.length} seed(s))`);
    void (stopNats?.() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}
for (let seed = first; seed < first + count; seed++) {
  const nats = await PrivateNatsServer.start();
  stopNats = () => nats.dispose();
  const workDir = join(out, `seed-${seed}`);
  try {
    const r = await runChaos({
      seed,
      steps: plan?.length ?? Number(values.steps),
      ...(plan ? { plan, baselineRates: {} } : {}),
      agents: Number(values.agents),
      ...(weights ? { weights } : {}),
      racks: Number(values.racks),
      speed: Number(values.speed),
      scheduler: values.scheduler === 'inproc' ? 'inproc' : 'child',
      settleMs: Number(values.settle) * 1000,
      minDwellMs: Number(values['min-dwell']),
      maxDwellMs: Number(values['max-dwell']),
      ...(values.harsh
        ? {
            comboRate: 0.4,
            maxDown: 3,
            baselineRates: { duplicateUpdate: 0.15, delayUpdate: 0.15, maxDelayMs: 400, lostReply: 0.04, cutStream: 0.002 },
            burstRates: { duplicateUpdate: 0.4, delayUpdate: 0.4, maxDelayMs: 800, lostReply: 0.15, lostRequest: 0.05, cutStream: 0.02 },
          }
        : {}),
      workDir,
      nats: { url: nats.url, restart: () => nats.restart(), restartable: true },
      stopOnViolation: !values['keep-going'],
      record: values.record,
      logLevel: values['log-level'],
      reproFlags: [values.harsh ? '--harsh' : '', values.only ? `--only ${values.only}` : '', `--min-dwell ${values['min-dwell']} --max-dwell ${values['max-dwell']}`].filter(Boolean).join(' '),
    });
    results.push(r);
    writeFileSync(join(workDir, 'result.json'), JSON.stringify(r, null, 2));
    console.log(`seed ${seed}: ${r.stepsRun}/${r.steps} steps, ${r.violations.length} violation(s), ${r.notes.length} note(s), converged ${r.converged}, wire ${JSON.stringify(r.wire)}, calls ${JSON.stringify(r.calls)}, ${(r.wallMs / 1000).toFixed(0)} s (${workDir})`);
  } catch (err) {
    console.log(`seed ${seed}: run failed: ${(err as Error).stack ?? String(err)}`);
  } finally {
    await nats.dispose();
  }
}
const bad = results.filter((r) => r.violations.length > 0);
console.log(`summary: ${results.length} seed(s), ${results.reduce((s, r) => s + r.stepsRun, 0)} steps, ${bad.length} with violations${bad.length ? `: ${bad.map((r) => `${r.seed} (${r.violations.map((v) => `${v.kind}@${v.step}`).join(', ')})`).join('; ')}` : ''}; out ${out}`);
process.exit(bad.length > 0 || results.length < count ? 1 : 0);
