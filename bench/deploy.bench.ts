/**
 * A 10,000-pod deploy on 2,000 agents (issue 12), with the parallel and the serial deploy
 * strategies. Each run is what an operator would start: `pxfw sim mesos --agents 2000` (the
 * agents' pxd isolator attaching through the Portworx simulator), `pxfw sim portworx --mesos …`
 * (one storage node per agent) and `pxfw run` (the scheduler as Marathon runs it: its own
 * process, NATS on the shared server, the leader lease on its own connection), each its own
 * process. The spec: one pod type, one 1 GiB Portworx volume per pod (2 replicas), no placement
 * rule, no readiness check (a pod is ready once TASK_RUNNING).
 *
 * The deploy's progress is read from outside, by a KV watch on the service's bucket (the pods'
 * plan steps, `framework-pods.*`): the scheduler does no work for the bench. Figures per strategy:
 * time from the scheduler serving HTTP to the last step COMPLETE in KV; peak RSS of the scheduler
 * process (getrusage) and its longest event-loop stall (perf_hooks.monitorEventLoopDelay, 1 ms),
 * both read in the scheduler process by bench/deploy-probe.ts (loaded with --import); lease
 * losses, timeouts and retries counted from its log (warn and above) and effect errors from
 * /metrics. The service name is fresh per run; its bucket is deleted after.
 *
 *   node --import tsx bench/deploy.bench.ts
 *   BENCH_DEPLOY_PODS=1000 BENCH_DEPLOY_AGENTS=200 node --import tsx bench/deploy.bench.ts   (quick)
 *
 * BENCH_DEPLOY_STRATEGIES (default parallel,serial); BENCH_DEPLOY_TIMEOUT_S: the time budget of
 * each strategy (default 240 s: both strategies with their start and stop take about 9 minutes,
 * so that `npm run bench` stays sane): a deploy not complete by then is reported with the pods
 * done and `projected_total_s` (linear). On a shared machine read `cpu_s` (and
 * `scheduler_cpu_ms_per_pod`) beside the wall-clock figures. A serial
 * deploy starts each pod once the previous one runs: the next pod's volume goes to a host whose
 * offer the scheduler holds and the pod launches on it (no REVIVE, no round of every agent's
 * offer; docs/architecture.md "Held offers"), so each pod costs its volume's create and its task's
 * start (0.5 s in the simulator), some 0.55 s at real timing: 10,000 pods take about 1.5 h, and
 * the default budget measures the rate. BENCH_DEPLOY_SPEED_SERIAL / BENCH_DEPLOY_SPEED_PARALLEL (default 1: real timing): a factor
 * F divides every interval of the simulators and of the scheduler (`--speed`, PXFW_TIME_SCALE),
 * its lease TTL included. The whole serial deploy (docs/bench.md):
 *   BENCH_DEPLOY_STRATEGIES=serial BENCH_DEPLOY_SPEED_SERIAL=3 BENCH_DEPLOY_TIMEOUT_S=5400 node --import tsx bench/deploy.bench.ts
 * BENCH_DEPLOY_PREFILL=N: first N pods of another pod type deployed in parallel, then the measured
 * phase (BENCH_DEPLOY_PODS with the strategy) beside them: a serial step late in a big service,
 * without the hour it takes to get there (`scheduler_cpu_ms_per_measured_pod`).
 * BENCH_DEPLOY_PROFILE_S=S: a CPU profile of the scheduler's first S seconds of the measured phase,
 * with the event-loop gaps over 50 ms beside it (bench/stall-stacks.ts prints what ran in each).
 * BENCH_DEPLOY_HEAP_PROFILE_S=S: a sampling heap profile of the same seconds, garbage included
 * (bench/alloc-sites.ts prints where the allocations came from). Writing that profile holds the
 * scheduler's loop for a moment: read stalls from a run without it.
 * Every run prints `stall_parts` (each gap over 50 ms split into the scheduler's own CPU and its
 * wait for a core: on 2 shared cores the simulators and NATS take turns with it) and the longest
 * GC pause of each kind. BENCH_DEPLOY_SIM_NICE: the simulators' nice value (default 0).
 * BENCH_DEPLOY_KEEP=1 keeps the work directory (logs, probe.jsonl),
 * BENCH_DEPLOY_CPU_PROF=1 writes a CPU profile of the scheduler there, BENCH_DEPLOY_LOG_LEVEL sets
 * the scheduler's log level (default warn). BENCH_DEPLOY_MEM_MB: the scheduler's memory in MiB
 * (default 512, the package's `service.mem`; 0: uncapped): node gets the heap cap the package's
 * command derives from it, and `mem_limit_mb` stands beside `peak_rss_mb` (a peak above it is an
 * OOM kill on a real cluster).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { ALERT_STREAM } from '../src/alerts/alert';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { bucketExists } from '../src/state/bucket-owner';
import { bucketName, ServiceStateStore } from '../src/state/state-store';
import type { GapFigures, ProbeReport } from './deploy-probe';
import { cpuSecondsOf, freePort, log, schedulerMemMb, simNice, startScheduler, startSim, stopChild, workDir } from './deploy-procs';

const PODS = Number(process.env.BENCH_DEPLOY_PODS ?? 10_000);
const AGENTS = Number(process.env.BENCH_DEPLOY_AGENTS ?? 2_000);
const STRATEGIES = (process.env.BENCH_DEPLOY_STRATEGIES ?? 'parallel,serial').split(',').map((s) => s.trim()) as Strategy[];
const TIMEOUT_S = Number(process.env.BENCH_DEPLOY_TIMEOUT_S ?? 240);
/** Pods of a first pod type deployed in parallel before the measured phase: its steps run beside that many pods. */
const PREFILL = Number(process.env.BENCH_DEPLOY_PREFILL ?? 0);
/** Seconds of CPU profile of the scheduler taken once the measured phase begins (0: none). */
const PROFILE_S = Number(process.env.BENCH_DEPLOY_PROFILE_S ?? 0);
/** Seconds of sampling heap profile (allocations, garbage included) from the same moment (0: none). */
const HEAP_PROFILE_S = Number(process.env.BENCH_DEPLOY_HEAP_PROFILE_S ?? 0);
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const GOAL = 'completes; no lease loss, no timeouts; event-loop stall < 50 ms';

type Strategy = 'serial' | 'parallel';

function speedOf(strategy: Strategy): number {
  const raw = process.env[`BENCH_DEPLOY_SPEED_${strategy.toUpperCase()}`];
  const n = raw === undefined || raw === '' ? 1 : Number(raw);
  if (!(n > 0)) throw new Error(`BENCH_DEPLOY_SPEED_${strategy.toUpperCase()} must be a positive number`);
  return n;
}

function specYaml(service: string, strategy: Strategy): string {
  const pod = (name: string, count: number) => [
    `  ${name}:`,
    `    count: ${count}`,
    '    cpus: 0.5',
    '    mem: 1024',
    '    command: sleep 100000',
    '    volumes:',
    '      - {name: data, path: data, size: 1Gi, repl: 2}',
  ];
  if (PREFILL > 0) {
    return [
      `name: ${service}`,
      'pods:',
      ...pod('fill', PREFILL),
      ...pod('node', PODS),
      'plans:',
      '  deploy:',
      '    strategy: serial',
      '    phases:',
      '      - {name: fill-deploy, pod: fill, strategy: parallel}',
      `      - {name: node-deploy, pod: node, strategy: ${strategy}}`,
      '',
    ].join('\n');
  }
  return [
    `name: ${service}`,
    'pods:',
    '  node:',
    `    count: ${PODS}`,
    '    cpus: 0.5',
    '    mem: 1024',
    '    command: sleep 100000',
    '    volumes:',
    '      - {name: data, path: data, size: 1Gi, repl: 2}',
    'plans:',
    '  deploy:',
    `    strategy: ${strategy}`,
    '    phases:',
    `      - {name: node-deploy, pod: node, strategy: ${strategy}}`,
    '',
  ].join('\n');
}

interface RunFigures {
  strategy: Strategy;
  speed: number;
  completed: boolean;
  pods_complete: number;
  deploy_s: number;
  pods_per_s: number;
  /** Not complete within the time budget: the time the whole deploy would take at the rate seen (linear). */
  projected_total_s?: number;
  /** The scheduler's memory as its Marathon app would have it (BENCH_DEPLOY_MEM_MB, default the package's 512; null: uncapped). */
  mem_limit_mb: number | null;
  peak_rss_mb: number | null;
  /** Heap used after a full GC at the budget's end (what the scheduler retains, garbage aside). */
  heap_after_gc_mb: number | null;
  max_stall_ms: number | null;
  /** The 99th percentile of the event loop's delays over the deploy, and the share of its seconds whose longest delay passed 50 ms. */
  p99_stall_ms: number | null;
  seconds_over_50ms_pct: number | null;
  /** Gaps over 50 ms split into the main thread's own CPU and its wait for a core (bench/deploy-probe.ts GapFigures). */
  stall_parts: GapFigures | null;
  /** The longest GC pause of each kind (ms), and how many there were. */
  gc_max_ms: Record<string, number> | null;
  gc_count: number | null;
  lease_losses: number;
  timeouts: number;
  retries: number;
  effect_errors: number;
  warnings: Record<string, number>;
  cpu_s: { scheduler: number | null; sim_mesos: number | null; sim_portworx: number | null };
  /** Scheduler CPU per pod whose step completed (start-up included): steadier than wall time under load. */
  scheduler_cpu_ms_per_pod: number | null;
  scheduler_exit: number | string;
}

/** Counts the pods whose deploy step is COMPLETE in KV (`framework-pods.<type>.<index>`). */
async function watchSteps(nc: NatsConnection, service: string, onCount: (n: number) => void, stop: AbortSignal): Promise<void> {
  while (!(await bucketExists(nc, service))) {
    if (stop.aborted) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  const kv = await new Kvm(nc).open(bucketName(service));
  const watch = await kv.watch({ key: 'framework-pods.>' });
  stop.addEventListener('abort', () => watch.stop());
  const complete = new Set<string>();
  for await (const e of watch) {
    let done = false;
    if (e.operation === 'PUT' && e.length > 0) {
      const rec = e.json<{ steps?: Record<string, [string, number]> }>();
      done = Object.entries(rec.steps ?? {}).some(([list, [status]]) => list.startsWith('deploy/') && status === 'COMPLETE');
    }
    if (done) complete.add(e.key);
    else complete.delete(e.key);
    onCount(complete.size);
  }
}

async function scrapeEffectErrors(httpPort: number): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('pxfw_effect_errors_total'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  } catch {
    return -1;
  }
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}

/** The two simulators, wired as the sandbox wires them (the agents' isolator attaches through Portworx). */
async function startCluster(dir: string, speed: number) {
  const pxPort = await freePort();
  const pxUrl = `http://127.0.0.1:${pxPort}`;
  const mesos = await startSim('mesos', ['--port', '0', '--agents', String(AGENTS), '--racks', '40', '--portworx', pxUrl, '--speed', String(speed)], join(dir, 'sim-mesos.log'));
  const portworx = await startSim('portworx', ['--port', String(pxPort), '--mesos', mesos.url, '--nats', NATS_URL, '--speed', String(speed)], join(dir, 'sim-portworx.log'));
  return { mesos, portworx };
}

/**
 * The scheduler's durable consumer of Portworx alerts (`pxfw-<service>-<cluster>`, StorageWatch) on
 * the shared NATS: the run's service is fresh, so nobody reads it again (before, each run left one).
 */
async function deleteAlertConsumers(nc: NatsConnection, service: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for await (const c of jsm.consumers.list(ALERT_STREAM)) {
    if (c.name.startsWith(`pxfw-${service}-`)) await jsm.consumers.delete(ALERT_STREAM, c.name);
  }
}

/** What a run leaves to undo if the bench is stopped (a signal from bench/run.ts). */
let undoRun: (() => Promise<void>) | undefined;

async function deployOnce(strategy: Strategy): Promise<RunFigures> {
  const speed = speedOf(strategy);
  const dir = workDir();
  const service = `deploybench-${strategy.slice(0, 3)}-${randomBytes(3).toString('hex')}`;
  const specFile = join(dir, 'spec.yml');
  writeFileSync(specFile, specYaml(service, strategy));
  log(`${strategy}: ${PODS} pods on ${AGENTS} agents, speed ${speed}, budget ${TIMEOUT_S} s, scheduler mem ${schedulerMemMb() ?? 'uncapped'} MiB, service ${service}, logs in ${dir}`);
  const nc = await connect({ servers: NATS_URL, name: 'pxfw-bench-deploy' });
  const { mesos, portworx } = await startCluster(dir, speed);
  const httpPort = await freePort();
  let probe: ProbeReport | undefined;
  const windows = { seen: 0, over50: 0 };
  let complete = 0;
  const stopWatch = new AbortController();
  const watching = watchSteps(nc, service, (n) => (complete = n), stopWatch.signal).catch((err: unknown) => log(`KV watch failed: ${String(err)}`));
  const { proc: sched, counts } = startScheduler(
    ['--spec', specFile, '--mesos', mesos.url, '--portworx', portworx.url, '--portworx-legacy', portworx.url, '--nats', NATS_URL, '--http', String(httpPort)],
    { PXFW_TIME_SCALE: String(speed) },
    join(dir, 'scheduler.log'),
    (r) => {
      probe = r;
      windows.seen += 1;
      if (r.windowMaxStallMs > 50) windows.over50 += 1;
    },
  );
  const teardown = async (): Promise<number | string> => {
    stopWatch.abort();
    await watching;
    const code = await stopChild(sched, 30_000);
    await Promise.all([stopChild(portworx.proc), stopChild(mesos.proc)]);
    await (await ServiceStateStore.open(nc, service)).destroy().catch((err: unknown) => log(`could not delete the bucket of ${service}: ${String(err)}`));
    await deleteAlertConsumers(nc, service).catch((err: unknown) => log(`could not delete the alert consumer of ${service}: ${String(err)}`));
    await nc.close();
    return code;
  };
  undoRun = async () => void (await teardown());
  let exit: number | string = 'running';
  sched.once('exit', (code, sig) => (exit = code ?? sig ?? 'exited'));
  const health = () => fetch(`http://127.0.0.1:${httpPort}/health`).then(() => true, () => false);
  if (!(await until(async () => exit === 'running' && (await health()), 60_000, 50))) {
    await teardown();
    throw new Error(`pxfw run did not serve HTTP within 60 s (exit ${exit}); see ${join(dir, 'scheduler.log')}`);
  }
  sched.send({ type: 'reset' });
  [windows.seen, windows.over50] = [0, 0];
  if (PREFILL > 0) {
    log(`${strategy}: deploying ${PREFILL} prefill pods (parallel) first`);
    await until(() => complete >= PREFILL || exit !== 'running', 900_000, 100);
    log(`${strategy}: prefill ${complete}/${PREFILL} complete; measuring the node phase beside them`);
    sched.send({ type: 'reset' });
    [windows.seen, windows.over50] = [0, 0];
  }
  const cpuAtStart = probe ? probe.cpuUserMs + probe.cpuSystemMs : 0;
  if (PROFILE_S > 0) sched.send({ type: 'profile', ms: PROFILE_S * 1000, file: join(dir, `scheduler-${strategy}.cpuprofile`) });
  if (HEAP_PROFILE_S > 0) sched.send({ type: 'heap-profile', ms: HEAP_PROFILE_S * 1000, file: join(dir, `scheduler-${strategy}.heapprofile`) });
  const measured = (): number => Math.max(0, complete - PREFILL);
  const t0 = Date.now();
  const progress = setInterval(() => {
    log(
      `${strategy}: ${measured()}/${PODS} steps complete after ${((Date.now() - t0) / 1000).toFixed(0)} s; scheduler RSS ${mb(probe?.rssBytes)} MB (peak ${mb(probe?.peakRssBytes)}), ` +
        `longest stall ${probe?.maxStallMs ?? '?'} ms (last second ${probe?.windowMaxStallMs ?? '?'} ms); lease losses ${counts.leaseLosses}; ` +
        `CPU ${probe ? Math.round(probe.cpuUserMs + probe.cpuSystemMs - cpuAtStart) : '?'} ms; gaps ${JSON.stringify(probe?.gaps ?? {})}; GC max ${JSON.stringify(probe?.gcMaxMs ?? {})}`,
    );
  }, 10_000);
  await until(() => measured() >= PODS || exit !== 'running', TIMEOUT_S * 1000, 50);
  const deployMs = Date.now() - t0;
  clearInterval(progress);
  const done = measured() >= PODS;
  log(`${strategy}: ${done ? 'deploy complete' : `NOT complete (${measured()}/${PODS}, scheduler ${exit})`} after ${(deployMs / 1000).toFixed(1)} s`);
  const last = await lastProbe(sched, () => probe);
  const effectErrors = exit === 'running' ? await scrapeEffectErrors(httpPort) : -1;
  const cpu = { scheduler: cpuSecondsOf(sched.pid), sim_mesos: cpuSecondsOf(mesos.proc.pid), sim_portworx: cpuSecondsOf(portworx.proc.pid) };
  const schedulerExit = await teardown();
  undoRun = undefined;
  return {
    strategy,
    speed,
    completed: done,
    pods_complete: measured(),
    ...(PREFILL > 0 ? { prefill_pods: PREFILL, scheduler_cpu_ms_per_measured_pod: last && measured() > 0 ? Math.round((last.cpuUserMs + last.cpuSystemMs - cpuAtStart) / measured()) : null } : {}),
    deploy_s: round(deployMs / 1000, 1),
    pods_per_s: round(measured() / (deployMs / 1000), 1),
    ...(!done && measured() > 0 ? { projected_total_s: Math.round((deployMs / 1000) * (PODS / measured())) } : {}),
    mem_limit_mb: schedulerMemMb(),
    peak_rss_mb: last ? Math.round(last.peakRssBytes / 2 ** 20) : null,
    heap_after_gc_mb: last?.heapAfterGcBytes !== undefined ? Math.round(last.heapAfterGcBytes / 2 ** 20) : null,
    max_stall_ms: last?.maxStallMs ?? null,
    p99_stall_ms: last?.p99StallMs ?? null,
    seconds_over_50ms_pct: windows.seen > 0 ? round((100 * windows.over50) / windows.seen, 1) : null,
    stall_parts: last?.gaps ?? null,
    gc_max_ms: last?.gcMaxMs ?? null,
    gc_count: last?.gcCount ?? null,
    lease_losses: counts.leaseLosses,
    timeouts: counts.timeouts,
    retries: counts.retries,
    effect_errors: effectErrors,
    warnings: Object.fromEntries([...counts.byMessage].sort((a, b) => b[1] - a[1]).slice(0, 10)),
    cpu_s: cpu,
    scheduler_cpu_ms_per_pod: cpu.scheduler !== null && complete > 0 ? Math.round((cpu.scheduler * 1000) / complete) : null,
    scheduler_exit: schedulerExit,
  };
}

/** Ask the probe for a report now (the deploy's end), else keep the last periodic one. */
async function lastProbe(sched: ReturnType<typeof startScheduler>['proc'], current: () => ProbeReport | undefined): Promise<ProbeReport | undefined> {
  const before = current()?.at ?? 0;
  if (sched.connected) sched.send({ type: 'report', gc: true });
  await until(() => (current()?.at ?? 0) > before && current()?.heapAfterGcBytes !== undefined, 5_000, 20);
  return current();
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? '?' : String(Math.round(bytes / 2 ** 20));
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

async function main(): Promise<void> {
  const runs: Partial<Record<Strategy, RunFigures>> = {};
  const load = loadavg().map((l) => round(l, 1));
  for (const strategy of STRATEGIES) {
    if (strategy !== 'serial' && strategy !== 'parallel') throw new Error(`BENCH_DEPLOY_STRATEGIES: '${strategy}' is not serial or parallel`);
    runs[strategy] = await deployOnce(strategy);
  }
  process.stdout.write(`${JSON.stringify({ deploy: { pods: PODS, agents: AGENTS, budget_s_per_strategy: TIMEOUT_S, sim_nice: simNice(), load_average_at_start: load, goal: GOAL, ...runs } })}\n`);
}

// Stopped (bench/run.ts passes its signals on): stop the children and delete the bucket, then exit.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping the scheduler and the simulators`);
    setTimeout(() => process.exit(130), 40_000).unref();
    void (undoRun?.() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`deploy bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
