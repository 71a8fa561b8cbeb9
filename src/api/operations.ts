import type { ConfigListView, StoredConfigView } from './config-views';

export type { ConfigListView, StoredConfigView };

/**
 * The contract between the NATS command service (src/api) and the scheduler runtime
 * (src/controller). The command service validates requests and maps errors; the runtime
 * implements these operations. Everything here is plain JSON.
 */

export type StepStatus = 'PENDING' | 'PREPARED' | 'STARTING' | 'COMPLETE' | 'WAITING' | 'ERROR';
export type PlanStatusValue = 'PENDING' | 'IN_PROGRESS' | 'COMPLETE' | 'WAITING' | 'ERROR';

export interface StepView {
  name: string; // pod instance, e.g. node-0
  status: StepStatus;
  message?: string;
}

export interface PhaseView {
  name: string;
  strategy: 'serial' | 'parallel';
  status: PlanStatusValue;
  steps: StepView[];
  /** This phase is paused itself (`plan pause PLAN --phase P`); the plan's own pause is PlanView.paused. */
  paused?: boolean;
}

export interface PlanView {
  name: string; // deploy | recovery | decommission | update | uninstall
  status: PlanStatusValue;
  paused: boolean;
  phases: PhaseView[];
  errors: string[];
}

export interface ConfigShow {
  yaml: string;
  spec: unknown;
  /** The target configuration id (sha256 of its YAML, 12 hex digits). */
  target?: string;
  /** The configuration `config rollback` returns to (null: none). */
  previous?: string | null;
  /** Per pod, the configuration its current task was launched with (null: not recorded). */
  pods?: { name: string; configId: string | null }[];
}

export interface PodView {
  name: string; // <podType>-<index>
  podType: string;
  index: number;
  state: string; // pod machine state, e.g. running
  reason: string | null;
  taskId: string | null;
  taskState: string | null;
  agentId: string | null;
  hostname: string | null;
  volumes: { name: string; id: string | null; replicaHosts: string[] }[];
}

export interface SnapshotView {
  id: string; // group id
  name: string;
  createdAt: string;
  podType: string | null; // null = the whole service
  volumes: { volumeId: string; volumeName: string; snapshotId: string }[];
  /** Set when the snapshot was taken but a post-snapshot command failed afterwards. */
  postCommandsError?: string | null;
}

export interface EndpointView {
  name: string; // <pod type>-<port name>, e.g. node-native
  addresses: string[]; // host:port of each running pod
  /** `<task>.<service>.autoip.dcos.thisdcos.directory:port` of each running pod (same order). */
  dns?: string[];
  podType?: string;
  port?: string;
}

export interface OfferEvaluationView {
  pod: string;
  evaluatedAt: string;
  lines: string[]; // human-readable, one per offer and stage outcome
}

export interface OperationResult {
  accepted: boolean;
  message: string;
}

/** `pxfw <service> status`: what the service is, in one line (issue 10: an uninstalled service says so). */
export interface ServiceStatusView {
  service: string;
  /** The supervisor's state line, e.g. `active(plans=complete,…)` or `uninstalled`. */
  state: string;
  uninstalled: boolean;
  /** One line for people, e.g. `uninstalled at …; volumes retained; pxfw <service> reinstall --yes deploys it again`. */
  message: string;
  /** Set while uninstalling or uninstalled: what the uninstall did (from the tombstone after a restart). */
  uninstall: {
    deleteVolumes: boolean;
    deleteSnapshots: boolean;
    done: string[];
    uninstalledAt: string | null;
    app: string | null;
  } | null;
}

export interface ServiceOperations {
  readonly service: string;

  planList(): Promise<PlanView[]>;
  planStatus(plan: string): Promise<PlanView>;
  /** The plan, or with `phase` that phase only. */
  planPause(plan: string, phase?: string): Promise<PlanView>;
  planResume(plan: string, phase?: string): Promise<PlanView>;
  /** Start a sidecar plan the spec declares, with its parameters (`-p KEY=VALUE`). */
  planStart(plan: string, parameters: Record<string, string>): Promise<PlanView>;
  /** Stop a sidecar plan's run (it stays paused; a start begins anew). */
  planStop(plan: string): Promise<PlanView>;
  planForceComplete(plan: string, phase?: string, step?: string): Promise<PlanView>;
  planRestart(plan: string, phase?: string, step?: string): Promise<PlanView>;

  podList(): Promise<PodView[]>;
  podStatus(pod?: string): Promise<PodView[]>;
  podInfo(pod: string): Promise<PodView & { spec: unknown; history: unknown[] }>;
  podRestart(pod: string): Promise<OperationResult>;
  podReplace(pod: string): Promise<OperationResult>;

  scale(podType: string, count: number): Promise<OperationResult & { plan: PlanView | null }>;

  snapshotCreate(opts: { name?: string; podType?: string }): Promise<SnapshotView>;
  snapshotList(): Promise<SnapshotView[]>;
  snapshotRestore(snapshot: string): Promise<OperationResult>;

  uninstall(opts: { deleteVolumes: boolean; deleteSnapshots: boolean }): Promise<OperationResult>;
  /** Deploy an uninstalled service again (removes its tombstone). Optional: see lifecycle.ts. */
  reinstall?(): Promise<OperationResult>;
  /** Optional: see lifecycle.ts. */
  status?(): Promise<ServiceStatusView>;

  /** Every endpoint, or the one named (404 UNKNOWN_ENDPOINT naming those there are). */
  endpoints(name?: string): Promise<EndpointView[] | EndpointView>;
  debugOffers(pod?: string): Promise<OfferEvaluationView[]>;

  /** The spec, the target configuration id and the id each pod's task was launched with. */
  configShow(): Promise<ConfigShow>;
  /** The configurations stored (the rollback history, oldest first) and which is the target. */
  configList(): Promise<ConfigListView>;
  /** One stored configuration by id or unique prefix (404 UNKNOWN_CONFIG). */
  configGet(id: string): Promise<StoredConfigView>;
  configUpdate(yaml: string): Promise<OperationResult & { changedPods: string[] }>;
  /** Make the previous configuration the target again and run the update plan to it. */
  configRollback(): Promise<OperationResult & { changedPods: string[] }>;
}
