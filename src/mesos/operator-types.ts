import type {
  AgentID,
  AgentInfo,
  ExecutorInfo,
  FrameworkID,
  FrameworkInfo,
  MasterInfo,
  Offer,
  Resource,
  Task,
  TaskState,
  TaskStatus,
  TimeInfo,
} from './types';

/** Operator API (`/api/v1` on the master) messages, as in master/master.proto. */

export interface OperatorAgent {
  agent_info: AgentInfo;
  active: boolean;
  version: string;
  pid?: string;
  registered_time?: TimeInfo;
  reregistered_time?: TimeInfo;
  total_resources?: Resource[];
  allocated_resources?: Resource[];
  offered_resources?: Resource[];
  capabilities?: { type: 'UNKNOWN' | 'MULTI_ROLE' | 'HIERARCHICAL_ROLE' | 'RESERVATION_REFINEMENT' }[];
}

export interface GetAgents { agents?: OperatorAgent[]; recovered_agents?: AgentInfo[] }

export interface GetTasks {
  pending_tasks?: Task[];
  tasks?: Task[];
  unreachable_tasks?: Task[];
  completed_tasks?: Task[];
  orphan_tasks?: Task[];
}

export interface OperatorFramework {
  framework_info: FrameworkInfo;
  active: boolean;
  connected: boolean;
  recovered: boolean;
  registered_time?: TimeInfo;
  reregistered_time?: TimeInfo;
  unregistered_time?: TimeInfo;
  offers?: Offer[];
  allocated_resources?: Resource[];
  offered_resources?: Resource[];
}

export interface GetFrameworks {
  frameworks?: OperatorFramework[];
  completed_frameworks?: OperatorFramework[];
  recovered_frameworks?: FrameworkInfo[];
}

export interface GetExecutors {
  executors?: { executor_info: ExecutorInfo; agent_id: AgentID }[];
  orphan_executors?: { executor_info: ExecutorInfo; agent_id: AgentID }[];
}

export interface GetState {
  get_tasks?: GetTasks;
  get_executors?: GetExecutors;
  get_frameworks?: GetFrameworks;
  get_agents?: GetAgents;
}

export const OPERATOR_CALL_TYPES = ['GET_AGENTS', 'GET_TASKS', 'GET_STATE', 'GET_MASTER', 'SUBSCRIBE', 'MARK_AGENT_GONE'] as const;

/**
 * MARK_AGENT_GONE is a Mesos 1.5 call (type 32, field 17); it is not in the 1.4 protos that
 * DESIGN.md names, so a strict 1.4 checker will reject it. It is sent only by operators.
 */
export type OperatorCall =
  | { type: 'GET_AGENTS' }
  | { type: 'GET_TASKS' }
  | { type: 'GET_STATE' }
  | { type: 'GET_MASTER' }
  | { type: 'SUBSCRIBE' }
  | { type: 'MARK_AGENT_GONE'; mark_agent_gone: { agent_id: AgentID } };

export type OperatorResponse =
  | { type: 'GET_AGENTS'; get_agents?: GetAgents }
  | { type: 'GET_TASKS'; get_tasks?: GetTasks }
  | { type: 'GET_STATE'; get_state?: GetState }
  | { type: 'GET_MASTER'; get_master?: { master_info?: MasterInfo } };

export const OPERATOR_EVENT_TYPES = [
  'SUBSCRIBED',
  'TASK_ADDED',
  'TASK_UPDATED',
  'AGENT_ADDED',
  'AGENT_REMOVED',
  'FRAMEWORK_ADDED',
  'FRAMEWORK_UPDATED',
  'FRAMEWORK_REMOVED',
  'HEARTBEAT',
] as const;
export type OperatorEventType = (typeof OPERATOR_EVENT_TYPES)[number];

export type OperatorEvent =
  | {
      type: 'SUBSCRIBED';
      /** heartbeat_interval_seconds is Mesos 1.5+. */
      subscribed: { get_state?: GetState; heartbeat_interval_seconds?: number };
    }
  | { type: 'TASK_ADDED'; task_added: { task: Task } }
  | { type: 'TASK_UPDATED'; task_updated: { framework_id: FrameworkID; status: TaskStatus; state: TaskState } }
  | { type: 'AGENT_ADDED'; agent_added: { agent: OperatorAgent } }
  | { type: 'AGENT_REMOVED'; agent_removed: { agent_id: AgentID } }
  | { type: 'FRAMEWORK_ADDED'; framework_added: { framework: OperatorFramework } }
  | { type: 'FRAMEWORK_UPDATED'; framework_updated: { framework: OperatorFramework } }
  | { type: 'FRAMEWORK_REMOVED'; framework_removed: { framework_info: FrameworkInfo } }
  /** Mesos 1.5+. */
  | { type: 'HEARTBEAT' };
