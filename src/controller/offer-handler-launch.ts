import { callSurelyRejected, type MesosSchedulerClient, type Offer as MesosOffer, type OfferOperation } from '../mesos';
import { buildTaskGroup } from '../mesos/task-group';
import type { Offer } from '../placement';
import type { ServiceSpec } from '../service-spec';
import type { BackoffOptions } from '../util/backoff';
import type { Logger } from '../log/logger';
import type { Metrics } from '../observe/metrics';
import type { PodEntry, PodRegistry } from './pod-registry';
import type { RescindedOffers } from './offer-handler-slices';

/** What a launch uses of the offer handler's deps (OfferHandlerDeps has all of it). */
export interface LaunchDeps {
  registry: PodRegistry;
  mesos: () => MesosSchedulerClient | undefined;
  logger: Logger;
  metrics: Metrics;
  reconcileBackoff?: BackoffOptions;
  targetConfigId?: () => string;
  rescinded?: Pick<RescindedOffers, 'has'>;
}

/**
 * One pod's launch in an offer round (offer-handler.ts): the PLACE is persisted before the
 * ACCEPT goes out, and an ACCEPT whose answer was lost is reconciled, never redone.
 */

/** Offers declined while pods still wait come back soon; with nothing to place, much later. */
export const REFUSE_SECONDS_BUSY = 5;
export const REFUSE_SECONDS_IDLE = 120;
/**
 * Explicit reconciliation of a launch whose ACCEPT got no answer: 1 s, doubling to 30 s (the
 * master may say nothing while the agent re-registers after a failover; docs/reconciliation.md
 * in apache/mesos asks for retries with a truncated exponential backoff).
 */
export const LAUNCH_RECONCILE_BACKOFF: Readonly<Required<BackoffOptions>> = { initialMs: 1_000, maxMs: 30_000, factor: 2 };

/**
 * How a launch attempt ended: the ACCEPT was answered 202 (`launched`), the pod never got that
 * far or the master surely refused the call (`released`: the offer is free again), or the answer
 * was lost and the task may be running (`unknown`: reconciled, never redone).
 */
export type LaunchOutcome = 'launched' | 'released' | 'unknown';

/** One pod made ready to launch on an offer: its PLACE persisted, its LAUNCH_GROUP built. */
export interface PreparedLaunch {
  entry: PodEntry;
  taskId: string;
  operation: OfferOperation;
  /** The pod is still placed with this task (a STOP or DECOMMISSION may come before the ACCEPT). */
  stillPlaced: () => boolean;
}

/** A single pod's launch: its PLACE persisted, then one ACCEPT with its LAUNCH_GROUP. */
export async function launch(deps: LaunchDeps, mesos: MesosSchedulerClient, spec: ServiceSpec, entry: PodEntry, offer: MesosOffer, view: Offer): Promise<LaunchOutcome> {
  const prepared = await prepareLaunch(deps, mesos, spec, entry, offer, view);
  return prepared === 'released' ? 'released' : acceptLaunches(deps, mesos, offer, [prepared]);
}

/**
 * The first half of a launch: the PLACE is persisted (intent before action), the task group built
 * on `view`'s resources (what is left of the offer when other pods of the round took some).
 */
export async function prepareLaunch(
  deps: LaunchDeps,
  mesos: MesosSchedulerClient,
  spec: ServiceSpec,
  entry: PodEntry,
  offer: MesosOffer,
  view: Offer,
): Promise<PreparedLaunch | 'released'> {
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
  return { entry, taskId, operation, stillPlaced };
}

/**
 * The second half: one ACCEPT on the offer with the LAUNCH_GROUP of every prepared pod still
 * placed (Mesos takes several operations on one offer; their resources do not overlap: each was
 * built on what the previous ones left). The outcome is the ACCEPT's, for every pod in it.
 */
export async function acceptLaunches(deps: LaunchDeps, mesos: MesosSchedulerClient, offer: MesosOffer, prepared: readonly PreparedLaunch[]): Promise<LaunchOutcome> {
  const going = prepared.filter((p) => {
    if (p.stillPlaced()) return true;
    deps.logger.info({ pod: p.entry.name, state: p.entry.state }, 'pod left placed before launch; its operation is left out');
    return false;
  });
  if (going.length === 0) return 'released';
  if (deps.rescinded?.has(offer.id.value)) {
    // The master took the offer back meanwhile: it would drop the tasks (REASON_INVALID_OFFERS),
    // so the pods are told so now and wait for another offer.
    for (const { entry, taskId } of going) {
      deps.logger.info({ pod: entry.name, taskId, offerId: offer.id.value }, 'offer rescinded before ACCEPT; the pod will be placed again');
      deps.registry.send(entry, { type: 'TASK_UPDATE', taskId, state: 'TASK_DROPPED', reason: 'REASON_INVALID_OFFERS', message: 'offer rescinded before ACCEPT' });
    }
    return 'released';
  }
  try {
    await mesos.accept([offer.id.value], going.map((p) => p.operation), { refuse_seconds: REFUSE_SECONDS_BUSY });
  } catch (err) {
    if (callSurelyRejected(err)) {
      // The master refused the call (or it never left): nothing was launched. The pods go
      // back to waiting for an offer.
      for (const { entry, taskId } of going) {
        deps.logger.warn({ err, pod: entry.name, taskId }, 'ACCEPT refused; the pod will be placed again');
        deps.registry.send(entry, { type: 'TASK_UPDATE', taskId, state: 'TASK_DROPPED', reason: 'REASON_INVALID_OFFERS', message: `ACCEPT failed: ${(err as Error).message}` });
      }
      return 'released';
    }
    // The answer was lost: the master may have launched the tasks. Placing a pod again could
    // run it twice, so each stays `placed` and the master is asked what became of its task.
    for (const { entry, taskId } of going) {
      deps.logger.warn({ err, pod: entry.name, taskId, agentId: offer.agent_id.value }, 'ACCEPT outcome unknown; reconciling the task');
      reconcileLaunch(deps, entry, taskId, offer.agent_id.value);
    }
    deps.metrics.offers.inc({ outcome: 'accept-unknown' });
    return 'unknown';
  }
  deps.metrics.launches.inc(going.length);
  deps.metrics.offers.inc({ outcome: 'accepted' });
  for (const { entry, taskId } of going) deps.logger.info({ pod: entry.name, taskId, host: offer.hostname }, 'task group launched');
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
function reconcileLaunch(deps: LaunchDeps, entry: PodEntry, taskId: string, agentId: string): void {
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
