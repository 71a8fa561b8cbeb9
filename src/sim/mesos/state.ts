import type { SimTaskChecks } from './task-checks';
import type { EventStream } from './event-stream';
import type { DockerVolume, VolumeMount } from './isolator';
import type { Res } from './resources';

export type Json = Record<string, unknown>;

export const TERMINAL_STATES = new Set([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
]);

export function isTerminal(state: string): boolean {
  return TERMINAL_STATES.has(state);
}

/**
 * The master's view of an agent:
 * - registered: admitted and (as far as the master knows) connected. A crashed host stays
 *   `registered` (with `hostDown`) until the ping timeouts expire: a dead host is silent.
 * - disconnected: the agent process is down (restart): its socket broke, so the master stopped
 *   offering it and holds KILLs until it re-registers.
 * - recovering: after a master failover, admitted in the registry but not re-registered yet; the
 *   new master knows none of its tasks.
 * - unreachable: marked unreachable (partition, or ping timeouts after a crash).
 * - removed: removed from the cluster (unregistered, or replaced by a new agent at its address).
 * - gone: marked gone by the operator (MARK_AGENT_GONE).
 */
export type AgentState = 'registered' | 'disconnected' | 'recovering' | 'unreachable' | 'removed' | 'gone';

/** mesos.ContainerID as JSON: a nested container names its parent. */
export interface ContainerIdJson {
  value: string;
  parent?: ContainerIdJson;
}

export interface SimExecutor {
  frameworkId: string;
  executorId: string;
  /** The executor's top-level container; the tasks of a task group run nested under it. */
  containerId: string;
  info: Json;
  resources: Res;
  tasks: Set<SimTask>;
}

export interface SimAgent {
  id: string;
  hostname: string;
  index: number;
  rack: string;
  zone: string;
  region: string;
  state: AgentState;
  total: Res;
  used: Res;
  offered: Res;
  offers: Set<string>;
  tasks: Set<SimTask>;
  /** Keyed by `${frameworkId}/${executorId}`. */
  executors: Map<string, SimExecutor>;
  registeredAt: number;
  reregisteredAt?: number;
  unreachableAt?: number;
  /** The host is dead (crashAgent): nothing runs there and nothing comes from it. */
  hostDown: boolean;
  crashedAt?: number;
  /** Pending transitions by kind: ping timeouts, a restart, a reboot, a re-registration after failover. */
  timers: Map<AgentTimer, NodeJS.Timeout>;
  /** KILLs the master could not forward while the agent was disconnected; sent on re-registration. */
  killedTasks: Set<string>;
}

export type AgentTimer = 'ping' | 'restart' | 'reboot' | 'reregister' | 'reregister-timeout';

export interface PendingUpdate {
  status: Json;
  state: string;
  uuid: string;
  /** The master has seen it (it was sent while the agent was connected). */
  seen: boolean;
}

export interface SimTask {
  id: string;
  frameworkId: string;
  agentId: string;
  executorId?: string;
  /** Tasks launched in one LAUNCH_GROUP share a group; the default executor kills the group together. */
  group?: SimTask[];
  name: string;
  info: Json;
  resources: Res;
  resourcesWire: unknown[];
  /** The container the task runs in (TaskStatus.container_status.container_id). */
  containerId: ContainerIdJson;
  /** The task's true state on its agent. */
  state: string;
  /** The latest state the master has seen (Task.state in the master); undefined before any update. */
  masterState?: string;
  /** Status updates the master has seen for the task (Task.statuses), latest last. */
  statuses: Json[];
  statusUpdateState?: string;
  statusUpdateUuid?: string;
  volumes: (DockerVolume & { containerPath: string; mode: string })[];
  mounts: VolumeMount[];
  prepared: boolean;
  /** Volumes released (isolator.release called if they were prepared). */
  released: boolean;
  /** Resources and executor share returned to the agent. */
  freed: boolean;
  killRequested: boolean;
  /** Agent-side reliable delivery queue (the agent's status update manager). */
  pending: PendingUpdate[];
  retryTimer?: NodeJS.Timeout;
  retryDelayMs: number;
  lifecycleTimer?: NodeJS.Timeout;
  /** The executor's checkers of TaskInfo.check / health_check (task-checks.ts); absent: none. */
  checks?: SimTaskChecks | undefined;
}

export interface Filter {
  until: number;
  resources: Res;
}

export interface SimFramework {
  id: string;
  info: Json;
  name: string;
  partitionAware: boolean;
  multiRole: boolean;
  regionAware: boolean;
  taskKillingState: boolean;
  role: string;
  stream?: EventStream;
  streamId?: string;
  connected: boolean;
  suppressed: boolean;
  filters: Map<string, Filter>;
  offers: Set<string>;
  tasks: Map<string, SimTask>;
  registeredAt: number;
  reregisteredAt?: number;
  failoverTimer?: NodeJS.Timeout;
}

export interface SimOffer {
  id: string;
  frameworkId: string;
  agentId: string;
  resources: Res;
  role: string;
  timer?: NodeJS.Timeout;
}

/** A finished task as kept for GET_TASKS completed_tasks. */
export interface CompletedTask {
  task: SimTask;
  finalState: string;
}
