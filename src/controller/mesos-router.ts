import type { SchedulerEvent, TaskStatus } from '../mesos';
import { parseTaskId } from '../service-spec';
import type { TaskState } from '../../machines/task-status';
import { handleOffers } from './offer-handler';
import type { Runtime } from './runtime';
import { isTerminalState } from './task-tracker';

type RoutedEvent = SchedulerEvent | { type: 'DISCONNECTED'; reason: string };

/** Offer rounds run one at a time, in arrival order. */
const offerChains = new WeakMap<Runtime, Promise<void>>();

/** Route one Mesos scheduler event to the supervisor and the pod actors. */
export function routeSchedulerEvent(rt: Runtime, ev: RoutedEvent): void {
  switch (ev.type) {
    case 'SUBSCRIBED':
      rt.subscribed = true;
      rt.metrics.connected.set(1);
      rt.sendFramework({ type: 'SUBSCRIBED', frameworkId: ev.subscribed.framework_id.value });
      // Level-triggered: KILLs that failed (403 while the master failed over) go out again now,
      // and every stray the reconciliation that follows reports alive is killed again.
      rt.strays.resubscribed();
      return;
    case 'DISCONNECTED':
      rt.subscribed = false;
      rt.metrics.connected.set(0);
      if (rt.tearingDown) return;
      rt.sendFramework({ type: 'DISCONNECTED', reason: ev.reason });
      return;
    case 'OFFERS': {
      const offers = ev.offers.offers ?? [];
      const prev = offerChains.get(rt) ?? Promise.resolve();
      const next = prev.then(() => handleOffers(offerDeps(rt), offers)).catch((err: unknown) => rt.logger.error({ err }, 'offer round failed'));
      offerChains.set(rt, next);
      return;
    }
    case 'UPDATE':
      void routeUpdate(rt, ev.update.status).catch((err: unknown) => rt.logger.error({ err }, 'task update handling failed'));
      return;
    case 'FAILURE':
      rt.logger.warn({ failure: ev.failure }, 'Mesos reported a failure');
      if (ev.failure.agent_id && !ev.failure.executor_id) agentFailed(rt, ev.failure.agent_id.value);
      return;
    case 'ERROR':
      rt.logger.error({ message: ev.error.message }, 'Mesos sent an ERROR event');
      if (/framework has been removed/i.test(ev.error.message)) void rt.frameworkRemoved();
      return;
    default:
      return;
  }
}

function offerDeps(rt: Runtime) {
  return {
    spec: () => rt.spec,
    registry: rt.registry,
    cluster: rt.cluster,
    volumes: rt.volumes,
    memory: rt.memory,
    mesos: () => (rt.subscribed ? rt.mesos : undefined),
    podsByAgent: () => rt.podsByAgent(),
    launching: () => rt.frameworkStateName.startsWith('active'),
    logger: rt.logger,
    metrics: rt.metrics,
    transitions: rt.transitions,
    // A fenced host comes back into placement only once the pod's old task is not alive there.
    taskState: (taskId: string) => rt.tasks.status(taskId)?.state,
    // The RECONCILE after an ACCEPT with an unknown outcome runs on simulated time too.
    reconcileBackoff: { initialMs: 1_000 / rt.timeScale, maxMs: 30_000 / rt.timeScale },
  };
}

/**
 * A FAILURE without an executor: Mesos lost the agent (removed or unreachable). That is evidence,
 * not proof, that the host is down: pods with a task there go on probation (HOST_DOWN).
 */
function agentFailed(rt: Runtime, agentId: string): void {
  rt.cluster.markUnreachable(agentId, true);
  for (const entry of rt.registry.all()) {
    const task = rt.registry.context(entry).task;
    if (task?.agentId !== agentId) continue;
    rt.registry.send(entry, { type: 'HOST_DOWN', hostname: task.hostname, source: 'mesos', reason: `Mesos lost agent ${agentId} (FAILURE)` });
  }
}

/**
 * A task status goes to its pod actor; the acknowledgement is sent only once the pod's new state
 * is persisted, so a crash in between makes Mesos resend the update. A live task that no pod
 * owns any more is killed: never two live tasks for one pod instance.
 */
async function routeUpdate(rt: Runtime, status: TaskStatus): Promise<void> {
  const taskId = status.task_id.value;
  const agentId = status.agent_id?.value;
  rt.tasks.observe(status);
  if (agentId) {
    if (status.state === 'TASK_UNREACHABLE') rt.cluster.markUnreachable(agentId, true);
    // Only the operator's MARK_AGENT_GONE takes an agent out for good. TASK_GONE comes from a
    // live agent (after a restart it kills executors it could not re-register): it stays placeable.
    else if (status.state === 'TASK_GONE_BY_OPERATOR') rt.cluster.markGone(agentId);
    else if (status.state === 'TASK_RUNNING') rt.cluster.markUnreachable(agentId, false);
  }
  rt.sendFramework({ type: 'TASK_UPDATE', taskId, state: status.state });
  const entry = rt.registry.byTask(taskId);
  const current = entry ? rt.registry.context(entry).task?.taskId === taskId : false;
  if (entry && current) {
    rt.registry.send(entry, {
      type: 'TASK_UPDATE',
      taskId,
      state: status.state as TaskState,
      ...(status.reason ? { reason: status.reason } : {}),
      ...(status.message ? { message: status.message } : {}),
      ...(agentId ? { agentId } : {}),
      ...(status.healthy !== undefined ? { healthy: status.healthy } : {}),
    });
    await rt.registry.flush(entry);
  } else if (isTerminalState(status.state)) {
    rt.strays.ended(taskId);
  } else if (parseTaskId(taskId)?.service === rt.service && agentId && rt.frameworkStateName !== '') {
    if (await rt.strays.kill(taskId, agentId)) rt.logger.warn({ taskId, state: status.state }, 'killed a stray task no pod instance owns');
  }
  if (status.uuid) await rt.mesosCall('acknowledge', (m) => m.acknowledge(status));
}
