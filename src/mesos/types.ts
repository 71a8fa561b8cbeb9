/**
 * Mesos v1 JSON messages used by pxfw. Field names are the proto field names (snake_case), as
 * the master's JSON codec writes them; checked against the mesos-go 0.0.6 protos
 * (mesos.proto, scheduler/scheduler.proto, master/master.proto, about Mesos 1.4).
 * Repeated fields may be absent on the wire (JSON omits empty lists), so they are optional here.
 * int64 fields arrive as JSON numbers that can exceed 2^53: lossless parsing yields bigint then.
 */

/** A proto int64/uint64 after lossless JSON parsing. */
export type Int64 = number | bigint;

export interface FrameworkID { value: string }
export interface OfferID { value: string }
export interface AgentID { value: string }
export interface TaskID { value: string }
export interface ExecutorID { value: string }
export interface ContainerID { value: string; parent?: ContainerID }

export interface TimeInfo { nanoseconds: Int64 }
export interface DurationInfo { nanoseconds: Int64 }

export interface Label { key: string; value?: string }
export interface Labels { labels?: Label[] }
export interface Parameter { key: string; value: string }
export interface Parameters { parameter?: Parameter[] }

export const FRAMEWORK_CAPABILITIES = [
  'UNKNOWN',
  'REVOCABLE_RESOURCES',
  'TASK_KILLING_STATE',
  'GPU_RESOURCES',
  'SHARED_RESOURCES',
  'PARTITION_AWARE',
  'MULTI_ROLE',
  'RESERVATION_REFINEMENT',
  'REGION_AWARE',
] as const;
export type FrameworkCapabilityType = (typeof FRAMEWORK_CAPABILITIES)[number];

export interface FrameworkInfo {
  user: string;
  name: string;
  id?: FrameworkID;
  failover_timeout?: number;
  checkpoint?: boolean;
  roles?: string[];
  hostname?: string;
  principal?: string;
  webui_url?: string;
  capabilities?: { type: FrameworkCapabilityType }[];
  labels?: Labels;
}

// ---- values and resources -------------------------------------------------------------------

export const VALUE_TYPES = ['SCALAR', 'RANGES', 'SET', 'TEXT'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export interface Scalar { value: number }
export interface Range { begin: Int64; end: Int64 }
export interface Ranges { range?: Range[] }
export interface ValueSet { item?: string[] }
export interface Text { value: string }

export interface Attribute {
  name: string;
  type: ValueType;
  scalar?: Scalar;
  ranges?: Ranges;
  set?: ValueSet;
  text?: Text;
}

export interface AllocationInfo { role?: string }

export const RESERVATION_TYPES = ['UNKNOWN', 'STATIC', 'DYNAMIC'] as const;
export interface ReservationInfo {
  type?: (typeof RESERVATION_TYPES)[number];
  role?: string;
  principal?: string;
  labels?: Labels;
}

export interface DiskInfo {
  persistence?: { id: string; principal?: string };
  volume?: Volume;
  source?: { type: 'UNKNOWN' | 'PATH' | 'MOUNT'; path?: { root?: string }; mount?: { root?: string } };
}

export interface Resource {
  provider_id?: { value: string };
  name: string;
  type: ValueType;
  scalar?: Scalar;
  ranges?: Ranges;
  set?: ValueSet;
  /** Deprecated by MULTI_ROLE; "*" (unreserved) when absent. */
  role?: string;
  allocation_info?: AllocationInfo;
  reservation?: ReservationInfo;
  reservations?: ReservationInfo[];
  disk?: DiskInfo;
  revocable?: Record<string, never>;
  shared?: Record<string, never>;
}

// ---- agents, domains, offers ----------------------------------------------------------------

export interface DomainInfo {
  fault_domain?: { region: { name: string }; zone: { name: string } };
}

export interface Address { hostname?: string; ip?: string; port: number }
export interface MesosURL {
  scheme: string;
  address: Address;
  path?: string;
  query?: Parameter[];
  fragment?: string;
}

export interface AgentInfo {
  hostname: string;
  port?: number;
  resources?: Resource[];
  attributes?: Attribute[];
  id?: AgentID;
  domain?: DomainInfo;
}

export interface MasterInfo {
  id: string;
  ip: number;
  port: number;
  pid?: string;
  hostname?: string;
  version?: string;
  address?: Address;
  domain?: DomainInfo;
}

export interface Unavailability { start: TimeInfo; duration?: DurationInfo }

export interface Offer {
  id: OfferID;
  framework_id: FrameworkID;
  agent_id: AgentID;
  hostname: string;
  url?: MesosURL;
  domain?: DomainInfo;
  resources?: Resource[];
  attributes?: Attribute[];
  executor_ids?: ExecutorID[];
  unavailability?: Unavailability;
  allocation_info?: AllocationInfo;
}

export interface InverseOffer {
  id: OfferID;
  url?: MesosURL;
  framework_id: FrameworkID;
  agent_id?: AgentID;
  unavailability: Unavailability;
  resources?: Resource[];
}

// ---- tasks, executors, containers -----------------------------------------------------------

export interface EnvironmentVariable {
  name: string;
  type?: 'UNKNOWN' | 'VALUE' | 'SECRET';
  value?: string;
}

export interface CommandInfo {
  uris?: { value: string; executable?: boolean; extract?: boolean; cache?: boolean; output_file?: string }[];
  environment?: { variables?: EnvironmentVariable[] };
  shell?: boolean;
  value?: string;
  arguments?: string[];
  user?: string;
}

export interface Image {
  type: 'APPC' | 'DOCKER';
  docker?: { name: string };
  appc?: { name: string; id?: string; labels?: Labels };
  cached?: boolean;
}

export const VOLUME_SOURCE_TYPES = ['UNKNOWN', 'DOCKER_VOLUME', 'SANDBOX_PATH', 'SECRET'] as const;

export interface DockerVolume {
  driver?: string;
  name: string;
  driver_options?: Parameters;
}

export interface Volume {
  mode: 'RW' | 'RO';
  container_path: string;
  host_path?: string;
  image?: Image;
  source?: {
    type?: (typeof VOLUME_SOURCE_TYPES)[number];
    docker_volume?: DockerVolume;
    sandbox_path?: { type?: 'UNKNOWN' | 'SELF' | 'PARENT'; path: string };
  };
}

export interface ContainerInfo {
  type: 'DOCKER' | 'MESOS';
  volumes?: Volume[];
  hostname?: string;
  mesos?: { image?: Image };
  docker?: { image: string; network?: 'HOST' | 'BRIDGE' | 'NONE' | 'USER'; privileged?: boolean };
}

export const EXECUTOR_TYPES = ['UNKNOWN', 'DEFAULT', 'CUSTOM'] as const;
export interface ExecutorInfo {
  type?: (typeof EXECUTOR_TYPES)[number];
  executor_id: ExecutorID;
  framework_id?: FrameworkID;
  command?: CommandInfo;
  container?: ContainerInfo;
  resources?: Resource[];
  name?: string;
  labels?: Labels;
}

export interface KillPolicy { grace_period?: DurationInfo }

export interface TaskInfo {
  name: string;
  task_id: TaskID;
  agent_id: AgentID;
  resources?: Resource[];
  executor?: ExecutorInfo;
  command?: CommandInfo;
  container?: ContainerInfo;
  kill_policy?: KillPolicy;
  labels?: Labels;
}

export interface TaskGroupInfo { tasks?: TaskInfo[] }

export const TASK_STATES = [
  'TASK_STAGING',
  'TASK_STARTING',
  'TASK_RUNNING',
  'TASK_KILLING',
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_UNREACHABLE',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
  'TASK_UNKNOWN',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** States after which the task will never run again (as Mesos defines terminal). */
export const TERMINAL_TASK_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
]);

export const TASK_STATUS_SOURCES = ['SOURCE_MASTER', 'SOURCE_AGENT', 'SOURCE_EXECUTOR'] as const;
export type TaskStatusSource = (typeof TASK_STATUS_SOURCES)[number];

export const TASK_STATUS_REASONS = [
  'REASON_COMMAND_EXECUTOR_FAILED',
  'REASON_CONTAINER_LAUNCH_FAILED',
  'REASON_CONTAINER_LIMITATION',
  'REASON_CONTAINER_LIMITATION_DISK',
  'REASON_CONTAINER_LIMITATION_MEMORY',
  'REASON_CONTAINER_PREEMPTED',
  'REASON_CONTAINER_UPDATE_FAILED',
  'REASON_EXECUTOR_REGISTRATION_TIMEOUT',
  'REASON_EXECUTOR_REREGISTRATION_TIMEOUT',
  'REASON_EXECUTOR_TERMINATED',
  'REASON_EXECUTOR_UNREGISTERED',
  'REASON_FRAMEWORK_REMOVED',
  'REASON_GC_ERROR',
  'REASON_INVALID_FRAMEWORKID',
  'REASON_INVALID_OFFERS',
  'REASON_IO_SWITCHBOARD_EXITED',
  'REASON_MASTER_DISCONNECTED',
  'REASON_RECONCILIATION',
  'REASON_RESOURCES_UNKNOWN',
  'REASON_AGENT_DISCONNECTED',
  'REASON_AGENT_REMOVED',
  'REASON_AGENT_RESTARTED',
  'REASON_AGENT_UNKNOWN',
  'REASON_TASK_KILLED_DURING_LAUNCH',
  'REASON_TASK_CHECK_STATUS_UPDATED',
  'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED',
  'REASON_TASK_GROUP_INVALID',
  'REASON_TASK_GROUP_UNAUTHORIZED',
  'REASON_TASK_INVALID',
  'REASON_TASK_UNAUTHORIZED',
  'REASON_TASK_UNKNOWN',
  // Mesos 1.5+ (absent from the 1.4 protos; DESIGN.md allows a checker to add it).
  'REASON_AGENT_REREGISTERED',
] as const;
export type TaskStatusReason = (typeof TASK_STATUS_REASONS)[number];

export interface TaskStatus {
  task_id: TaskID;
  state: TaskState;
  message?: string;
  source?: TaskStatusSource;
  reason?: TaskStatusReason;
  /** bytes: base64 in JSON. */
  data?: string;
  agent_id?: AgentID;
  executor_id?: ExecutorID;
  /** Seconds since the epoch (a double). */
  timestamp?: number;
  /** bytes: base64 in JSON. Present only on updates that need an acknowledgement. */
  uuid?: string;
  healthy?: boolean;
  labels?: Labels;
  container_status?: { container_id?: ContainerID; executor_pid?: number };
  unreachable_time?: TimeInfo;
}

export interface Task {
  name: string;
  task_id: TaskID;
  framework_id: FrameworkID;
  executor_id?: ExecutorID;
  agent_id: AgentID;
  state: TaskState;
  resources?: Resource[];
  statuses?: TaskStatus[];
  status_update_state?: TaskState;
  status_update_uuid?: string;
  labels?: Labels;
  container?: ContainerInfo;
  user?: string;
}

export interface Filters { refuse_seconds?: number }

// ---- offer operations -----------------------------------------------------------------------

export type OfferOperation =
  | { type: 'LAUNCH'; launch: { task_infos: TaskInfo[] } }
  | { type: 'LAUNCH_GROUP'; launch_group: { executor: ExecutorInfo; task_group: TaskGroupInfo } }
  | { type: 'RESERVE'; reserve: { resources: Resource[] } }
  | { type: 'UNRESERVE'; unreserve: { resources: Resource[] } }
  | { type: 'CREATE'; create: { volumes: Resource[] } }
  | { type: 'DESTROY'; destroy: { volumes: Resource[] } };

export * from './scheduler-types';
export * from './operator-types';
