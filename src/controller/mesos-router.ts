import { parseMesosErrorEvent, type Offer, type SchedulerEvent, type TaskStatus } from '../mesos';
import { checkFieldsOf } from '../mesos/event-schemas';
import { parseTaskId } from '../service-spec';
import type { TaskState } from '../../machines/task-status';
import type { FrameworkEvent } from '../../machines/framework.types';
import type { Logger } from '../log/logger';
import type { Metrics } from '../observe/metrics';
import type { ClusterState } from './cluster-view';
import type { PodEntry, PodRegistry } from './pod-registry';
import type { PodInstanceContext } from '../../machines/pod-instance.types';
import type { SchedulerConnection } from './ports/scheduler-calls';
import type { StrayKiller } from './stray-killer';
import type { RescindedOffers } from './offer-handler-slices';
import { isTerminalState, type TaskTracker } from './task-tracker';

export type RoutedEvent = SchedulerEvent | { type: 'DISCONNECTED'; reason: string };

/** Where the router sends what Mesos says; each part changes only through its owner's methods. */
export interface RouterDeps {
  service: string;
  /** The subscription state is the connection's: the router only reports SUBSCRIBED and disconnects. */
  scheduler: Pick<SchedulerConnection, 'markSubscribed' | 'markDisconnected' | 'acknowledge'>;
  supervisor: { send(event: FrameworkEvent): void; stateName(): string };
  cluster: Pick<ClusterState, 'markUnreachable' | 'markGone'>;
  pods: Pick<PodRegistry, 'all' | 'send' | 'byTask' | 'flush'> & { context(e: PodEntry): Pick<PodInstanceContext, 'task'> };
  tasks: Pick<TaskTracker, 'observe'>;
  strays: Pick<StrayKiller, 'resubscribed' | 'ended' | 'kill'>;
  /** Offer rounds (OfferRounds: one at a time, in arrival order). */
  offers: { handle(offers: Offer[]): void; rescind?(offerId: string): void };
  /** The master will never take our framework id again. */
  frameworkRemoved: () => void;
  metrics: Pick<Metrics, 'connected' | 'statusUpdates'>;
  logger: Logger;
}

/** Offer rounds run one at a time, in arrival order. */
export class OfferRounds {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly round: (offers: Offer[]) => Promise<unknown>,
    private readonly logger: Logger,
    /** Shared with the offer handler: a round in slices skips an offer rescinded meanwhile. */
    private readonly rescinded?: Pick<RescindedOffers, 'add'>,
  ) {}

  /** The master took an offer back (RESCIND): no round may launch on it or decline it. */
  rescind(offerId: string): void {
    this.rescinded?.add(offerId);
  }

  handle(offers: Offer[]): void {
    this.chain = this.chain.then(() => this.round(offers)).then(
      () => undefined,
      (err: unknown) => this.logger.error({ err }, 'offer round failed'),
    );
  }

  /** Resolves once every round queued so far is done. */
  idle(): Promise<void> {
    return this.chain;
  }
}

/** Route one Mesos scheduler event to the supervisor and the pod actors. */
export function routeSchedulerEvent(deps: RouterDeps, ev: RoutedEvent): void {
  switch (ev.type) {
    case 'SUBSCRIBED':
      deps.scheduler.markSubscribed();
      deps.metrics.connected.set(1);
      deps.supervisor.send({ type: 'SUBSCRIBED', frameworkId: ev.subscribed.framework_id.value });
      // Level-triggered: KILLs that failed (403 while the master failed over) go out again now,
      // and every stray the reconciliation that follows reports alive is killed again.
      deps.strays.resubscribed();
      return;
    case 'DISCONNECTED': {
      const expected = deps.scheduler.markDisconnected();
      deps.metrics.connected.set(0);
      if (expected) return;
      deps.supervisor.send({ type: 'DISCONNECTED', reason: ev.reason });
      return;
    }
    case 'OFFERS':
      deps.offers.handle(ev.offers.offers ?? []);
      return;
    case 'RESCIND':
      deps.offers.rescind?.(ev.rescind.offer_id.value);
      return;
    case 'UPDATE':
      deps.metrics.statusUpdates.inc({ state: ev.update.status.state });
      void routeUpdate(deps, ev.update.status).catch((err: unknown) => deps.logger.error({ err }, 'task update handling failed'));
      return;
    case 'FAILURE':
      deps.logger.warn({ failure: ev.failure }, 'Mesos reported a failure');
      if (ev.failure.agent_id && !ev.failure.executor_id) agentFailed(deps, ev.failure.agent_id.value);
      return;
    case 'ERROR':
      deps.logger.error({ message: ev.error.message }, 'Mesos sent an ERROR event');
      if (parseMesosErrorEvent(ev.error.message)) deps.frameworkRemoved();
      return;
    default:
      return;
  }
}

/**
 * A FAILURE without an executor: Mesos lost the agent (removed or unreachable). That is evidence,
 * not proof, that the host is down: pods with a task there go on probation (HOST_DOWN).
 */
function agentFailed(deps: RouterDeps, agentId: string): void {
  deps.cluster.markUnreachable(agentId, true);
  for (const entry of deps.pods.all()) {
    const task = deps.pods.context(entry).task;
    if (task?.agentId !== agentId) continue;
    deps.pods.send(entry, { type: 'HOST_DOWN', hostname: task.hostname, source: 'mesos', reason: `Mesos lost agent ${agentId} (FAILURE)` });
  }
}

/**
 * A task status goes to its pod actor; the acknowledgement is sent only once the pod's new state
 * is persisted, so a crash in between makes Mesos resend the update. A live task that no pod
 * owns any more is killed: never two live tasks for one pod instance.
 */
async function routeUpdate(deps: RouterDeps, status: TaskStatus): Promise<void> {
  const taskId = status.task_id.value;
  const agentId = status.agent_id?.value;
  deps.tasks.observe(status);
  if (agentId) {
    if (status.state === 'TASK_UNREACHABLE') deps.cluster.markUnreachable(agentId, true);
    // Only the operator's MARK_AGENT_GONE takes an agent out for good. TASK_GONE comes from a
    // live agent (after a restart it kills executors it could not re-register): it stays placeable.
    else if (status.state === 'TASK_GONE_BY_OPERATOR') deps.cluster.markGone(agentId);
    else if (status.state === 'TASK_RUNNING') deps.cluster.markUnreachable(agentId, false);
  }
  deps.supervisor.send({ type: 'TASK_UPDATE', taskId, state: status.state });
  const entry = deps.pods.byTask(taskId);
  const current = entry ? deps.pods.context(entry).task?.taskId === taskId : false;
  if (entry && current) {
    deps.pods.send(entry, {
      type: 'TASK_UPDATE',
      taskId,
      state: status.state as TaskState,
      ...(status.reason ? { reason: status.reason } : {}),
      ...(status.message ? { message: status.message } : {}),
      ...(agentId ? { agentId } : {}),
      ...checkFieldsOf(status),
    });
    await deps.pods.flush(entry);
  } else if (isTerminalState(status.state)) {
    deps.strays.ended(taskId);
  } else if (parseTaskId(taskId)?.service === deps.service && agentId && deps.supervisor.stateName() !== '') {
    // (A stateName of '' means the supervisor has not started: nothing owns anything yet.)
    if (await deps.strays.kill(taskId, agentId)) deps.logger.warn({ taskId, state: status.state }, 'killed a stray task no pod instance owns');
  }
  if (status.uuid) await deps.scheduler.acknowledge(status);
}
