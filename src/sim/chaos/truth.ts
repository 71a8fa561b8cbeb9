import type { MesosOperatorClient } from '../../mesos/operator-client';
import type { PortworxClient } from '../../portworx';
import type { MesosSimulator } from '../mesos';
import type { PortworxSimulator } from '../portworx';

/**
 * Ground truth of a chaos run, read from outside the scheduler: the Mesos side (operator API, or
 * the simulator's own state for the fast watch) and the Portworx side (SDK, or the simulator).
 */
export interface TruthTask {
  taskId: string;
  pod: string;
  agentId: string;
  hostname: string;
  /** The task's state as its agent knows it (simulator), else as the master reports it. */
  state: string;
  /** The agent is registered and reachable (not partitioned, unreachable, removed). */
  agentUp: boolean;
}

export interface TruthVolume {
  id: string;
  name: string;
  shared: boolean;
  /** Hostnames the volume is attached on (the simulator can show more than one; the SDK one). */
  attachedOn: string[];
}

export interface Truth {
  at: number;
  source: 'simulator' | 'outside';
  tasks: TruthTask[];
  volumes: TruthVolume[];
}

const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN']);

export function isTerminalState(state: string): boolean {
  return TERMINAL.has(state);
}

/** `<service>__<pod>__<attempt>` or `<service>__<pod>__<attempt>-<hex>` → pod, for one service. */
export function podOfTask(service: string, taskId: string): string | undefined {
  const m = /^(.+?)__([a-z][-a-z0-9]*-\d+)__\d+(?:-[0-9a-f]+)?$/.exec(taskId);
  return m && m[1] === service ? m[2] : undefined;
}

/** The fast view: the simulators' in-memory state (what the agents and Portworx really hold). */
export function simulatorTruth(service: string, mesos: MesosSimulator, px: PortworxSimulator): Truth {
  const agents = new Map(mesos.agents().map((a) => [a.id, a]));
  const tasks: TruthTask[] = [];
  for (const t of mesos.tasks()) {
    const pod = podOfTask(service, t.taskId);
    if (!pod) continue;
    const a = agents.get(t.agentId);
    const hostDown = (a as { hostDown?: boolean } | undefined)?.hostDown === true;
    tasks.push({ taskId: t.taskId, pod, agentId: t.agentId, hostname: t.hostname, state: t.state, agentUp: a?.state === 'registered' && !hostDown });
  }
  const volumes = px
    .volumes()
    .filter((v) => !v.parentId && v.name.startsWith(`${service}-`))
    .map((v) => ({ id: v.id, name: v.name, shared: false, attachedOn: [...v.attachedOn] }));
  return { at: Date.now(), source: 'simulator', tasks, volumes };
}

/** The outside view: Mesos operator API GET_TASKS / GET_AGENTS and the Portworx SDK. */
export async function outsideTruth(service: string, op: MesosOperatorClient, px: PortworxClient): Promise<Truth> {
  const [agentsView, tasksView, nodes, vols] = await Promise.all([op.getAgents(), op.getTasks(), px.enumerateNodes(), px.inspectVolumeWithFilters({})]);
  const hostOf = new Map<string, string>();
  for (const a of agentsView.agents) if (a.agent_info.id?.value) hostOf.set(a.agent_info.id.value, a.agent_info.hostname);
  const tasks: TruthTask[] = [];
  const add = (list: { task_id: { value: string }; agent_id: { value: string }; state: string }[], reachable: boolean) => {
    for (const t of list) {
      const pod = podOfTask(service, t.task_id.value);
      if (!pod) continue;
      const host = hostOf.get(t.agent_id.value);
      tasks.push({ taskId: t.task_id.value, pod, agentId: t.agent_id.value, hostname: host ?? '', state: t.state, agentUp: reachable && host !== undefined });
    }
  };
  add(tasksView.pending_tasks, true);
  add(tasksView.tasks, true);
  add(tasksView.unreachable_tasks, false);
  // attached_on names the node by id or (as Portworx does) by its management IP.
  const nodeHost = new Map<string, string>();
  for (const n of nodes) {
    const host = n.scheduler_node_name || n.hostname || n.id || '';
    for (const key of [n.id, n.mgmt_ip, n.data_ip]) if (key && !nodeHost.has(key)) nodeHost.set(key, host);
  }
  const volumes: TruthVolume[] = vols
    .filter((v) => !v.volume.source?.parent && (v.name || v.volume.locator?.name || '').startsWith(`${service}-`))
    .map((v) => ({
      id: v.volume.id ?? '',
      name: v.name || v.volume.locator?.name || '',
      shared: v.volume.spec?.shared === true || v.volume.spec?.sharedv4 === true,
      attachedOn: v.volume.attached_on ? [nodeHost.get(v.volume.attached_on) ?? v.volume.attached_on] : [],
    }));
  return { at: Date.now(), source: 'outside', tasks, volumes };
}
