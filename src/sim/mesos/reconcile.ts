import type { Master } from './master';
import type { Json, SimFramework, SimTask } from './state';
import { bareStatus, taskStatus } from './wire';

/**
 * Explicit (non-empty list) or implicit (empty list) reconciliation, as `Master::reconcile`
 * (apache/mesos src/master/master.cpp) does it. Only tasks the master holds are known: those on
 * unreachable agents, or on agents that have not re-registered since a master failover, are not.
 * For an unknown task the agent id the framework gave decides: not re-registered yet → no answer
 * (and with no agent id, no answer while any agent has yet to re-register); registered →
 * TASK_GONE; unreachable → TASK_UNREACHABLE; gone → TASK_GONE_BY_OPERATOR; otherwise TASK_UNKNOWN
 * (all TASK_LOST for a framework that is not partition-aware).
 */
export function reconcileTasks(
  m: Master,
  masterView: (t: SimTask) => string,
  fw: SimFramework,
  list: { taskId: string; agentId?: string | undefined }[],
): void {
  if (list.length === 0) {
    for (const t of fw.tasks.values()) {
      if (m.knowsTasksOf(m.agents.get(t.agentId))) m.sendUpdate(fw, knownTaskStatus(t, masterView));
    }
    return;
  }
  for (const { taskId, agentId } of list) {
    const t = fw.tasks.get(taskId);
    const status = t && m.knowsTasksOf(m.agents.get(t.agentId)) ? knownTaskStatus(t, masterView) : unknownTaskStatus(m, fw, taskId, agentId);
    if (status) m.sendUpdate(fw, status);
  }
}

function knownTaskStatus(t: SimTask, masterView: (t: SimTask) => string): Json {
  // The state of the update being delivered (status_update_state) if any, else the latest seen.
  const state = t.statusUpdateState ?? masterView(t);
  // The master repeats the container status of the latest update it saw.
  const containerStatus = t.statuses[t.statuses.length - 1]?.container_status as Json | undefined;
  return taskStatus({ task: t, state, source: 'SOURCE_MASTER', reason: 'REASON_RECONCILIATION', message: 'Reconciliation: Latest task state', containerStatus });
}

function unknownTaskStatus(m: Master, fw: SimFramework, taskId: string, agentId: string | undefined): Json | undefined {
  const agent = agentId !== undefined ? m.agents.get(agentId) : undefined;
  const pa = fw.partitionAware;
  const r = 'REASON_RECONCILIATION';
  if (agent?.state === 'recovering') return undefined;
  if (agentId === undefined && [...m.agents.values()].some((a) => a.state === 'recovering')) return undefined;
  if (agent?.state === 'registered' || agent?.state === 'disconnected') {
    return bareStatus(taskId, agentId, pa ? 'TASK_GONE' : 'TASK_LOST', r, 'Reconciliation: Task is unknown to the agent');
  }
  if (agent?.state === 'unreachable') {
    return bareStatus(taskId, agentId, pa ? 'TASK_UNREACHABLE' : 'TASK_LOST', r, 'Reconciliation: Task is unreachable', agent.unreachableAt);
  }
  if (agent?.state === 'gone') return bareStatus(taskId, agentId, pa ? 'TASK_GONE_BY_OPERATOR' : 'TASK_LOST', r, 'Reconciliation: Task is gone');
  return bareStatus(taskId, agentId, pa ? 'TASK_UNKNOWN' : 'TASK_LOST', r, 'Reconciliation: Task is unknown');
}
