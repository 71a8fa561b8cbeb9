import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { SimTaskSummary } from '../../src/sim/mesos';
import type { SimVolumeView } from '../../src/sim/portworx';
import { parseTaskId } from '../../src/service-spec';
import { parseJson } from '../../src/util/lossless-json';
import type { MesosRecord, PortworxRecord, TransitionRecord } from '../../src/record/recorder';
import { runServiceCommand } from '../../src/cli/service.command';
import { SHARED_NATS_URL } from '../helpers/nats-server';

/** Task states after which Mesos guarantees the task no longer runs (the simulator's view). */
const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR']);

type SpecDoc = Record<string, unknown> & { pods: Record<string, Record<string, unknown>> };

/** A frameworkYaml override that edits the parsed spec instead of the text. */
export function patchSpec(mutate: (doc: SpecDoc) => void): (yaml: string) => string {
  return (text) => {
    const doc = parseYaml(text) as SpecDoc;
    mutate(doc);
    return stringifyYaml(doc);
  };
}

/** The records of one stream of a `--record DIR`, oldest first, with their line numbers. */
export function readRecords(dir: string, stream: 'mesos'): (MesosRecord & { line: number })[];
export function readRecords(dir: string, stream: 'portworx'): (PortworxRecord & { line: number })[];
export function readRecords(dir: string, stream: 'transitions'): (TransitionRecord & { line: number })[];
export function readRecords(dir: string, stream: string): unknown[] {
  const path = join(dir, `${stream}.jsonl`);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((raw, i) => ({ raw, line: i + 1 }))
    .filter(({ raw }) => raw.trim() !== '')
    .map(({ raw, line }) => ({ ...(parseJson(raw) as object), line }));
}

/** Recorded ACCEPT calls that launch `taskId` (LAUNCH_GROUP or LAUNCH). */
export function recordedLaunches(dir: string, taskIdPrefix: string): { ts: string; taskId: string; line: number }[] {
  const out: { ts: string; taskId: string; line: number }[] = [];
  for (const r of readRecords(dir, 'mesos')) {
    const body = r.body as { type?: string; accept?: { operations?: unknown[] } };
    if (r.api !== 'scheduler' || r.dir !== 'call' || body.type !== 'ACCEPT') continue;
    for (const op of body.accept?.operations ?? []) {
      for (const id of launchedTaskIds(op)) if (id.startsWith(taskIdPrefix)) out.push({ ts: r.ts, taskId: id, line: r.line });
    }
  }
  return out;
}

function launchedTaskIds(op: unknown): string[] {
  const o = op as {
    launch_group?: { task_group?: { tasks?: { task_id: { value: string } }[] } };
    launch?: { task_infos?: { task_id: { value: string } }[] };
  };
  const tasks = [...(o.launch_group?.task_group?.tasks ?? []), ...(o.launch?.task_infos ?? [])];
  return tasks.map((t) => t.task_id.value);
}

/** Recorded forced detaches of a volume (the fence). */
export function recordedForcedDetaches(dir: string, volumeId: string): (PortworxRecord & { line: number })[] {
  return readRecords(dir, 'portworx').filter((r) => {
    const req = r.request as { volume_id?: string; options?: { force?: boolean | string } } | null;
    return r.path === '/v1/mountattach/detach' && r.status === 200 && req?.volume_id === volumeId && String(req.options?.force) === 'true';
  });
}

/** The simulator's tasks of one pod instance (every attempt). */
export function podTasks(sb: Sandbox, service: string, pod: string): SimTaskSummary[] {
  return sb.mesos.tasks().filter((t) => {
    const id = parseTaskId(t.taskId);
    return id?.service === service && `${id.podType}-${id.index}` === pod;
  });
}

/**
 * Tasks still running or about to: not terminal on their agent, and not on a host that died
 * (crashAgent: its processes died with it, whatever the master still believes). Without `sb`,
 * only the task states count.
 */
/** The pod's TASK_RUNNING task, e.g. the one a fault is about to hit (the service is deployed). */
export function runningTask(sb: Sandbox, service: string, pod: string): SimTaskSummary {
  return podTasks(sb, service, pod).find((t) => t.state === 'TASK_RUNNING')!;
}

/** The pod's data volume (`<service>-<pod>-data`) as Portworx holds it now. */
export function dataVolume(sb: Sandbox, service: string, pod: string): SimVolumeView {
  return sb.portworx.volumes().find((v) => v.name === `${service}-${pod}-data`)!;
}

/** The id of the pod's data volume. */
export function dataVolumeId(sb: Sandbox, service: string, pod: string): string {
  return dataVolume(sb, service, pod).id;
}

export function liveTasks(tasks: SimTaskSummary[], sb?: Sandbox): SimTaskSummary[] {
  const dead = new Set(
    (sb?.mesos.agents() ?? []).filter((a) => a.hostDown).map((a) => a.id),
  );
  return tasks.filter((t) => !TERMINAL.has(t.state) && !dead.has(t.agentId));
}

/**
 * Polls the simulators' ground truth every few milliseconds while a failure plays out and notes
 * every moment a safety property was broken: two live tasks of one pod instance, or one volume
 * attached on two hosts. `stop()` returns the violations (empty when the property held).
 */
export class SafetyWatch {
  private readonly violations: string[] = [];
  private readonly timer: NodeJS.Timeout;
  polls = 0;

  constructor(
    private readonly sb: Sandbox,
    private readonly service: string,
    private readonly pod: string,
    private readonly volumeName: string,
    private readonly opts: { liveTasks: boolean } = { liveTasks: true },
  ) {
    this.timer = setInterval(() => this.poll(), 10);
  }

  private poll(): void {
    this.polls++;
    if (this.opts.liveTasks) {
      const live = liveTasks(podTasks(this.sb, this.service, this.pod), this.sb);
      if (live.length > 1) this.violations.push(`two live tasks of ${this.pod}: ${live.map((t) => `${t.taskId}@${t.hostname}=${t.state}`).join(', ')}`);
    }
    for (const v of this.sb.portworx.volumes()) {
      if (v.name === this.volumeName && v.attachedOn.length > 1) this.violations.push(`${v.name} attached on ${v.attachedOn.join(', ')}`);
    }
  }

  stop(): string[] {
    clearInterval(this.timer);
    this.poll();
    return [...new Set(this.violations)];
  }
}

/** Portworx node alerts as they arrive on NATS, with the local receive time. */
export class NodeAlertListener {
  readonly received: { at: number; alert: { resource_id?: string; message?: string; cleared?: boolean } }[] = [];

  private constructor(
    private readonly nc: NatsConnection,
    private readonly sub: Subscription,
  ) {}

  static async start(clusterId: string): Promise<NodeAlertListener> {
    const nc = await connect({ servers: SHARED_NATS_URL, name: 'pxfw-e2e-alerts' });
    const sub = nc.subscribe(`portworx.alerts.${clusterId}.node`);
    const listener = new NodeAlertListener(nc, sub);
    void (async () => {
      for await (const m of sub) listener.received.push({ at: Date.now(), alert: m.json() });
    })();
    await nc.flush();
    return listener;
  }

  async close(): Promise<void> {
    this.sub.unsubscribe();
    await this.nc.drain();
  }
}

/** Pod transitions of a service, from the recording (`pod/<name>` actors only). */
export function podTransitions(dir: string): (TransitionRecord & { line: number; pod: string })[] {
  return readRecords(dir, 'transitions')
    .filter((t) => t.actor.startsWith('pod/'))
    .map((t) => ({ ...t, pod: t.actor.slice('pod/'.length) }));
}

/** The scheduler's own account of a pod (state, reason, offer evaluation) for failure messages. */
export async function explainPod(sb: Sandbox, pod: string): Promise<string> {
  const rt = sb.scheduler.runtime;
  const entry = rt.registry.get(pod);
  const ctx = entry ? rt.registry.context(entry) : undefined;
  const offers = await sb.scheduler.operations.debugOffers(pod).catch((err: unknown) => [{ lines: [`debug offers failed: ${String(err)}`] }]);
  return [`${pod}: ${entry?.state ?? 'unknown'} (${ctx?.reason ?? ''})`, ...offers.flatMap((o) => o.lines)].join('\n  ');
}

/** `eventually`, but a timeout names what the scheduler thinks of the pod. */
export async function eventuallyPod<T>(sb: Sandbox, pod: string, what: string, fn: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n  ${await explainPod(sb, pod)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until the pod runs a task on another host than `victim`'s (explaining the pod on a timeout). */
export function eventuallyMovedOff(sb: Sandbox, service: string, pod: string, victim: SimTaskSummary, timeoutMs: number): Promise<SimTaskSummary> {
  return eventuallyPod(
    sb,
    pod,
    `${pod} running again on another agent`,
    () => podTasks(sb, service, pod).find((t) => t.state === 'TASK_RUNNING' && t.hostname !== victim.hostname),
    timeoutMs,
  );
}

/** `pxfw <service> ARGS… --nats <shared NATS>` run in-process, as the command line would. */
export async function runCli(service: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runServiceCommand([service, ...args, '--nats', SHARED_NATS_URL], {
    out: { write: (t: string) => (out += t) },
    err: { write: (t: string) => (err += t) },
  });
  return { code, out, err };
}
