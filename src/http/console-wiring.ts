import type { NatsConnection } from '@nats-io/nats-core';
import type { PlanView, SnapshotView } from '../api/operations';
import type { AuditRecord } from '../api/audit';
import { auditSubject } from '../api/subjects';
import { ALERT_SUBJECT_ROOT, sdkAlertSchema, type SdkAlert } from '../alerts/alert';
import type { Metrics } from '../observe/metrics';
import type { TransitionRecord } from '../record/recorder';
import { volumeName } from '../service-spec/names';
import { POD_TAGS, recoveryStage } from '../../machines/pod-instance.logic';
import type { PodInstanceContext } from '../../machines/pod-instance.types';
import type { RecoveryObservation } from '../observe/recoveries';
import { ConsoleHub } from './console-hub';
import type { ConsoleAgentFact, ConsolePodFact, ConsoleReadModel } from './console-types';
import type { HealthReport, HttpSources } from './server';

/** A pod entry as the registry holds it (structural: src/http does not import the controller). */
interface PodEntryLike {
  name: string;
  podType: string;
  index: number;
  state: string;
  actor: { getSnapshot(): { tags: Set<string>; status: string; context: unknown } };
  lastEvent(): string;
}

/** The read-only slice of the Runtime the console needs. */
export interface ConsoleRuntime {
  readonly service: string;
  readonly spec: { name: string; pods: Record<string, { volumes: { name: string; repl: number }[] }> };
  readonly registry: { all(): PodEntryLike[]; get(name: string): PodEntryLike | undefined };
  readonly cluster: {
    knownAgents(): { agentId: string; hostname: string; domain: { region?: string; zone?: string; rack?: string }; gone: boolean; unreachable: boolean }[];
    storageLiveness(hostname: string): 'online' | 'alive' | 'offline' | undefined;
  };
  readonly volumes: { replicaHosts(name: string): string[] | undefined };
  readonly transitions: { subscribe(listener: (t: TransitionRecord) => void): () => void };
  readonly metrics: Metrics;
  readonly nc: NatsConnection;
  readonly px: { inspectCluster(): Promise<{ id?: string }> };
  readonly leading: boolean;
  readonly subscribed: boolean;
  readonly frameworkStateName: string;
  readonly frameworkContext: { reason: string | null };
  frameworkIs(state: 'active' | 'uninstalling' | 'uninstalled' | 'reinstalling'): boolean;
}

export interface ConsoleOperations {
  planList(): Promise<PlanView[]>;
  snapshotList(): Promise<SnapshotView[]>;
}

const OPERATOR_EVENTS = new Set(['RESTART', 'REPLACE']);

function podFact(rt: ConsoleRuntime, e: PodEntryLike): ConsolePodFact {
  const snap = e.actor.getSnapshot();
  const ctx = snap.context as PodInstanceContext;
  const podSpec = rt.spec.pods[e.podType];
  return {
    name: e.name,
    podType: e.podType,
    index: e.index,
    state: e.state,
    tags: [...snap.tags].sort(),
    actorStatus: snap.status,
    reason: ctx.reason,
    lastEvent: e.lastEvent(),
    agentId: ctx.task?.agentId ?? null,
    hostname: ctx.task?.hostname ?? null,
    volumes: ctx.volumes.map((v) => ({
      name: v.name,
      id: v.id,
      replicaHosts: rt.volumes.replicaHosts(v.name) ?? null,
      repl: podSpec?.volumes.find((s) => volumeName(rt.spec.name, e.podType, e.index, s.name) === v.name)?.repl ?? null,
    })),
  };
}

/** The console's read model over the runtime and the operator verbs. */
export function consoleReadModel(rt: ConsoleRuntime, ops: ConsoleOperations): ConsoleReadModel {
  return {
    service: rt.service,
    framework: () => ({
      state: rt.frameworkStateName,
      is: { active: rt.frameworkIs('active'), uninstalling: rt.frameworkIs('uninstalling'), uninstalled: rt.frameworkIs('uninstalled'), reinstalling: rt.frameworkIs('reinstalling') },
      leading: rt.leading,
      subscribed: rt.subscribed,
      reason: rt.frameworkContext.reason,
    }),
    pods: () => rt.registry.all().map((e) => podFact(rt, e)),
    agents: (): ConsoleAgentFact[] =>
      rt.cluster.knownAgents().map((a) => ({
        agentId: a.agentId,
        hostname: a.hostname,
        region: a.domain.region ?? null,
        zone: a.domain.zone ?? null,
        rack: a.domain.rack ?? null,
        gone: a.gone,
        unreachable: a.unreachable,
        storage: rt.cluster.storageLiveness(a.hostname) ?? null,
      })),
    plans: () => ops.planList(),
    snapshots: () => ops.snapshotList(),
  };
}

/** A pod's recovery facts off its actor (tags and context, never its state name). */
export function recoveryObservation(e: PodEntryLike): RecoveryObservation {
  const snap = e.actor.getSnapshot();
  const has = (t: string) => snap.tags.has(t);
  return {
    stage: recoveryStage(has, snap.context as PodInstanceContext),
    ready: has(POD_TAGS.ready),
    stopping: has(POD_TAGS.stopping) || snap.status !== 'active' || e.state === 'stopped',
    operator: OPERATOR_EVENTS.has(e.lastEvent()),
  };
}

/** JSON messages on a subject, parsed; a message that does not parse is skipped. */
function onSubject<T>(nc: NatsConnection, subject: string, parse: (v: unknown) => T | undefined, listener: (v: T) => void): () => void {
  const sub = nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) return;
      try {
        const v = parse(msg.json());
        if (v !== undefined) listener(v);
      } catch {
        // Not JSON: nothing to show.
      }
    },
  });
  return () => sub.unsubscribe();
}

/** Alerts of the service's Portworx cluster (core NATS, alongside the storage watch's durable consumer). */
function alertFeed(rt: ConsoleRuntime) {
  return (listener: (a: SdkAlert) => void) => {
    let stop: (() => void) | undefined;
    let closed = false;
    void rt.px
      .inspectCluster()
      .then((c) => {
        if (closed || rt.nc.isClosed()) return;
        const parse = (v: unknown) => sdkAlertSchema.safeParse(v).data;
        stop = onSubject(rt.nc, `${ALERT_SUBJECT_ROOT}.${c.id ?? '*'}.*`, parse, listener);
      })
      .catch(() => undefined);
    return () => {
      closed = true;
      stop?.();
    };
  };
}

/**
 * Everything the scheduler's HTTP face serves: health, the JSON state, metrics, and the console
 * (its state, live events and scrape-time gauges). `schedulerState` is `/v1/state` as before.
 */
export function schedulerHttpSources(p: {
  runtime: ConsoleRuntime;
  operations: ConsoleOperations;
  health: () => HealthReport | Promise<HealthReport>;
  state: () => unknown;
}): HttpSources {
  const rt = p.runtime;
  const hub = new ConsoleHub({
    read: consoleReadModel(rt, p.operations),
    health: p.health,
    transitions: rt.transitions,
    metrics: rt.metrics,
    recoveryOf: (pod) => {
      const e = rt.registry.get(pod);
      return e ? recoveryObservation(e) : undefined;
    },
    audits: (listener) => onSubject(rt.nc, auditSubject(rt.service), (v) => v as AuditRecord, listener),
    alerts: alertFeed(rt),
  });
  return {
    health: p.health,
    state: p.state,
    subscribe: (listener) => rt.transitions.subscribe((t) => listener({ type: 'transition', data: t })),
    registry: rt.metrics.registry,
    console: hub,
  };
}

/** The audit sink's consumer that counts commands (`pxfw_commands_total`): `audit: { onRecord }` of the command service. */
export function countCommand(metrics: Pick<Metrics, 'commands'>, r: Pick<AuditRecord, 'verb' | 'result'>): void {
  metrics.commands.inc({ verb: r.verb, result: r.result });
}
