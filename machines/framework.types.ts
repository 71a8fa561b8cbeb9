import type { EffectError } from './effect-error';
import type { PhaseCounts } from './plan-counts';
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

/**
 * `delete-state` deletes the service's state but the tombstone (see docs/operations.md
 * "Tombstone"); `remove-app` removes the scheduler's own Marathon app (a no-op without one).
 */
export type UninstallStep = 'kill-tasks' | 'detach-volumes' | 'dispose-volumes' | 'teardown' | 'delete-state' | 'remove-app';
export const UNINSTALL_STEPS: readonly UninstallStep[] = [
  'kill-tasks',
  'detach-volumes',
  'dispose-volumes',
  'teardown',
  'delete-state',
  'remove-app',
];

export interface UninstallProgress {
  deleteVolumes: boolean;
  deleteSnapshots: boolean;
  done: UninstallStep[];
  /** When the state was deleted (the tombstone's date), from the deleteState effect. */
  uninstalledAt?: string | null;
  /** What the remove-app step did (e.g. `removed Marathon app /cassandra`), for status lines. */
  app?: string | null;
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

/** What a pod instance last reported (POD_STATE). */
export interface PodReport {
  state: string;
  progress: PodProgress;
}

/**
 * The last report per pod instance, in chunks of 64 by index: `podStates[podType][index >> 6][index & 63]`
 * (read it with podReport()). A report copies one chunk and the list of chunks, not a map of every pod.
 */
export type PodStates = Record<string, ((PodReport | null)[] | null)[]>;

/**
 * Kept up to date with every step change and pod report, never persisted (recomputed from the
 * plans and reports on restore: frameworkCounters()): what the guards and advancePlans read.
 */
export interface FrameworkCounters {
  /** One per phase of each plan (plan-counts.ts). */
  deploy: PhaseCounts[];
  decommission: PhaseCounts[];
  /** Pods whose last report is `volume-provisioned` (waiting for an offer). */
  offersWanted: number;
}

export interface FrameworkContext {
  service: string;
  frameworkId: string | null;
  /** Pod instances that exist (including those being decommissioned). */
  pods: StepRef[];
  /** Last reported state per pod instance (podReport()). */
  podStates: PodStates;
  deploy: Plan;
  decommission: Plan;
  /** Derived from the plans and podStates, maintained incrementally. Absent in a snapshot from before them: read it with countersOf(). */
  counters?: FrameworkCounters;
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
  | { type: 'POD_STATE'; podType: string; index: number; state: string; blocked?: boolean; ready?: boolean }
  /** Without a phase: the whole plan (deploy: the supervisor's paused state); with one: that phase only. */
  | { type: 'PLAN_PAUSE'; plan: PlanName; phase?: string }
  | { type: 'PLAN_RESUME'; plan: PlanName; phase?: string }
  | { type: 'PLAN_FORCE_COMPLETE'; plan: PlanName; phase?: string; step?: string }
  | { type: 'PLAN_RESTART'; plan: PlanName; phase?: string; step?: string }
  | { type: 'SCALE'; podType: string; count: number }
  | { type: 'SNAPSHOT_CREATE'; name: string }
  | { type: 'UNINSTALL'; deleteVolumes: boolean; deleteSnapshots: boolean }
  | { type: 'FRAMEWORK_REMOVED' }
  | { type: 'REINSTALL' }
  | { type: 'RETRY' }
  | UninstallPlanUpdate;

/**
 * From the uninstall plan the supervisor runs (`runUninstallPlan`), each time its stored progress
 * changes: the steps complete (in KV), what the last ones returned, and whether it completed or
 * stopped at a failed step (then `error`, and the supervisor is `uninstalling.blocked`).
 */
export interface UninstallPlanUpdate {
  type: 'UNINSTALL_PLAN';
  done: UninstallStep[];
  uninstalledAt?: string | null;
  app?: string | null;
  complete: boolean;
  error: { message: string; retryable: boolean; code?: string } | null;
  /** The step under way failed with a retryable error and tries again after a backoff (why). */
  retrying?: { code: string; message: string } | null;
}

/** What the supervisor starts its uninstall plan with (src/workflows/uninstall-plan-actor.ts). */
export interface UninstallPlanInput {
  service: string;
  frameworkId: string | null;
  deleteVolumes: boolean;
  deleteSnapshots: boolean;
  /** Steps the supervisor's record has done (its mirror of the plan, or an uninstall of an older version). */
  done: UninstallStep[];
  /** Backoff of a step that failed with a retryable error. */
  retry: { initialMs: number; maxMs: number };
}

/* Effect contracts (promise actors bound by src/ with .provide); all idempotent. */
export interface ServiceInput {
  service: string;
}
export interface RestoreStateOutput {
  saved: SavedFrameworkState | null;
  /** Every task the pod records name, for explicit reconciliation. */
  tasks: StoredTask[];
  /**
   * The service was uninstalled: what its tombstone keeps (it wins over `saved`). The supervisor
   * then finishes whatever uninstall step is left and stays `uninstalled` until REINSTALL.
   */
  tombstone?: TombstoneState | null;
}
/** What a tombstone hands back to the supervisor. */
export interface TombstoneState {
  frameworkId: string | null;
  uninstall: UninstallProgress;
}
export interface DeleteStateOutput {
  uninstalledAt: string;
}
export interface RemoveAppOutput {
  /** One line for the operator: what happened to the Marathon app. */
  message: string;
}
export interface ReinstallOutput {
  /** The pod instances the current spec asks for: the new deploy plan. */
  podInstances: StepRef[];
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

/**
 * State tags of the supervisor (`hasTag` / `waitFor` in src/ and tests, in place of state names).
 * A tag on a parent state holds in every state inside it.
 */
export const FRAMEWORK_TAGS = {
  active: 'active',
  uninstalling: 'uninstalling',
  uninstalled: 'uninstalled',
  reinstalling: 'reinstalling',
  /** starting.* and standby: the context is not persisted there. */
  unsaved: 'unsaved',
  deletingState: 'deleting-state',
  /** uninstalling.blocked: the uninstall plan stopped at a step that failed for good (until RETRY). */
  uninstallBlocked: 'uninstall-blocked',
  /** active, with the deploy plan in progress (not paused, not complete): more pods will want offers. */
  deploying: 'deploying',
} as const;
