/**
 * Recovery on the real fault model (issue 9, point 6). The sandbox at speed 1 runs the shipped
 * Cassandra spec unchanged (3 nodes, one volume each with 2 replicas, auto_replace and probation
 * as shipped). Over N host crashes (default 20), one sandbox:
 *   crash the host of a pod (a different pod each time) at t=0: Mesos says nothing until its ping
 *   timeouts (15 s x 5 = 75 s), Portworx reports the node offline at t=3 s;
 *   measure t -> ACCEPT of the pod's new task (from the recorded scheduler calls) and t -> that
 *   task TASK_RUNNING on another host (the simulator's ground truth, polled every 10 ms);
 *   restart the crashed host with a new agent id and wait until it, its Portworx node and every
 *   pod are healthy again; repeat.
 * Prints one JSON object: p50/p99 (nearest rank) of both, next to the Mesos-only path and the
 * Kubernetes and Stork references (docs: /work/shared/DESIGN.md "Reference figures").
 *
 *   node --import tsx bench/recovery.bench.ts [--crashes N] [--quick] [--timeout S]
 *
 * --quick: 3 crashes, for development (figures are marked "quick"). --speed S runs the simulators
 * and timeouts S times faster (development only: wall-clock figures, not comparable). --fault
 * remove replaces the crash with the operator removing the agent (development only).
 * No process outlives a run: the bench's nats-server is killed on every exit path.
 */
import { join } from 'node:path';
import type { Sandbox } from '../src/sandbox/sandbox';
import type { SimTaskSummary } from '../src/sim/mesos';
import {
  JsonlTail,
  WaitTimeoutError,
  installExitHandlers,
  launchedTaskIds,
  log,
  startPrivateNats,
  summary,
  tempDir,
  until,
  type RecordedMesos,
} from './recovery-harness';

/** Mesos marks a silent agent unreachable after --agent_ping_timeout x --max_agent_ping_timeouts. */
const MESOS_ONLY_S = 15 * 5;
/** Kubernetes: 50 s node-monitor grace + 300 s not-ready toleration. */
const KUBERNETES_S = 350;
/** Stork: health check every 120 s, eviction after up to ~4.5 min. */
const STORK_S = 270;
const GOAL_S = 15;

interface Args {
  crashes: number;
  quick: boolean;
  speed: number;
  timeoutS: number;
  /** 'crash' (the real fault model) or 'remove' (development only: the operator removes the agent). */
  fault: 'crash' | 'remove';
}

function parseArgs(argv: string[]): Args {
  const out: Args = { crashes: 20, quick: false, speed: 1, timeoutS: 120, fault: 'crash' };
  let crashesGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return v;
    };
    if (a === '--crashes') {
      out.crashes = Math.floor(value());
      crashesGiven = true;
    } else if (a === '--quick') out.quick = true;
    else if (a === '--speed') out.speed = value();
    else if (a === '--timeout') out.timeoutS = value();
    else if (a === '--fault') {
      const f = argv[++i];
      if (f !== 'crash' && f !== 'remove') throw new Error('--fault is crash or remove');
      out.fault = f;
    } else throw new Error(`unknown flag ${a} (flags: --crashes N, --quick, --speed S, --timeout S, --fault crash|remove)`);
  }
  if (out.quick && !crashesGiven) out.crashes = 3;
  return out;
}

/** What the Mesos simulator must offer for this fault model (engineer A's crashAgent/restartAgent). */
interface HostFaults {
  crashAgent(agent: string): unknown;
  restartAgent(agent: string, opts?: { newId?: boolean }): unknown;
}

function hostFaults(sb: Sandbox, fault: Args['fault']): HostFaults {
  if (fault === 'remove') {
    // Development fallback: what `sim agent kill` does (the operator removes the agent), healed as a new agent.
    return { crashAgent: (a) => sb.mesos.killAgent(a), restartAgent: (a) => sb.mesos.healAgent(a) };
  }
  const m = sb.mesos as unknown as Partial<HostFaults>;
  if (typeof m.crashAgent !== 'function' || typeof m.restartAgent !== 'function') {
    throw new Error('the Mesos simulator has no crashAgent/restartAgent: this bench needs the real host-crash fault model');
  }
  return m as HostFaults;
}

interface CrashSample {
  pod: string;
  from: string;
  to: string | null;
  /** When Portworx reported the node offline (the simulator's status, polled with the rest). */
  crash_to_storage_offline_ms: number | null;
  crash_to_accept_ms: number | null;
  crash_to_running_ms: number | null;
  same_volume: boolean | null;
  /** The new host held a replica of the pod's volume before the crash (no data had to move first). */
  to_prior_holder: boolean | null;
  error?: string;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // stdout carries the one JSON object: the product's logs go to stderr, quiet unless asked.
  const { default: pino } = await import('pino');
  const { setRootLogger } = await import('../src/log/logger');
  setRootLogger(pino({ level: process.env.PXFW_LOG_LEVEL ?? 'silent', base: { app: 'pxfw' } }, pino.destination(2)));
  const { Sandbox } = await import('../src/sandbox/sandbox');
  const { parseTaskId } = await import('../src/service-spec');
  const ms = (s: number) => (s * 1000) / args.speed;
  const nats = await startPrivateNats();
  const recordDir = tempDir('pxfw-bench-record-');
  const t0 = Date.now();
  let sb: Sandbox | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= (sb?.stop() ?? Promise.resolve()).catch((err: unknown) => log(`sandbox stop failed: ${String(err)}`)));
  installExitHandlers(stop);
  try {
    sb = await Sandbox.start({ framework: 'cassandra', speed: args.speed, nats: nats.url, record: recordDir });
    const faults = hostFaults(sb, args.fault);
    const sim = sb.mesos;
    const rt = sb.scheduler.runtime;
    const service = rt.service;
    await sb.scheduler.waitDeployed(ms(300));
    const deploySeconds = (Date.now() - t0) / 1000;
    log(`deployed ${service} in ${deploySeconds.toFixed(1)} s; ${args.crashes} crashes follow`);
    const calls = new JsonlTail<RecordedMesos>(join(recordDir, 'mesos.jsonl'));
    const accepts: { at: number; taskIds: string[] }[] = [];
    const readAccepts = () => {
      for (const r of calls.read()) if (r.dir === 'call' && r.body.type === 'ACCEPT') accepts.push({ at: Date.parse(r.ts), taskIds: launchedTaskIds(r.body) });
    };
    const podOf = (t: SimTaskSummary) => {
      const id = parseTaskId(t.taskId);
      return id?.service === service ? `${id.podType}-${id.index}` : undefined;
    };
    const podNames = rt.registry.all().map((e) => e.name).sort();
    const steady = (): boolean =>
      rt.registry.all().every((e) => {
        const task = rt.registry.context(e).task;
        if (!e.state.startsWith('running') || !task) return false;
        const agent = rt.cluster.agentByHost(task.hostname);
        return sim.tasks().some((t) => t.taskId === task.taskId && t.state === 'TASK_RUNNING') && !!agent && !agent.gone && !agent.unreachable;
      });
    const hostHealthy = (host: string): boolean => {
      const agentUp = sim.agents().some((a) => a.hostname === host && a.state === 'registered');
      const node = sb!.portworx.nodes().find((n) => n.hostname === host) as { status?: string; hostDown?: boolean } | undefined;
      const storageUp = !!node && node.status === 'STATUS_OK' && node.hostDown !== true;
      // The scheduler's own view of the node must be back too: it is the next crash's failover target.
      return agentUp && storageUp && rt.cluster.storageNode(host)?.health === 'up';
    };

    const samples: CrashSample[] = [];
    for (let i = 0; i < args.crashes; i++) {
      const pod = podNames[i % podNames.length]!;
      const entry = rt.registry.get(pod)!;
      const ctx = rt.registry.context(entry);
      const host = ctx.task!.hostname;
      const volumesBefore = ctx.volumes.map((v) => v.id).join(',');
      const holdersBefore = new Set(ctx.volumes.flatMap((v) => rt.volumes.replicaHosts(v.name) ?? []));
      const known = new Set(sim.tasks().map((t) => t.taskId));
      readAccepts();
      const crashAt = Date.now();
      faults.crashAgent(host);
      const sample: CrashSample = { pod, from: host, to: null, crash_to_storage_offline_ms: null, crash_to_accept_ms: null, crash_to_running_ms: null, same_volume: null, to_prior_holder: null };
      const storageOffline = () => {
        const node = sb!.portworx.nodes().find((n) => n.hostname === host) as { status?: string } | undefined;
        if (sample.crash_to_storage_offline_ms === null && node?.status === 'STATUS_OFFLINE') sample.crash_to_storage_offline_ms = Date.now() - crashAt;
      };
      try {
        let moved: SimTaskSummary | undefined;
        const find = () => {
          storageOffline();
          moved = sim.tasks().find((t) => !known.has(t.taskId) && podOf(t) === pod && t.hostname !== host && t.state === 'TASK_RUNNING');
          return moved;
        };
        const runningAt = await until(`${pod} runs on another host`, () => !!find(), ms(args.timeoutS));
        sample.crash_to_running_ms = runningAt - crashAt;
        sample.to = moved!.hostname;
        sample.to_prior_holder = holdersBefore.has(moved!.hostname);
        readAccepts();
        const accept = accepts.find((a) => a.at >= crashAt && a.taskIds.includes(moved!.taskId));
        sample.crash_to_accept_ms = accept ? accept.at - crashAt : null;
        const after = rt.registry.context(rt.registry.get(pod)!).volumes.map((v) => v.id).join(',');
        sample.same_volume = after === volumesBefore;
      } catch (err) {
        sample.error = err instanceof Error ? err.message : String(err);
      }
      samples.push(sample);
      log(
        `crash ${i + 1}/${args.crashes}: ${pod} on ${host} -> ${sample.to ?? '?'}${sample.to_prior_holder === false ? ' (not a prior holder)' : ''}: storage offline ${fmt(sample.crash_to_storage_offline_ms)}, ` +
          `ACCEPT ${fmt(sample.crash_to_accept_ms)}, running ${fmt(sample.crash_to_running_ms)}${sample.error ? ` (${sample.error})` : ''}`,
      );
      // Bring the host back (a crashed host reboots with a new agent id) and let everything settle.
      faults.restartAgent(host, { newId: true });
      try {
        await until(`${host} and every pod are healthy again`, () => hostHealthy(host) && steady(), ms(args.timeoutS), 50);
      } catch (err) {
        if (!(err instanceof WaitTimeoutError)) throw err;
        log(`not healthy again after ${args.timeoutS} s: ${err.message}; stopping early`);
        break;
      }
      // One offer interval, so the scheduler sees the rebooted agent's offers before the next crash.
      await new Promise((r) => setTimeout(r, ms(1)));
    }

    const accept = summary(samples.map((s) => s.crash_to_accept_ms));
    const running = summary(samples.map((s) => s.crash_to_running_ms));
    const figures = {
      recovery: {
        fault_model:
          args.fault === 'crash'
            ? 'host crash: Mesos silent until unreachable at 15 s x 5 = 75 s; Portworx node offline at 3 s'
            : 'agent removed by the operator (development fallback, not the real fault model)',
        spec: 'deploy/frameworks/cassandra.yml (unchanged)',
        speed: args.speed,
        ...(args.quick ? { quick: true } : {}),
        crashes: samples.length,
        ...(samples.length < args.crashes ? { crashes_requested: args.crashes } : {}),
        deploy_cassandra_s: Number(deploySeconds.toFixed(2)),
        crash_to_storage_offline_ms: summary(samples.map((s) => s.crash_to_storage_offline_ms)),
        crash_to_accept_ms: accept,
        crash_to_running_elsewhere_ms: running,
        moved_with_same_volume: samples.filter((s) => s.same_volume === true).length,
        moved_to_prior_replica_holder: samples.filter((s) => s.to_prior_holder === true).length,
        references_s: { mesos_only_unreachable: MESOS_ONLY_S, kubernetes_eviction: KUBERNETES_S, stork_eviction_up_to: STORK_S },
        goal: { running_elsewhere_p99_under_s: GOAL_S, met: running.p99_ms !== null && running.p99_ms < GOAL_S * 1000 },
        samples,
      },
    };
    await stop();
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    await stop();
  }
}

function fmt(msValue: number | null): string {
  return msValue === null ? 'n/a' : `${(msValue / 1000).toFixed(2)} s`;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`recovery bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
