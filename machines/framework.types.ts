import type { EffectError } from './effect-error';
import type { Plan, PlanSpec, PodProgress, StepRef } from './plan';

export interface FrameworkTiming {
  /** Effect retry backoff (restoreState, acquireLease, uninstall steps). */
  retryInitialMs: number;
  retryMaxMs: number;
  /** Standby: how often to try for the leader lease again. */
  leaseRetryMs: number;
  /** Re-issue SUBSCRIBE when no SUBSCRIBED arrived in this time. */
  subscribeTimeoutMs: number;
  /** Explicit reconciliation backoff (dcos-commons: 4 s doubling to 30 s). */
  reconcileInitialMs: number;
  reconcileMaxMs: number;
  /** While offers are wanted, REVIVE again this often (a revive also clears decline filters). */
  reviveIntervalMs: number;
}

export interface FrameworkInput {
  service: string;
  podInstances: StepRef[];
  plans: { deploy: PlanSpec };
  timing?: Partial<FrameworkTiming>;
}

export type UninstallStep = 'kill-tasks' | 'detach-volumes' | 'dispose-volumes' | 'teardown' | 'delete-state';
export const UNINSTALL_STEPS: readonly UninstallStep[] = [
  'kill-tasks',
  'detach-volumes',
  'dispose-volumes',
  'teardown',
  'delete-state',
];

export interface UninstallProgress {
  deleteVolumes: boolean;
  deleteSnapshots: boolean;
  done: UninstallStep[];
}

export interface SnapshotResult {
  name: string;
  status: 'succeeded' | 'failed';
  snapshotIds: string[];
  error: string | null;
  postCommandsError: string | null;
}

export interface StoredTask {
  taskId: string;
  agentId: string;
}

/** What the runtime keeps in KV for the supervisor and hands back through restoreState. */
export interface SavedFrameworkState {
  frameworkId: string | null;
  pods: StepRef[];
  deploy: Plan;
  decommission: Plan;
  uninstall: UninstallProgress | null;
  lastSnapshot: SnapshotResult | null;
}

export interface FrameworkContext {
  service: string;
  frameworkId: string | null;
  /** Pod instances that exist (including those being decommissioned). */
  pods: StepRef[];
  /** Last reported state per pod instance name (`<podType>-<index>`). */
  podStates: Record<string, { state: string; progress: PodProgress }>;
  deploy: Plan;
  decommission: Plan;
  reconcile: { tasks: StoredTask[]; attempt: number };
  snapshot: { current: SnapshotResult | null; lastResult: SnapshotResult | null };
  uninstall: UninstallProgress | null;
  leaseHolder: string | null;
  timing: FrameworkTiming;
  retries: number;
  lastError: EffectError | null;
  /** The last operator command that could not apply, and why. */
  rejected: { event: string; reason: string } | null;
  reason: string;
  lastEvent: string;
}

export type PlanName = 'deploy' | 'decommission';

export type FrameworkEvent =
  | { type: 'SUBSCRIBED'; frameworkId: string }
  | { type: 'DISCONNECTED'; reason?: string }
  | { type: 'LEASE_LOST' }
  | { type: 'TASK_UPDATE'; taskId: string; state: string }
  | { type: 'POD_STATE'; podType: string; index: number; state: string; blocked?: boolean }
  | { type: 'PLAN_PAUSE'; plan: PlanName }
  | { type: 'PLAN_RESUME'; plan: PlanName }
  | { type: 'PLAN_FORCE_COMPLETE'; plan: PlanName; phase?: string; step?: string }
  | { type: 'PLAN_RESTART'; plan: PlanName; phase?: string; step?: string }
  | { type: 'SCALE'; podType: string; count: number }
  | { type: 'SNAPSHOT_CREATE'; name: string }
  | { type: 'UNINSTALL'; deleteVolumes: boolean; deleteSnapshots: boolean }
  | { type: 'FRAMEWORK_REMOVED' }
  | { type: 'RETRY' };

/* Effect contracts (promise actors bound by src/ with .provide); all idempotent. */
export interface ServiceInput {
  service: string;
}
export interface RestoreStateOutput {
  saved: SavedFrameworkState | null;
  /** Every task the pod records name, for explicit reconciliation. */
  tasks: StoredTask[];
}
export interface AcquireLeaseOutput {
  acquired: boolean;
  holder: string | null;
}
/** An empty task list asks for implicit reconciliation. */
export interface ReconcileInput {
  tasks: StoredTask[];
}
export interface SnapshotInput {
  service: string;
  name: string;
}
export interface GroupSnapshotOutput {
  snapshotIds: string[];
}
export interface DisposeAllInput {
  service: string;
  deleteVolumes: boolean;
  deleteSnapshots: boolean;
}
