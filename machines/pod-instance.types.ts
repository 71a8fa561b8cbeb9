import type { EffectError } from './effect-error';
import type { TaskState } from './task-status';

/** A Portworx volume of the pod; `name` is deterministic: <service>-<podType>-<index>-<volume>. */
export interface PodVolume {
  name: string;
  id?: string | null;
}

export interface PodTiming {
  /** Effect retry backoff (ensureVolumes, fence, checkVolumes, killTask, release, dispose). */
  retryInitialMs: number;
  retryMaxMs: number;
  /** How long a launched task may stay short of TASK_RUNNING before it is killed and re-placed. */
  launchTimeoutMs: number;
  /** How long to wait for a terminal update after a kill before sending the kill again. */
  killTimeoutMs: number;
  /** Crash-loop backoff before a transient relaunch. */
  relaunchInitialMs: number;
  relaunchMaxMs: number;
  /** Running this long without failing resets the crash-loop counter. */
  stableAfterMs: number;
}

export interface PodInstanceInput {
  service: string;
  podType: string;
  index: number;
  volumes: PodVolume[];
  failurePolicy: {
    permanentFailureTimeoutMs: number;
    autoReplace: boolean;
    /** Consecutive launch failures before the volumes are fenced (stale attachment suspected). */
    maxLaunchFailures?: number;
  };
  convergence: { mode: 'soft' | 'hard'; maxWaitMs: number };
  /** 'stopped' provisions the volumes and parks the pod in `stopped` (e.g. before a restore). */
  goal?: 'running' | 'stopped';
  timing?: Partial<PodTiming>;
}

export interface TaskRef {
  taskId: string;
  agentId: string;
  hostname: string;
  offerId: string;
}

export type PermanentTrigger =
  | 'operator-replace'
  | 'gone-by-operator'
  | 'task-gone'
  | 'task-unknown'
  | 'agent-gone'
  | 'node-offline'
  | 'unreachable-timeout'
  | 'launch-failures';

export interface PodFailure {
  kind: 'transient' | 'permanent';
  trigger: PermanentTrigger | 'task-ended' | 'launch-timeout' | 'operator-restart';
  reason: string;
  /** Host to keep the relaunch away from after fencing (null: any host will do). */
  excludeHost: string | null;
}

export interface PodInstanceContext {
  service: string;
  podType: string;
  index: number;
  /** `<podType>-<index>`: the pod instance name operators use. */
  name: string;
  volumes: { name: string; id: string | null }[];
  failurePolicy: { permanentFailureTimeoutMs: number; autoReplace: boolean; maxLaunchFailures: number };
  convergence: { mode: 'soft' | 'hard'; maxWaitMs: number };
  goal: 'running' | 'stopped';
  timing: PodTiming;
  /** The one task this pod may have alive; null when none can be running. */
  task: TaskRef | null;
  taskState: TaskState | null;
  healthy: boolean | null;
  /** The previous task, kept for fencing and relaunch-in-place. */
  lastTask: TaskRef | null;
  /** Set on a permanent failure, cleared only when fence completed: no placement in between. */
  needsFence: boolean;
  /** Relaunch in place: the agent placement should try first. */
  preferAgent: string | null;
  /** Hosts placement must avoid (the fenced host after a permanent failure). */
  excludeHosts: string[];
  /** Hosts holding a healthy replica, as reported by checkVolumes. */
  replicaHosts: string[];
  /** Soft convergence gave up waiting for a replica holder: any host that fits will do. */
  allowNonHolder: boolean;
  failure: PodFailure | null;
  /** Attempts of the effect currently being retried. */
  retries: number;
  lastError: EffectError | null;
  launchFailures: number;
  /** Why the last launch failed (kept while placement retries, cleared once a task runs). */
  launchFailure: string | null;
  consecutiveFailures: number;
  stop: { mode: 'stop' | 'decommission'; volumes: 'delete' | 'retain' } | null;
  /** Short human reason for the current state (shown in the transition log). */
  reason: string;
  lastEvent: string;
}

export type PodInstanceEvent =
  | { type: 'PLACE'; taskId: string; agentId: string; hostname: string; offerId: string }
  | {
      type: 'TASK_UPDATE';
      taskId: string;
      state: TaskState;
      reason?: string;
      message?: string;
      agentId?: string;
      healthy?: boolean;
    }
  | { type: 'AGENT_GONE'; agentId: string }
  | { type: 'NODE_OFFLINE'; hostname: string }
  | { type: 'REPLACE' }
  | { type: 'RESTART' }
  | { type: 'STOP' }
  | { type: 'START' }
  | { type: 'DECOMMISSION'; volumes: 'delete' | 'retain' }
  | { type: 'RETRY' }
  | { type: 'RESUMED' };

/* Effect contracts: src/ binds each with machine.provide({ actors: { name: fromPromise(...) } }).
 * Every effect must be idempotent: a restored actor re-runs the effect it was in. */

export interface EnsureVolumesInput {
  service: string;
  podType: string;
  index: number;
  volumes: { name: string; id: string | null }[];
}
export interface EnsureVolumesOutput {
  volumes: { name: string; id: string }[];
}

/** Kill the task if its agent answers; force-detach every volume from every node holding it. */
export interface FenceInput {
  service: string;
  pod: string;
  taskId: string | null;
  agentId: string | null;
  hostname: string | null;
  volumeIds: string[];
}

export interface CheckVolumesInput {
  volumeIds: string[];
}
/** Throw a non-retryable error when a volume has no healthy replica left. */
export interface CheckVolumesOutput {
  replicaHosts: string[];
}

export interface KillTaskInput {
  taskId: string;
  agentId: string;
}
/** terminal: the effect already knows the task is gone (agent gone, task unknown to Mesos). */
export interface KillTaskOutput {
  terminal: boolean;
}

export interface ReleaseVolumesInput {
  volumeIds: string[];
  hostname: string | null;
}

export interface DisposeVolumesInput {
  volumes: { name: string; id: string | null }[];
  policy: 'delete' | 'retain';
}
