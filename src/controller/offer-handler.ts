import { DEFAULT_EXECUTOR_RESOURCES, callSurelyRejected, type MesosSchedulerClient, type Offer as MesosOffer } from '../mesos';
import { buildTaskGroup } from '../mesos/task-group';
import type { BackoffOptions } from '../util/backoff';
import {
  buildPlacementIndex,
  evaluateOffers,
  findPassing,
  offersByHost,
  podRequestFor,
  type Offer,
  type OfferEvaluation,
  type PlacementResult,
  type PlacementMemory,
  type PodRequest,
} from '../placement';
import type { PodInstanceContext } from '../../machines/pod-instance.types';
import type { ServiceSpec } from '../service-spec';
import type { Logger } from '../log/logger';
import type { Metrics } from '../observe/metrics';
import type { ClusterState } from './cluster-view';
import type { PodEntry, PodRegistry } from './pod-registry';
import type { VolumeLocations } from './volume-locations';
import type { TransitionLog } from '../observe/transition-log';
import { spreadPolicy, transitionsOf } from './replica-ops';
import { holderFacts, type ReplicaMoves } from './replica-moves';

/** Offers declined while pods still wait come back soon; with nothing to place, much later. */
export const REFUSE_SECONDS_BUSY = 5;
export const REFUSE_SECONDS_IDLE = 120;
/**
 * Explicit reconciliation of a launch whose ACCEPT got no answer: 1 s, doubling to 30 s (the
 * master may say nothing while the agent re-registers after a failover; docs/reconciliation.md
 * in apache/mesos asks for retries with a truncated exponential backoff).
 */
export const LAUNCH_RECONCILE_BACKOFF: Readonly<Required<BackoffOptions>> = { initialMs: 1_000, maxMs: 30_000, factor: 2 };

export interface OfferHandlerDeps {
  spec: () => ServiceSpec;
  registry: PodRegistry;
  cluster: ClusterState;
  volumes: VolumeLocations;
  memory: PlacementMemory;
  mesos: () => MesosSchedulerClient | undefined;
  podsByAgent: () => Map<string, Record<string, string[]>>;
  /** False while uninstalling or standing by: every offer is declined. */
  launching: () => boolean;
  logger: Logger;
  metrics: Metrics;
  /** Retry timing of the RECONCILE after an ACCEPT with an unknown outcome (LAUNCH_RECONCILE_BACKOFF). */
  reconcileBackoff?: BackoffOptions;
  /** Where spread decisions are published as events (default: the pod registry's transition log). */
  transitions?: Pick<TransitionLog, 'emit'>;
  /** The last state Mesos reported of a task (the runtime's TaskTracker), to tell a returning old task. */
  taskState?: (taskId: string) => string | undefined;
  /**
   * The id of the configuration a launch runs (config-update-plan.ts `configId`): put in the
   * task's `pxfw/config-id` label and recorded by the pod. Absent: no label, no id recorded.
   */
  targetConfigId?: () => string;
  /** The service's replica moves (keep spread policy), owned by the composition root. */
  replicaMoves: ReplicaMoves;
}

/** States of a task that may still run (reported since its pod was fenced: the stray killer ends it). */
const ALIVE_STATES = new Set(['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING']);

/**
 * The hosts a pod must still avoid this round. A replacement excludes the fenced host
 * (`excludeHosts`) only while it is, or may be, the failed host. Level-triggered, the exclusion
 * lapses once the host is back and healthy: an offer of this round comes from it (the master
 * offers only registered, reachable agents: the same agent id after a partition, a new one after
 * a reboot, so it is matched by hostname), its Portworx node is online, and the pod's old task is
 * not reported alive on that same agent (a returning old task is a stray; it is killed first).
 * Safe: the exclusion is set only after the fence force-detached every volume (confirmed by
 * Portworx), so an old task that still runs there has no attachment to write through, and it is
 * killed as a stray as soon as it shows up (docs/failure-classification.md, rule 8). An operator's
 * `pod replace` is not a host failure: its exclusion holds for the placement it asked for.
 */
export function activeExclusions(
  deps: Pick<OfferHandlerDeps, 'cluster' | 'taskState'>,
  ctx: Pick<PodInstanceContext, 'excludeHosts' | 'lastTask'> & { failure?: PodInstanceContext['failure'] },
  offers: readonly Pick<Offer, 'agentId' | 'hostname'>[],
): string[] {
  // `pod replace` moves the pod off a host that never failed: the operator's word stands.
  if (ctx.failure?.trigger === 'operator-replace') return ctx.excludeHosts;
  return ctx.excludeHosts.filter((host) => {
    const offering = offers.filter((o) => o.hostname === host && deps.cluster.reachable(o.agentId));
    if (offering.length === 0) return true;
    if (deps.cluster.storageLiveness(host) !== 'online') return true;
    const old = ctx.lastTask;
    if (!old || old.hostname !== host || !deps.taskState) return false;
    const state = deps.taskState(old.taskId);
    return offering.some((o) => o.agentId === old.agentId) && state !== undefined && ALIVE_STATES.has(state);
  });
}

/**
 * How a launch attempt ended: the ACCEPT was answered 202 (`launched`), the pod never got that
 * far or the master surely refused the call (`released`: the offer is free again), or the answer
 * was lost and the task may be running (`unknown`: reconciled, never redone).
 */
type LaunchOutcome = 'launched' | 'released' | 'unknown';

function waitingForOffer(deps: OfferHandlerDeps, e: PodEntry): boolean {
  return e.state.startsWith('volume-provisioned') && deps.registry.context(e).task === null;
}

/**
 * One offer round: keep an offer only while a pod needs it. Pods waiting for placement are
 * matched in name order against the round's offers (one pod per offer per round); the rest are
 * declined with a filter. Intent (the PLACE and its task id) is persisted before ACCEPT.
 */
export async function handleOffers(deps: OfferHandlerDeps, mesosOffers: MesosOffer[]): Promise<void> {
  const offers = mesosOffers.map((o) => deps.cluster.learnOffer(o));
  const offerViews = new Map(offers.map((o) => [o.offerId, o]));
  const byId = new Map(mesosOffers.map((o) => [o.id.value, o]));
  const mesos = deps.mesos();
  if (!mesos) return;
  const waiting = deps.launching() ? deps.registry.all().filter((e) => waitingForOffer(deps, e)) : [];
  const used = new Set<string>();
  const unsure: string[] = [];
  if (waiting.length > 0) {
    const spec = deps.spec();
    // One index for the round: each placement is recorded in it, never rebuilt per pod.
    const index = buildPlacementIndex(deps.cluster.view(deps.podsByAgent()));
    // The round's offers not used yet, in offer order (a launched offer leaves it).
    const available = offers.slice();
    // The round's offers by host: a pod that may only go to its replica holders looks at theirs.
    const byHost = offersByHost(offers);
    await deps.volumes.refresh(waiting.flatMap((e) => deps.registry.context(e).volumes));
    for (const entry of waiting.sort((a, b) => a.name.localeCompare(b.name))) {
      const ctx = deps.registry.context(entry);
      const excluded = activeExclusions(deps, ctx, offers);
      if (excluded.length < ctx.excludeHosts.length) {
        deps.logger.info({ pod: entry.name, hosts: ctx.excludeHosts.filter((h) => !excluded.includes(h)) }, 'a fenced host is back and healthy: placeable again');
      }
      const candidates = excluded.length === 0 ? available : available.filter((o) => !excluded.includes(o.hostname));
      // A replica added for the pod (keep policy) that has synced makes its host a holder now.
      await deps.replicaMoves.progress(entry.name).catch((err: unknown) => deps.logger.warn({ err, pod: entry.name }, 'could not follow a replica move'));
      const request = buildRequest(deps, spec, entry, excluded);
      if (!request) {
        // An existing volume whose replicas we cannot locate yet would look new (placeable
        // anywhere): wait for the next round rather than break convergence.
        deps.metrics.offers.inc({ outcome: 'no-fit' });
        continue;
      }
      // The request is built here from the parsed spec: no zod check per pod (trusted).
      const result = evaluateOffers(request, candidates, index, { memory: deps.memory, detail: 'summary', trusted: true, offersByHost: byHost });
      const preferred = preferredEvaluation(deps, ctx, result);
      const chosen = preferred ?? result.chosen;
      if (!chosen) {
        deps.metrics.offers.inc({ outcome: 'no-fit' });
        await keepSpread(deps, entry, request, index, excluded);
        continue;
      }
      const offer = byId.get(chosen.offerId)!;
      // Only an ACCEPT that went out uses the offer; anything else is declined below.
      const outcome = await launch(deps, mesos, spec, entry, offer, offerViews.get(chosen.offerId)!);
      if (outcome === 'released') continue;
      noteSpread(deps, entry.name, chosen.offerId === result.chosen?.offerId ? result.chosen.breaks : undefined, offer.hostname);
      used.add(chosen.offerId);
      available.splice(available.indexOf(offerViews.get(chosen.offerId)!), 1);
      // Declining an offer the lost ACCEPT did use is a no-op at the master; one it did not use
      // is released (and a late ACCEPT on it then fails with TASK_DROPPED, a definite answer).
      if (outcome === 'unknown') unsure.push(chosen.offerId);
      index.recordPlacement(entry.podType, entry.name, { agentId: offer.agent_id.value, hostname: offer.hostname, domain: deps.cluster.agent(offer.agent_id.value)?.domain ?? {} } as never);
    }
  }
  await declineRest(deps, mesos, [...mesosOffers.filter((o) => !used.has(o.id.value)).map((o) => o.id.value), ...unsure]);
}

/** Decline what the round did not launch on: back soon while pods still wait, much later otherwise. */
async function declineRest(deps: OfferHandlerDeps, mesos: MesosSchedulerClient, rest: string[]): Promise<void> {
  if (rest.length === 0) return;
  const stillWaiting = deps.registry.all().some((e) => waitingForOffer(deps, e));
  deps.metrics.offers.inc({ outcome: 'declined' }, rest.length);
  await mesos.decline(rest, stillWaiting ? REFUSE_SECONDS_BUSY : REFUSE_SECONDS_IDLE);
}

/**
 * No offer fits a pod whose data exists. Under the keep policy, when every up replica holder
 * breaks a constraint, a replica goes to a host the constraints allow (ReplicaMoves); the pod is
 * placed there once it has synced. Errors are logged and retried on the next round.
 */
async function keepSpread(deps: OfferHandlerDeps, entry: PodEntry, request: PodRequest, index: ReturnType<typeof buildPlacementIndex>, excluded: string[]): Promise<void> {
  if (!request.volumes.some((v) => v.exists)) return;
  const ctx = deps.registry.context(entry);
  try {
    const facts = holderFacts(request, index);
    await deps.replicaMoves.consider(entry.name, request, index, facts, ctx.volumes, excluded);
  } catch (err) {
    deps.logger.warn({ err, pod: entry.name }, 'could not add a replica to keep the spread; retrying next round');
  }
}

/** After a launch: a placement that breaks constraints (break policy) is said in debug offers, plan status and an event. */
function noteSpread(deps: OfferHandlerDeps, pod: string, breaks: string[] | undefined, host: string): void {
  const moves = deps.replicaMoves;
  const move = moves.pending().find((m) => m.pod === pod);
  moves.done(pod);
  if (!breaks || breaks.length === 0) {
    const kept = move && move.target === host;
    deps.memory.noteSpread(pod, kept ? { kind: 'kept', constraints: move.constraints, message: `placed on ${host} once its new replica had synced, keeping ${move.constraints.join(', ')} (spread policy keep)` } : undefined);
    return;
  }
  const message = `placed on ${host}, a replica holder, breaking ${breaks.join(', ')}: no replica holder keeps it (spread policy break)`;
  if (deps.memory.noteSpread(pod, { kind: 'broken', constraints: breaks, message })) {
    deps.logger.warn({ pod, host, breaks }, 'placement breaks constraints by spread policy');
    transitionsOf(deps.transitions)?.emit({ actor: `spread/${pod}`, from: 'constraints-kept', to: 'constraints-broken', event: 'SPREAD_BROKEN', reason: message });
  }
}

function buildRequest(deps: OfferHandlerDeps, spec: ServiceSpec, entry: PodEntry, excluded: string[]): PodRequest | undefined {
  const ctx = deps.registry.context(entry);
  const existingVolumes: Record<string, string[]> = {};
  for (const v of ctx.volumes) {
    const hosts = deps.volumes.replicaHosts(v.name);
    if (hosts) existingVolumes[v.name] = hosts.filter((h) => !excluded.includes(h));
    else if (v.id) return undefined;
  }
  const request = podRequestFor(spec, entry.podType, entry.index, {
    existingVolumes,
    softWaitExpired: ctx.allowNonHolder,
    overhead: { cpus: DEFAULT_EXECUTOR_RESOURCES.cpus, mem: DEFAULT_EXECUTOR_RESOURCES.mem, disk: DEFAULT_EXECUTOR_RESOURCES.disk },
  });
  return { ...request, spread: spreadPolicy(spec, entry.podType) };
}

async function launch(
  deps: OfferHandlerDeps,
  mesos: MesosSchedulerClient,
  spec: ServiceSpec,
  entry: PodEntry,
  offer: MesosOffer,
  view: Offer,
): Promise<LaunchOutcome> {
  const pod = spec.pods[entry.podType]!;
  const ctx = deps.registry.context(entry);
  const taskId = deps.registry.nextTaskId(entry);
  const configId = deps.targetConfigId?.();
  const stillPlaced = () => entry.state === 'placed' && deps.registry.context(entry).task?.taskId === taskId;
  // The pod records what its task is launched with: the config id and whether readiness is checked.
  deps.registry.send(entry, {
    type: 'PLACE',
    taskId,
    agentId: offer.agent_id.value,
    hostname: offer.hostname,
    offerId: offer.id.value,
    readinessCheck: pod.readinessCheck !== undefined,
    ...(configId !== undefined ? { configId } : {}),
  });
  if (!stillPlaced()) {
    deps.logger.warn({ pod: entry.name, state: entry.state }, 'pod refused the placement; offer released');
    return 'released';
  }
  await deps.registry.flush(entry);
  // A STOP or DECOMMISSION may have arrived while the intent was being persisted.
  if (!stillPlaced()) {
    deps.logger.info({ pod: entry.name, state: entry.state }, 'pod left placed before launch; offer released');
    return 'released';
  }
  const operation = buildTaskGroup({
    spec,
    pod: { podType: entry.podType, index: entry.index, name: entry.name },
    taskId,
    frameworkId: mesos.frameworkId!,
    offer,
    offerPorts: view.ports,
    volumes: ctx.volumes,
    configId,
  });
  try {
    await mesos.accept([offer.id.value], [operation], { refuse_seconds: REFUSE_SECONDS_BUSY });
  } catch (err) {
    if (callSurelyRejected(err)) {
      // The master refused the call (or it never left): nothing was launched. The pod goes
      // back to waiting for an offer.
      deps.logger.warn({ err, pod: entry.name, taskId }, 'ACCEPT refused; the pod will be placed again');
      deps.registry.send(entry, { type: 'TASK_UPDATE', taskId, state: 'TASK_DROPPED', reason: 'REASON_INVALID_OFFERS', message: `ACCEPT failed: ${(err as Error).message}` });
      return 'released';
    }
    // The answer was lost: the master may have launched the task. Placing the pod again could
    // run it twice, so it stays `placed` and the master is asked what became of the task.
    deps.logger.warn({ err, pod: entry.name, taskId, agentId: offer.agent_id.value }, 'ACCEPT outcome unknown; reconciling the task');
    deps.metrics.offers.inc({ outcome: 'accept-unknown' });
    reconcileLaunch(deps, entry, taskId, offer.agent_id.value);
    return 'unknown';
  }
  deps.metrics.launches.inc();
  deps.metrics.offers.inc({ outcome: 'accepted' });
  deps.logger.info({ pod: entry.name, taskId, host: offer.hostname }, 'task group launched');
  return 'launched';
}

/**
 * Ask the master about a task whose ACCEPT went unanswered, with backoff, until the pod has heard
 * anything of it (the first update records a task state) or has moved on. The master answers with
 * the task's latest state if it knows the task (STAGING, RUNNING, ...), TASK_GONE if the agent
 * does not have it, TASK_UNKNOWN if the agent is unknown too, and nothing while the agent has
 * not re-registered (apache/mesos src/master/master.cpp, explicit reconciliation); the pod machine
 * takes the answer from there.
 */
function reconcileLaunch(deps: OfferHandlerDeps, entry: PodEntry, taskId: string, agentId: string): void {
  const backoff = deps.reconcileBackoff ?? LAUNCH_RECONCILE_BACKOFF;
  const factor = backoff.factor ?? 2;
  const waiting = (): boolean => {
    if (deps.registry.get(entry.name) !== entry || entry.actor.getSnapshot().status !== 'active') return false;
    const ctx = deps.registry.context(entry);
    return entry.state === 'placed' && ctx.task?.taskId === taskId && ctx.taskState === null;
  };
  let attempt = 0;
  const schedule = (): void => {
    // Between half and all of the capped exponential delay: spread out, never immediate (an
    // ACCEPT still in flight would otherwise race the question).
    const ceiling = Math.min(backoff.maxMs, backoff.initialMs * Math.pow(factor, attempt));
    attempt += 1;
    setTimeout(() => void ask(), Math.round(ceiling * (0.5 + Math.random() / 2))).unref();
  };
  const ask = async (): Promise<void> => {
    if (!waiting()) return;
    const mesos = deps.mesos();
    try {
      if (mesos) await mesos.reconcile([{ taskId, agentId }]);
      deps.logger.info({ pod: entry.name, taskId, agentId, attempt }, mesos ? 'reconciling a launch with an unknown outcome' : 'not subscribed; launch reconciliation waits');
    } catch (err) {
      deps.logger.warn({ err, pod: entry.name, taskId, attempt }, 'RECONCILE failed; retrying');
    }
    if (waiting()) schedule();
  };
  schedule();
}

/**
 * Relaunch in place: the agent the task ran on, or, once that agent is gone from the master (a
 * rebooted host registers with a new agent id and its old tasks come back TASK_LOST), the same
 * host under its new agent id. Only an offer that passes every stage qualifies.
 */
function preferredEvaluation(deps: OfferHandlerDeps, ctx: PodInstanceContext, result: PlacementResult): OfferEvaluation | undefined {
  const agent = ctx.preferAgent;
  if (!agent) return undefined;
  const task = ctx.task ?? ctx.lastTask;
  const host = task?.agentId === agent ? task.hostname : deps.cluster.agent(agent)?.hostname;
  // Read off the packed verdicts: no evaluation object is built for the offers passed over.
  return findPassing(result, (o) => o.agentId === agent) ?? (host === undefined ? undefined : findPassing(result, (o) => o.hostname === host));
}
