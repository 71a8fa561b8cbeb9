/**
 * The state layer (issue 12): status updates per second end to end at 100, 1,000 and 10,000
 * running pods (Mesos UPDATE -> router -> pod actor -> persist queue -> NATS KV -> ACKNOWLEDGE
 * through MesosHttp to a local keep-alive sink in a child process), next to the raw pipelined KV put and raw HTTP
 * POST limits measured in the same run; RSS at 10,000 running pods; a restore of 10,000 pods from
 * KV (one pass); the framework record's size at 10 and 10,000 pods (layout 2, and what layout 1
 * was); the longest event-loop stall. Real pod actors and registry on a temporary bucket of the
 * shared NATS (created here, deleted after). The supervisor is left out of the update path here
 * (its record no longer grows with the pods: see framework_record_bytes).
 *
 *   node --import tsx bench/state.bench.ts      (BENCH_STATE_PODS=100,1000,10000, BENCH_UPDATES=5000)
 *
 * Each update flips its pod's health, so each costs a KV write (kv_writes counts them);
 * cpu_us_per_update is this process's CPU per update (on a shared machine, compare this, not
 * the rate); max_stall_cpu_ms is the longest stall counted in CPU time (see bench/lib/limits.ts).
 * BENCH_LOG=warn shows the scheduler's logs; BENCH_STATE_WINDOW=1 prints the measured update
 * window (hrtime, us) to stderr, to cut a --cpu-prof profile to it.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { waitForPod } from '../src/controller/pod-cell';
import { fromPromise } from 'xstate';
import { POD_TAGS } from '../machines/pod-instance.logic';
import { podInstanceMachine } from '../machines/pod-instance.machine';
import type { CheckVolumesInput, CheckVolumesOutput, EnsureVolumesInput, EnsureVolumesOutput, KillTaskInput, KillTaskOutput } from '../machines/pod-instance.types';
import { buildPlan, emptyDecommissionPlan, type StepRef } from '../machines/plan';
import { ClusterState } from '../src/controller/cluster-view';
import { routeSchedulerEvent, type RouterDeps } from '../src/controller/mesos-router';
import { PodRegistry, type PodEntry } from '../src/controller/pod-registry';
import { StrayKiller } from '../src/controller/stray-killer';
import { TaskTracker } from '../src/controller/task-tracker';
import { MesosHttp, type SchedulerEvent, type TaskStatus } from '../src/mesos';
import { createMetrics } from '../src/observe/metrics';
import { TransitionLog } from '../src/observe/transition-log';
import { parseSpec } from '../src/service-spec';
import { FRAMEWORK_RECORD_KEY, FrameworkLayout } from '../src/state/framework-layout';
import { ServiceStateStore } from '../src/state/state-store';
import { connectNats } from '../src/nats/connect';
import { rawKvPutRate, rawPostRate, SHARED_NATS_URL, startSink, withStallMonitor } from './lib/limits';

const SIZES = (process.env.BENCH_STATE_PODS ?? '100,1000,10000').split(',').map(Number);
const UPDATES = Number(process.env.BENCH_UPDATES ?? 5_000);
const IN_FLIGHT = 256;
const logger = pino({ level: process.env.BENCH_LOG ?? 'silent' });

const machine = podInstanceMachine.provide({
  actors: {
    ensureVolumes: fromPromise<EnsureVolumesOutput, EnsureVolumesInput>(async ({ input }) => ({ volumes: input.volumes.map((v) => ({ name: v.name, id: `vol-${v.name}` })) })),
    killTask: fromPromise<KillTaskOutput, KillTaskInput>(async () => ({ terminal: true })),
    checkVolumes: fromPromise<CheckVolumesOutput, CheckVolumesInput>(async () => ({ replicaHosts: [] })),
  },
});

function spec(count: number, service: string) {
  return parseSpec(`name: ${service}\npods:\n  node:\n    count: ${count}\n    cpus: 0.1\n    mem: 64\n    command: sleep 1000\n    volumes:\n      - name: data\n        path: /data\n        size: 1\n        repl: 1\n`);
}

function registryOn(store: ServiceStateStore, count: number, service: string): PodRegistry {
  const s = spec(count, service);
  return new PodRegistry({ spec: () => s, machine, store, logger, transitions: new TransitionLog(service, logger), metrics: createMetrics(service), onPodState: () => undefined });
}

const taskIdOf = (service: string, i: number) => `${service}__node-${i}__1-bench`;

/** `count` pods placed and running, every record in KV. */
async function runningPods(registry: PodRegistry, service: string, count: number): Promise<PodEntry[]> {
  const pods: PodEntry[] = [];
  for (let i = 0; i < count; i++) {
    const pod = registry.ensure('node', i);
    await waitForPod(pod.actor, (snap) => snap.hasTag(POD_TAGS.awaitingOffer), { timeout: 60_000 });
    const taskId = taskIdOf(service, i);
    registry.send(pod, { type: 'PLACE', taskId, agentId: `a${i % 2000}`, hostname: `h${i % 2000}`, offerId: `o${i}` });
    registry.send(pod, { type: 'TASK_UPDATE', taskId, state: 'TASK_RUNNING', agentId: `a${i % 2000}` });
    pods.push(pod);
    if (i % 500 === 499) await registry.flushAll();
  }
  await registry.flushAll();
  return pods;
}

/** A store whose puts are counted (each status update of the bench must cost one KV write). */
function countingPuts(store: ServiceStateStore): { puts: () => number } {
  let puts = 0;
  const put = store.put.bind(store);
  store.put = (key, value, expected) => ((puts += 1), put(key, value, expected));
  return { puts: () => puts };
}

interface UpdateFigures {
  perS: number;
  /** Process CPU (user + system, this process: router, pods, persist queue, NATS and HTTP clients, the sink) per update. */
  cpuUsPerUpdate: number;
  kvWrites: number;
}

/** Updates each pod has had (so a pod's health keeps flipping across runs on one registry). */
const visitsOf = new WeakMap<PodRegistry, Uint32Array>();

/** No ACK for this long means an update was lost (a dropped write, a failed ACK): fail, do not hang. */
const STUCK_MS = 30_000;

/**
 * UPDATES status updates, IN_FLIGHT unacknowledged at most. Each one flips its pod's health
 * (per pod: true, false, true, ...), so each changes the pod's record and costs a KV write
 * (counted: kvWrites). A health value taken from the update number would repeat per pod whenever
 * the pod count is even, and most updates would then write nothing.
 */
async function updateRate(registry: PodRegistry, service: string, count: number, ackUrl: string, puts: () => number, updates = UPDATES): Promise<UpdateFigures> {
  const http = new MesosHttp({ master: ackUrl.replace(/\/api\/v1\/scheduler$/, ''), api: 'scheduler' });
  let acked = 0;
  let wake: (() => void) | undefined;
  const deps: RouterDeps = {
    service,
    scheduler: {
      markSubscribed: () => undefined,
      markDisconnected: () => false,
      acknowledge: async (status: TaskStatus) => {
        await http.call({ type: 'ACKNOWLEDGE', framework_id: { value: 'fw' }, acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } } as { type: string });
        acked += 1;
        wake?.();
        return true;
      },
    },
    supervisor: { send: () => undefined, stateName: () => 'active' },
    cluster: new ClusterState(),
    pods: { all: () => registry.all(), send: (e, ev) => registry.send(e, ev), byTask: (t) => registry.byTask(t), flush: (e) => registry.flush(e), context: (e) => registry.context(e) },
    tasks: new TaskTracker(),
    strays: new StrayKiller({ kill: async () => true, reachable: () => true, minIntervalMs: 30_000 }),
    offers: { handle: () => undefined },
    frameworkRemoved: () => undefined,
    metrics: createMetrics(service),
    logger,
  };
  // One watchdog for the run, not a 30 s timer per awaited ACK: those lived on by the thousand and
  // their cost was counted in cpu_us_per_update as if the scheduler had spent it.
  let stuck = false;
  let lastAcked = -1;
  const watchdog = setInterval(() => {
    if (acked === lastAcked) ((stuck = true), wake?.());
    lastAcked = acked;
  }, STUCK_MS).unref();
  const untilAcked = async (n: number) => {
    while (acked < n) {
      await new Promise<void>((r) => (wake = r));
      if (stuck) throw new Error(`status updates stuck: ${acked} acknowledged, ${n} awaited (see BENCH_LOG=warn)`);
    }
  };
  let visits = visitsOf.get(registry);
  if (!visits) visitsOf.set(registry, (visits = new Uint32Array(count)));
  const writes0 = puts();
  const cpu0 = process.cpuUsage();
  const started = process.hrtime.bigint();
  if (process.env.BENCH_STATE_WINDOW) process.stderr.write(`update window start ${started / 1000n}\n`);
  for (let n = 0; n < updates; n++) {
    await untilAcked(n - IN_FLIGHT + 1);
    const i = (n * 7919) % count;
    const visit = visits[i] ?? 0;
    visits[i] = visit + 1;
    const healthy = visit % 2 === 0;
    const status = { task_id: { value: taskIdOf(service, i) }, agent_id: { value: `a${i % 2000}` }, state: 'TASK_RUNNING', healthy, uuid: `u${n}` };
    routeSchedulerEvent(deps, { type: 'UPDATE', update: { status } } as unknown as SchedulerEvent);
  }
  await untilAcked(updates).finally(() => clearInterval(watchdog));
  const ended = process.hrtime.bigint();
  if (process.env.BENCH_STATE_WINDOW) process.stderr.write(`update window end ${ended / 1000n}\n`);
  const wallS = Number(ended - started) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { perS: Math.round(updates / wallS), cpuUsPerUpdate: Math.round((cpu.user + cpu.system) / updates), kvWrites: puts() - writes0 };
}

/** The framework record at `n` pods: layout 2 (what is written now) and layout 1 (the whole state in one record). */
function frameworkRecordBytes(n: number): { layout2: number; layout1: number } {
  const pods: StepRef[] = Array.from({ length: n }, (_, index) => ({ podType: 'node', index }));
  const saved = { frameworkId: 'fw-0123456789', pods, deploy: buildPlan('deploy', { phases: [{ name: 'nodes', podType: 'node' }] }, pods), decommission: emptyDecommissionPlan(), uninstall: null, lastSnapshot: null };
  let head = 0;
  new FrameworkLayout({
    write: (key, value) => void (key === FRAMEWORK_RECORD_KEY && (head = JSON.stringify(value).length)),
    delete: async () => undefined,
    flushed: async () => undefined,
  }).save(saved);
  return { layout2: head, layout1: JSON.stringify(saved).length };
}

const mb = (n: number) => Math.round(n / 2 ** 20);

/**
 * RSS right after the update burst (a collection first), then the lowest over 15 s at rest with a
 * collection every 2.5 s: V8 keeps the pages a burst's garbage took until its memory reducer runs
 * on an idle process, so the first figure is the burst's high-water mark, the second the pods'.
 */
async function settledRss(): Promise<{ settled: number; rightAfter: number; heapUsed: number }> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  gc();
  const rightAfter = mb(process.memoryUsage().rss);
  let settled = rightAfter;
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 2_500));
    gc();
    settled = Math.min(settled, mb(process.memoryUsage().rss));
  }
  return { settled, rightAfter, heapUsed: mb(process.memoryUsage().heapUsed) };
}

async function main(): Promise<void> {
  // The scheduler's own connection options (src/nats/connect.ts), not the client's defaults.
  const nc = await connectNats({ url: SHARED_NATS_URL });
  // The master's side in a child process: cpu_us_per_update counts the scheduler's work alone.
  const sink = await startSink({ child: true });
  const stores: ServiceStateStore[] = [];
  const out: Record<string, unknown> = {};
  try {
    const limits = { nats_kv_put_per_s: await rawKvPutRate(10_000), http_post_keepalive_per_s: await rawPostRate(sink.url, 10_000, 32) };
    const rates: Record<string, number> = {};
    const cpuUs: Record<string, number> = {};
    const writes: Record<string, number> = {};
    let stall = 0;
    let stallCpu = 0;
    let rss = { settled: 0, rightAfter: 0, heapUsed: 0 };
    let restore: { pods: number; ms: number; max_stall_ms: number; max_stall_cpu_ms: number; kv_writes_after: number } | undefined;
    for (const n of SIZES) {
      const service = `bench-state-${randomUUID().slice(0, 8)}`;
      const store = await ServiceStateStore.open(nc, service);
      stores.push(store);
      const { puts } = countingPuts(store);
      const registry = registryOn(store, n, service);
      await runningPods(registry, service, n);
      // The first size is not measured cold (JIT, connection pools): as many updates first, not counted.
      // (A fifth of them was too few: the first size measured ~40% more CPU per update than the same
      // size run again right after, which read as a cost of few pods.)
      if (n === SIZES[0]) await updateRate(registry, service, n, sink.url, puts);
      const { value, maxStallMs, maxStallCpuMs } = await withStallMonitor(() => updateRate(registry, service, n, sink.url, puts));
      rates[String(n)] = value.perS;
      cpuUs[String(n)] = value.cpuUsPerUpdate;
      writes[String(n)] = value.kvWrites;
      stall = Math.max(stall, maxStallMs);
      stallCpu = Math.max(stallCpu, maxStallCpuMs);
      process.stderr.write(`${n} running pods: ${value.perS} status updates/s, ${value.cpuUsPerUpdate} CPU us each, ${value.kvWrites} KV writes (stall ${maxStallMs} ms, ${maxStallCpuMs} CPU ms)\n`);
      if (n === Math.max(...SIZES)) {
        await registry.flushAll();
        rss = await settledRss();
        registry.stopAll();
        const fresh = registryOn(store, n, service);
        const before = puts();
        const t0 = process.hrtime.bigint();
        const r = await withStallMonitor(() => fresh.restore());
        const ms = Math.round(Number(process.hrtime.bigint() - t0) / 1e6);
        // What the restored pods wrote (RESUMED) lands before they stop and the bucket goes.
        await fresh.flushAll();
        restore = { pods: r.value.length, ms, max_stall_ms: r.maxStallMs, max_stall_cpu_ms: r.maxStallCpuMs, kv_writes_after: puts() - before };
        fresh.stopAll();
      } else {
        await registry.flushAll();
        registry.stopAll();
      }
    }
    const big = Math.max(...SIZES);
    out.state = {
      status_updates_per_s: rates,
      cpu_us_per_update: cpuUs,
      kv_writes: writes,
      updates: UPDATES,
      updates_in_flight: IN_FLIGHT,
      max_stall_ms: stall,
      max_stall_cpu_ms: stallCpu,
      // The pods at rest, once V8 has given back the update burst's garbage (the steady state), and right after the burst.
      [`rss_mb_at_${big}_running_pods`]: rss.settled,
      rss_mb_right_after_updates: rss.rightAfter,
      heap_used_mb_at_rest: rss.heapUsed,
      restore,
      framework_record_bytes: { at_10: frameworkRecordBytes(10), at_10000: frameworkRecordBytes(10_000) },
      limits,
    };
  } finally {
    for (const s of stores) await s.destroy().catch(() => undefined);
    await sink.close();
    await nc.close();
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
