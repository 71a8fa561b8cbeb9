import { endBurst, detectFeatures, healHost, runAction, startScheduler, WantedCount, type ActionContext } from './actions';
import { ChaosEnvironment, type ChaosEnvironmentOptions, type NatsHandle } from './environment';
import { FaultLog } from './fault-log';
import { InvariantMonitor, type Violation } from './invariants';
import type { WireFaultRates } from './mesos-proxy';
import { describeAction, generatePlan, type StepKind, type StepPlan } from './plan';
import { isTerminalState, outsideTruth, simulatorTruth, type Truth } from './truth';
import { checkConverged } from './convergence';

export interface ChaosRunOptions {
  seed: number;
  steps: number;
  /** Simulator and scheduler speed (every interval divided by it). */
  speed?: number;
  agents?: number;
  racks?: number;
  scheduler?: 'child' | 'inproc';
  workDir: string;
  nats: NatsHandle & { restartable: boolean };
  minDwellMs?: number;
  maxDwellMs?: number;
  /** Wall ms to wait, after every fault healed, for the wanted pods to run. */
  settleMs?: number;
  maxDown?: number;
  maxFaultSteps?: number;
  minCount?: number;
  maxCount?: number;
  weights?: Partial<Record<StepKind, number>>;
  /** Probability that a step injects two faults at once. */
  comboRate?: number;
  /** Run these steps instead of a generated plan (model tests); hosts are agent-1 … agent-N. */
  plan?: StepPlan[];
  baselineRates?: Partial<WireFaultRates>;
  burstRates?: Partial<WireFaultRates>;
  stopOnViolation?: boolean;
  record?: boolean;
  /** One line per step (default: console.log). */
  print?: (line: string) => void;
  pollMs?: number;
  logLevel?: string;
  /** Extra bench/chaos.ts flags for the repro line of a violation (e.g. `--harsh`). */
  reproFlags?: string;
  /** Calls of one type (ACKNOWLEDGE and DECLINE aside) per second above which a step reports a storm. */
  maxCallsPerSecond?: number;
}

export interface ChaosRunResult {
  seed: number;
  steps: number;
  stepsRun: number;
  violations: Violation[];
  /** Findings that break no invariant but deserve a look (see InvariantMonitor.notes). */
  notes: Violation[];
  faults: string[];
  wire: Record<string, number>;
  calls: Record<string, number>;
  converged: boolean;
  wallMs: number;
  workDir: string;
}

const DEFAULT_BURST: Partial<WireFaultRates> = { duplicateUpdate: 0.3, delayUpdate: 0.3, maxDelayMs: 400, lostReply: 0.08, cutStream: 0.01 };
const DEFAULT_BASELINE: Partial<WireFaultRates> = { duplicateUpdate: 0.05, delayUpdate: 0.05, maxDelayMs: 200, lostReply: 0.01 };

/**
 * A seeded chaos run: build the simulated cluster behind the wire-fault proxy with the scheduler,
 * wait for the deploy, run the planned steps (faults, wire faults, operator commands) checking the
 * invariants against ground truth all along, then heal everything and check the end state.
 */
export async function runChaos(o: ChaosRunOptions): Promise<ChaosRunResult> {
  const started = Date.now();
  const print = o.print ?? ((l: string) => console.log(l));
  const speed = o.speed ?? 10;
  const pollMs = o.pollMs ?? 50;
  const baseline = o.baselineRates ?? DEFAULT_BASELINE;
  const envOpts: ChaosEnvironmentOptions = {
    seed: o.seed,
    speed,
    agents: o.agents ?? 8,
    racks: o.racks ?? 4,
    nats: o.nats,
    scheduler: o.scheduler ?? 'child',
    workDir: o.workDir,
    baselineRates: baseline,
    record: o.record ?? false,
    ...(o.logLevel ? { logLevel: o.logLevel } : {}),
  };
  const env = await ChaosEnvironment.start(envOpts);
  const faults = new FaultLog();
  const probationMs = (10 * 1000) / speed;
  // A returning task's KILL may be lost on the wire; the scheduler retries after its kill wait
  // (60 s / speed), so a stray must be gone within that and a margin.
  const monitor = new InvariantMonitor(faults, { probationMs, staleGraceMs: Math.max(3000, 90_000 / speed), pollMs, sawKill: (id) => env.proxy.sawKill(id) });
  const wanted = new WantedCount(3);
  const ctx: ActionContext = { env, nats: o.nats, faults, monitor, wanted, burstRates: o.burstRates ?? DEFAULT_BURST, baselineRates: baseline, step: 0 };
  let stepsRun = 0;
  let converged = false;
  const report = (vs: Violation[]) => {
    for (const v of vs) {
      print(`VIOLATION ${v.kind} seed=${o.seed} step=${v.step}: ${v.message}`);
      for (const line of v.evidence) print(`  evidence: ${line}`);
      const wire = env.proxy.faults().filter((f) => f.at >= v.at - 15_000);
      if (wire.length) print(`  wire faults in the 15 s before: ${wire.map((f) => `${new Date(f.at).toISOString().slice(11, 23)} ${f.kind} ${f.detail}`).join('; ')}`);
      print(`  faults so far (${faults.entries.length}):`);
      for (const line of faults.describe(60)) print(`    ${line}`);
      print(`  repro (same fault list; timing differs): node --import tsx bench/chaos.ts --seed ${o.seed} --steps ${v.step} --speed ${speed}${o.reproFlags ? ` ${o.reproFlags}` : ''} --record`);
    }
  };
  let watchBusy = false;
  const watch = setInterval(() => {
    if (watchBusy) return;
    watchBusy = true;
    try {
      report(monitor.observe(simulatorTruth(env.service, env.mesos, env.px)));
    } catch {
      // The simulators are stopping.
    } finally {
      watchBusy = false;
    }
  }, pollMs);
  let notesPrinted = 0;
  const printNotes = () => {
    for (const n of monitor.notes.slice(notesPrinted)) print(`NOTE ${n.kind} seed=${o.seed} step=${n.step}: ${n.message} (${n.evidence.join('; ')})`);
    notesPrinted = monitor.notes.length;
  };
  const stop = () => (o.stopOnViolation ?? true) && monitor.violations.length > 0;
  try {
    const deployed = await waitFor(async () => (await deployStatus(env)) === 'COMPLETE', 120_000);
    print(`seed ${o.seed}: cluster up (${envOpts.agents} agents, speed ${speed}, scheduler ${envOpts.scheduler}); deploy ${deployed ? 'complete' : 'NOT complete'} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const features = detectFeatures(env, o.nats.restartable);
    print(`features: ${Object.entries(features).map(([k, v]) => `${k}=${v ? 'y' : 'n'}`).join(' ')}`);
    const hosts = env.mesos.agents().map((a) => a.hostname).sort();
    const plan: StepPlan[] = o.plan ?? generatePlan({
      seed: o.seed,
      steps: o.steps,
      hosts,
      podType: 'node',
      initialCount: 3,
      minCount: o.minCount ?? 2,
      maxCount: o.maxCount ?? 5,
      maxDown: o.maxDown ?? 2,
      maxFaultSteps: o.maxFaultSteps ?? 5,
      minDwellMs: o.minDwellMs ?? 300,
      maxDwellMs: o.maxDwellMs ?? 2500,
      probationMs,
      features,
      ...(o.weights ? { weights: o.weights } : {}),
      ...(o.comboRate !== undefined ? { comboRate: o.comboRate } : {}),
    });
    for (const s of plan) {
      if (stop()) break;
      ctx.step = monitor.step = s.step;
      const t0 = Date.now();
      const callsBefore = env.proxy.callCounts();
      const done: string[] = [];
      for (const a of s.actions) {
        try {
          done.push(await runAction(a, ctx));
        } catch (err) {
          done.push(`${describeAction(a)}: FAILED ${(err as Error).message}`);
        }
      }
      await sleepWatching(s.dwellMs, stop);
      endBurst(ctx);
      report(monitor.checkCallRates(callsBefore, env.proxy.callCounts(), Date.now() - t0, o.maxCallsPerSecond ?? 100));
      let truth: Truth | undefined;
      try {
        truth = await outsideTruth(env.service, env.operator, env.portworx);
        report(monitor.observe(truth));
      } catch (err) {
        done.push(`(ground truth unavailable: ${(err as Error).message})`);
      }
      stepsRun = s.step;
      printNotes();
      print(stepLine(s.step, started, t0, done, truth, monitor, env, wanted));
    }
    // Heal everything, stop wire faults, let the scheduler settle, then check the end state.
    ctx.step = monitor.step = stepsRun + 1;
    endBurst(ctx);
    env.proxy.setRates({ duplicateUpdate: 0, delayUpdate: 0, cutStream: 0, lostReply: 0, lostRequest: 0 });
    for (const h of hosts) healHost(h, ctx);
    if (!env.scheduler.running) await startScheduler(env, 5);
    if (!stop()) {
      const settleMs = o.settleMs ?? 60_000;
      let last: string[] = [];
      converged = await waitFor(async () => {
        const outside = await outsideTruth(env.service, env.operator, env.portworx);
        last = checkConverged(outside, simulatorTruth(env.service, env.mesos, env.px), wanted.candidates, (t) => monitor.isLive(t));
        return last.length === 0;
      }, settleMs);
      print(`settle: ${converged ? 'converged' : 'NOT converged'} after ${((Date.now() - started) / 1000).toFixed(1)} s (wanted ${wanted.candidates.join(' or ')} pods)`);
      if (!converged) {
        // The scheduler's own account of the stuck pods, for the report.
        const stuck = [...new Set(last.map((l) => /\] (\S+-\d+):/.exec(l)?.[1]).filter((p): p is string => !!p))].slice(0, 3);
        for (const pod of stuck) {
          for (const verb of ['pod.info', 'debug.offers']) {
            const r = await env.command(verb, { pod }, 3000);
            last.push(`${verb} ${pod}: ${JSON.stringify(r.ok ? r.reply : r.error).slice(0, 1500)}`);
          }
        }
        const nodes = await env.portworx.enumerateNodes().catch(() => []);
        last.push(`portworx nodes: ${nodes.map((n) => `${n.scheduler_node_name || n.hostname}=${n.status ?? '?'}`).join(' ')}`);
        last.push(`mesos agents: ${env.mesos.agents().map((a) => `${a.hostname}=${a.state}`).join(' ')}`);
        const v: Violation = { kind: 'not-converged', step: ctx.step, at: Date.now(), message: `after every fault healed and ${settleMs} ms, the service is not as wanted`, evidence: last };
        monitor.violations.push(v);
        report([v]);
      }
    }
  } finally {
    clearInterval(watch);
    await env.stop();
  }
  const wallMs = Date.now() - started;
  return {
    seed: o.seed,
    steps: o.steps,
    stepsRun,
    violations: monitor.violations,
    notes: monitor.notes,
    faults: faults.describe(10_000),
    wire: env.proxy.counts(),
    calls: env.proxy.callCounts(),
    converged,
    wallMs,
    workDir: o.workDir,
  };
}

async function deployStatus(env: ChaosEnvironment): Promise<string | undefined> {
  const r = await env.command('plan.status', { plan: 'deploy' }, 2000);
  return r.ok ? (r.reply as { status?: string }).status : undefined;
}

async function waitFor(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (await cond()) return true;
    } catch {
      // Not yet answerable (NATS or the scheduler restarting).
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function sleepWatching(ms: number, stop: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end && !stop()) await new Promise((r) => setTimeout(r, Math.min(50, end - Date.now())));
}

function stepLine(step: number, started: number, t0: number, done: string[], truth: Truth | undefined, monitor: InvariantMonitor, env: ChaosEnvironment, wanted: WantedCount): string {
  const live = truth ? truth.tasks.filter((t) => monitor.isLive(t)) : [];
  const running = live.filter((t) => t.state === 'TASK_RUNNING').length;
  const pods = new Set(live.map((t) => t.pod)).size;
  const attached = truth ? truth.volumes.filter((v) => v.attachedOn.length > 0).length : 0;
  const w = env.proxy.counts();
  const nonTerminal = truth ? truth.tasks.filter((t) => !isTerminalState(t.state)).length : 0;
  const head = `#${String(step).padStart(3)} +${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s (${String(Date.now() - t0).padStart(5)}ms)`;
  const facts = `live ${live.length}/${nonTerminal} run ${running} pods ${pods}/${wanted.candidates.join('|')} att ${attached}`;
  const wire = `wire d${w.duplicate} r${w.delay} c${w['cut-stream']} l${w['lost-reply']}`;
  return `${head} ${done.join('; ').padEnd(44)} | ${facts} | ${wire} | ${monitor.violations.length ? `VIOLATIONS ${monitor.violations.length}` : 'ok'}`;
}
