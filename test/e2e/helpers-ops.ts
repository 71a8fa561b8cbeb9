import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { runServiceCommand } from '../../src/cli/service.command';
import { SchedulerService, type SchedulerServiceOptions } from '../../src/controller/scheduler-service';
import { parseSpec } from '../../src/service-spec';
import { bucketName } from '../../src/state/state-store';
import type { TransitionRecord } from '../../src/record/recorder';
import { SHARED_NATS_URL } from '../helpers/nats-server';

/** What one `pxfw <service> …` invocation printed and its exit status. */
export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/**
 * Run `pxfw <service> ARGS… --nats <shared NATS>` in-process, exactly as the command line
 * would (its own NATS connection, human output unless --json), and capture what it prints.
 */
export async function cli(service: string, ...args: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await runServiceCommand([service, ...args, '--nats', SHARED_NATS_URL], {
    out: { write: (t: string) => (out += t) },
    err: { write: (t: string) => (err += t) },
    pollMs: 50,
  });
  return { code, out, err };
}

/** Run a verb with --json and parse its reply; fails the test with the CLI's stderr otherwise. */
export async function cliJson<T = unknown>(service: string, ...args: string[]): Promise<T> {
  const r = await cli(service, ...args, '--json');
  if (r.code !== 0) throw new Error(`pxfw ${service} ${args.join(' ')} exited ${r.code}: ${r.err.trim()}`);
  return JSON.parse(r.out) as T;
}

/** Every pod or framework transition of the sandbox's scheduler from now on, in order. */
export function captureTransitions(sb: Sandbox): { list: TransitionRecord[]; stop: () => void } {
  const list: TransitionRecord[] = [];
  const stop = sb.scheduler.runtime.transitions.subscribe((t) => list.push(t));
  return { list, stop };
}

/** Index of the first transition of `actor` matching `to` (a prefix of the state path), or -1. */
export function firstTransition(list: readonly TransitionRecord[], actor: string, to: string): number {
  return list.findIndex((t) => t.actor === actor && t.to.startsWith(to));
}

/** One observed change on the simulators, in the order the sampler saw them. */
export type SimChange =
  | { seq: number; kind: 'task'; taskId: string; state: string }
  | { seq: number; kind: 'volume'; id: string; name: string; attachedOn: string[]; exists: boolean };

/**
 * Samples the simulators' ground truth every few milliseconds and keeps every change, so a test
 * can check orderings such as "the task was terminal before its volume was detached". It also
 * checks, at every sample, the invariants named in `violations`: a volume of a task that is still
 * live is never detached or deleted, and no volume is attached on two hosts.
 */
export class SimSampler {
  readonly changes: SimChange[] = [];
  /** Samples in which a live task's volume was detached or missing, or a volume had two attachments. */
  readonly violations: string[] = [];
  private readonly tasks = new Map<string, string>();
  private readonly volumes = new Map<string, string>();
  private seq = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly sb: Sandbox, everyMs = 2) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** Sequence number of the first change matching `pred`, or -1. */
  first(pred: (c: SimChange) => boolean): number {
    return this.changes.find(pred)?.seq ?? -1;
  }

  private sample(): void {
    const tasks = this.sb.mesos.tasks();
    const vols = this.sb.portworx.volumes().filter((v) => !v.parentId);
    for (const t of tasks) {
      if (this.tasks.get(t.taskId) === t.state) continue;
      this.tasks.set(t.taskId, t.state);
      this.changes.push({ seq: ++this.seq, kind: 'task', taskId: t.taskId, state: t.state });
    }
    const seen = new Set<string>();
    for (const v of vols) {
      seen.add(v.id);
      const key = JSON.stringify(v.attachedOn);
      if (this.volumes.get(v.id) === key) continue;
      this.volumes.set(v.id, key);
      this.changes.push({ seq: ++this.seq, kind: 'volume', id: v.id, name: v.name, attachedOn: v.attachedOn, exists: true });
    }
    for (const [id] of this.volumes) {
      if (seen.has(id) || this.volumes.get(id) === 'deleted') continue;
      this.volumes.set(id, 'deleted');
      this.changes.push({ seq: ++this.seq, kind: 'volume', id, name: '', attachedOn: [], exists: false });
    }
    // Never two writers: a volume is attached on one host at most.
    for (const v of vols) if (v.attachedOn.length > 1) this.violations.push(`${v.name} attached on ${v.attachedOn.join(' and ')}`);
    // A task counts as live once its agent reported it running; a volume it mounts must stay put.
    for (const t of tasks.filter((x) => x.state === 'TASK_RUNNING')) {
      for (const tv of t.volumes) {
        const v = vols.find((x) => x.name === tv.name);
        if (!v) this.violations.push(`${tv.name} deleted while ${t.taskId} is running`);
        else if (!v.attachedOn.includes(t.hostname)) this.violations.push(`${tv.name} not attached on ${t.hostname} while ${t.taskId} runs there`);
      }
    }
  }
}

/** Data volumes (not snapshots) whose name belongs to `service`. */
export function serviceVolumes(sb: Sandbox, service: string) {
  return sb.portworx.volumes().filter((v) => !v.parentId && v.name.startsWith(`${service}-`));
}

/** Tasks of the sandbox's framework that are running on their agent. */
export function runningTasks(sb: Sandbox) {
  return sb.mesos.tasks().filter((t) => t.state === 'TASK_RUNNING');
}

/** Does the service's KV bucket exist on the shared NATS server? */
export async function kvBucketExists(service: string): Promise<boolean> {
  const nc = await connect({ servers: SHARED_NATS_URL });
  try {
    const names: string[] = [];
    for await (const st of new Kvm(nc).list()) names.push(st.bucket);
    return names.includes(bucketName(service));
  } finally {
    await nc.close();
  }
}

/** The keys in the service's KV bucket (empty when the bucket is gone). */
export async function kvKeys(service: string): Promise<string[]> {
  if (!(await kvBucketExists(service))) return [];
  const nc = await connect({ servers: SHARED_NATS_URL });
  try {
    const kv = await new Kvm(nc).open(bucketName(service));
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    return keys.sort();
  } finally {
    await nc.close();
  }
}

/**
 * What an operator can see of a service, for "nothing changed" checks: pods with their task
 * and host, plan step statuses, data volumes with their attachments, and snapshots.
 */
export function observableState(sb: Sandbox, service: string) {
  const rt = sb.scheduler.runtime;
  const ctx = rt.frameworkContext;
  return {
    pods: rt.registry
      .all()
      .map((e) => ({ name: e.name, state: e.state, taskId: rt.registry.context(e).task?.taskId ?? null, host: rt.registry.context(e).task?.hostname ?? null }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    plans: [ctx.deploy, ctx.decommission].map((p) => ({ name: p.name, paused: p.paused, steps: p.phases.flatMap((ph) => ph.steps.map((s) => `${s.name}=${s.status}`)) })),
    tasks: sb.mesos
      .tasks()
      .map((t) => `${t.taskId}:${t.state}`)
      .sort(),
    volumes: sb.portworx
      .volumes()
      .filter((v) => v.name.startsWith(`${service}-`) || v.labels['pxfw/service'] === service)
      .map((v) => ({ id: v.id, parentId: v.parentId ?? null, attachedOn: v.attachedOn }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    specCount: Object.fromEntries(Object.values(rt.spec.pods).map((p) => [p.type, p.count])),
  };
}

/** A raw NATS connection to the shared server, for requests the CLI would never send. */
export async function rawNats(): Promise<NatsConnection> {
  return connect({ servers: SHARED_NATS_URL });
}

/** One detach the scheduler asked Portworx for, with what was running on the volume right then. */
export interface DetachCall {
  volumeId: string;
  force: boolean;
  /** Tasks that were still running on their agent with this volume mounted when the call was made. */
  liveTasks: string[];
}

/**
 * Watch every detach the scheduler sends to Portworx (wrapping its client's `detach`), noting at
 * the moment of the call which tasks still run with that volume: a detach under a live task is
 * exactly what fencing must avoid while the task can still be killed.
 */
export function watchSchedulerDetaches(sb: Sandbox): { calls: DetachCall[]; stop: () => void } {
  const px = sb.scheduler.runtime.px;
  const original = px.detach.bind(px);
  const calls: DetachCall[] = [];
  px.detach = (async (volumeId: string, opts?: { force?: boolean }) => {
    const name = sb.portworx.volumes().find((v) => v.id === volumeId)?.name;
    const liveTasks = runningTasks(sb)
      .filter((t) => t.volumes.some((v) => v.name === name))
      .map((t) => t.taskId);
    calls.push({ volumeId, force: opts?.force === true, liveTasks });
    return original(volumeId, opts as never);
  }) as typeof px.detach;
  return { calls, stop: () => void (px.detach = original) };
}

/**
 * A new scheduler process for the sandbox's service (what Marathon starts when the old one died):
 * on the sandbox's Mesos and Portworx, claiming the sandbox's state as `pxfw sandbox` would.
 */
export function startSchedulerOn(sb: Sandbox, yaml: string, nc: NatsConnection, instanceId: string, extra: Partial<SchedulerServiceOptions> = {}): Promise<SchedulerService> {
  return SchedulerService.start({
    spec: parseSpec(yaml),
    specYaml: yaml,
    mesosUrl: sb.mesos.url,
    portworxUrl: sb.portworx.url,
    portworxLegacyUrl: sb.portworx.url,
    nc,
    instanceId,
    stateClaim: { kind: 'sandbox', sandbox: sb.id },
    agentUrl: (id) => `${sb.mesos.url}/agents/${id}`,
    speed: 10,
    ...extra,
  });
}
