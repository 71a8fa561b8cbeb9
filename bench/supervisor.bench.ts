/**
 * The framework supervisor (issue 12, "plan counters are kept up to date, not rescanned"): POD_STATE
 * events per second through the framework actor at 100, 1,000 and 10,000 pods (`BENCH_SUPERVISOR_PODS`).
 * One pod type, one phase (the largest step list a plan can have). Scenarios:
 * - `running`: every deploy step complete, each event a health flip (`running.up` ready <->
 *   `running.unready`), the steady state of a running service;
 * - `deploying_parallel` / `deploying_serial`: a fresh deploy, each pod reporting
 *   `volume-provisioned` (offers wanted), `placed`, then `running.up` ready (its step completes);
 * - `..._with_record_save`: the same with the supervisor's record saved on every snapshot as the
 *   runtime does (toSavedState -> FrameworkLayout.save into a sink that drops the writes), to show
 *   what the layout's diff costs beside the actor.
 * Events are sent in slices of 50 with a turn of the event loop between (as the router would), so
 * `max_stall_ms` is the longest slice. Every scenario runs once at 100 pods first, unreported (JIT warm-up). Each scenario stops after BENCH_SUPERVISOR_SECONDS (default
 * 3) or its events, whichever comes first. Rates per wall second and per CPU second (on a shared
 * machine wall time includes other processes' turns). Prints `{"supervisor": {...}}` as its last line.
 *
 *   node --expose-gc --import tsx bench/supervisor.bench.ts
 *   BENCH_SUPERVISOR_SCENARIOS=running,deploying_serial BENCH_SUPERVISOR_PODS=1000 ...   (a subset)
 */
import { createActor, fromCallback, fromPromise, waitFor, type EventObject } from 'xstate';
import { frameworkMachine } from '../machines/framework.machine';
import { toSavedState } from '../machines/framework.logic';
import type { FrameworkEvent, FrameworkInput, SavedFrameworkState } from '../machines/framework.types';
import { buildPlan, emptyDecommissionPlan, markSteps, type Strategy, type StepRef } from '../machines/plan';
import { FrameworkLayout } from '../src/state/framework-layout';
import { withStallMonitor } from './lib/limits';

const SIZES = (process.env.BENCH_SUPERVISOR_PODS ?? '100,1000,10000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SUPERVISOR_SECONDS ?? 3);
const RUNNING_EVENTS = Number(process.env.BENCH_SUPERVISOR_EVENTS ?? 20_000);
const SLICE = 50;
const ONLY = process.env.BENCH_SUPERVISOR_SCENARIOS?.split(',').map((n) => n.trim());

type Scenario = 'running' | 'deploying_parallel' | 'deploying_serial';

function inputOf(count: number, strategy: Strategy): FrameworkInput {
  const podInstances: StepRef[] = Array.from({ length: count }, (_, index) => ({ podType: 'node', index }));
  return { service: 'bench', podInstances, plans: { deploy: { strategy: 'serial', phases: [{ name: 'node', podType: 'node', strategy }] } } };
}

/** What the store hands back for a running service: every pod deployed. */
function deployedState(input: FrameworkInput): SavedFrameworkState {
  const deploy = markSteps(buildPlan('deploy', input.plans.deploy, input.podInstances), input.podInstances, 'COMPLETE');
  return { frameworkId: 'fw-bench', pods: input.podInstances, deploy, decommission: emptyDecommissionPlan(), uninstall: null, lastSnapshot: null };
}

async function activeSupervisor(input: FrameworkInput, saved: SavedFrameworkState | null, recordSave: boolean) {
  const machine = frameworkMachine.provide({
    actors: {
      restoreState: fromPromise(async () => ({ saved, tasks: [] })),
      acquireLease: fromPromise(async () => ({ acquired: true, holder: 'bench' })),
      reconcile: fromPromise(async () => undefined),
      runUninstallPlan: fromCallback<EventObject>(() => undefined),
    } as never,
  });
  const actor = createActor(machine, { input });
  if (recordSave) {
    const layout = new FrameworkLayout({ write: () => undefined, delete: async () => undefined, flushed: async () => undefined });
    actor.subscribe((snap) => {
      if (snap.hasTag('active')) layout.save(toSavedState(snap.context));
    });
  }
  actor.start();
  await waitFor(actor, (s) => s.value === 'subscribing');
  actor.send({ type: 'SUBSCRIBED', frameworkId: 'fw-bench' });
  await waitFor(actor, (s) => s.hasTag('active'), { timeout: 120_000 });
  return actor;
}

const turn = () => new Promise<void>((r) => setImmediate(r));

/** Send events in slices until they run out or the time is up: events per second. */
async function drive(send: (e: FrameworkEvent) => void, events: Iterable<FrameworkEvent>): Promise<{ sent: number; seconds: number; cpuSeconds: number }> {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const deadline = started + BigInt(Math.round(SECONDS * 1e9));
  let sent = 0;
  for (const e of events) {
    send(e);
    if (++sent % SLICE === 0) {
      await turn();
      if (process.hrtime.bigint() > deadline) break;
    }
  }
  const used = process.cpuUsage(cpu);
  return { sent, seconds: Number(process.hrtime.bigint() - started) / 1e9, cpuSeconds: (used.user + used.system) / 1e6 };
}

function* healthFlips(count: number): Generator<FrameworkEvent> {
  for (let i = 0; i < RUNNING_EVENTS; i++) {
    const up = Math.floor(i / count) % 2 === 1;
    yield { type: 'POD_STATE', podType: 'node', index: i % count, state: up ? 'running.up' : 'running.unready', ready: up };
  }
}

function* deployReports(count: number): Generator<FrameworkEvent> {
  for (let index = 0; index < count; index++) {
    yield { type: 'POD_STATE', podType: 'node', index, state: 'volume-provisioned' };
    yield { type: 'POD_STATE', podType: 'node', index, state: 'placed' };
    yield { type: 'POD_STATE', podType: 'node', index, state: 'running.up', ready: true };
  }
}

async function measure(scenario: Scenario, count: number, recordSave: boolean): Promise<{ perS: number; perCpuS: number; maxStallMs: number; sent: number }> {
  const running = scenario === 'running';
  const input = inputOf(count, scenario === 'deploying_serial' ? 'serial' : 'parallel');
  const actor = await activeSupervisor(input, running ? deployedState(input) : null, recordSave);
  if (running) {
    // Every pod has reported once (untimed): the supervisor knows them all.
    for (let i = 0; i < count; i++) {
      actor.send({ type: 'POD_STATE', podType: 'node', index: i, state: 'running.up', ready: true });
      if (i % SLICE === 0) await turn();
    }
  }
  globalThis.gc?.();
  const { value, maxStallMs } = await withStallMonitor(() => drive((e) => actor.send(e), running ? healthFlips(count) : deployReports(count)));
  actor.stop();
  return { perS: Math.round(value.sent / value.seconds), perCpuS: Math.round(value.sent / value.cpuSeconds), maxStallMs, sent: value.sent };
}

async function main(): Promise<void> {
  const rates: Record<string, Record<string, number>> = {};
  const perCpu: Record<string, Record<string, number>> = {};
  let maxStallMs = 0;
  const variants = (
    [
      ['running', false],
      ['deploying_parallel', false],
      ['deploying_serial', false],
      ['running', true],
      ['deploying_parallel', true],
    ] as [Scenario, boolean][]
  ).filter(([scenario, recordSave]) => !ONLY || ONLY.includes(recordSave ? `${scenario}_with_record_save` : scenario));
  // Warm-up (JIT), not reported.
  for (const [scenario, recordSave] of variants) await measure(scenario, 100, recordSave);
  for (const [scenario, recordSave] of variants) {
    const name = recordSave ? `${scenario}_with_record_save` : scenario;
    rates[name] = {};
    perCpu[name] = {};
    for (const count of SIZES) {
      const r = await measure(scenario, count, recordSave);
      rates[name]![String(count)] = r.perS;
      perCpu[name]![String(count)] = r.perCpuS;
      maxStallMs = Math.max(maxStallMs, r.maxStallMs);
      process.stderr.write(`supervisor ${name} at ${count} pods: ${r.perS} POD_STATE/s, ${r.perCpuS} per CPU s (${r.sent} events), longest stall ${r.maxStallMs} ms\n`);
    }
  }
  process.stdout.write(`${JSON.stringify({ supervisor: { pod_state_per_s: rates, pod_state_per_cpu_s: perCpu, max_stall_ms: maxStallMs } })}\n`);
  process.exit(0);
}

await main();
