import type { EffectError } from './effect-error';
import type { CheckStatusInfo, TaskState } from './task-status';

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
  /** Probation when `failurePolicy.probationMs` is not given (the runtime scales it with time). */
  probationMs: number;
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
    /** How long evidence that the task's host is down must last before it is confirmed (default 10 s). */
    probationMs?: number;
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

/**
 * Why the pod's task or host is written off. `host-down` is the only one that rests on
 * probation: evidence that the host is down (Mesos or Portworx), confirmed at the end of it.
 * `launch-failures` fences a stale attachment without moving the pod.
 */
export type PermanentTrigger =
  | 'operator-replace'
  | 'gone-by-operator'
  | 'task-unknown'
  | 'host-down'
  | 'launch-failures';

/** Where evidence that a host is down comes from. */
export type EvidenceSource = 'mesos' | 'portworx';

export interface PodFailure {
  kind: 'transient' | 'permanent';
  /** task-lost / agent-gone: the task died with its agent; release the volumes, relaunch (no move). */
  trigger: PermanentTrigger | 'task-ended' | 'launch-timeout' | 'operator-restart' | 'task-lost' | 'agent-gone';
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
  failurePolicy: { permanentFailureTimeoutMs: number; autoReplace: boolean; maxLaunchFailures: number; probationMs: number };
  convergence: { mode: 'soft' | 'hard'; maxWaitMs: number };
  goal: 'running' | 'stopped';
  timing: PodTiming;
  /** The one task this pod may have alive; null when none can be running. */
  task: TaskRef | null;
  taskState: TaskState | null;
  /** The current task has reported TASK_RUNNING at least once. */
  taskHasRun: boolean;
  /** TaskStatus.healthy of the current task's last update (null: not health checked, or no result yet). */
  healthy: boolean | null;
  /** The current task was launched with a readiness check (TaskInfo.check); false: ready = running. */
  readinessCheck: boolean;
  /** The last readiness check result of the current task (null: none yet). */
  checkPassed: boolean | null;
  /** The configuration id the current (or last) task was launched with (null: not known). */
  configId: string | null;
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
  /**
   * Evidence that the current task's host is down, by source (a one-line reason, null: none).
   * Non-empty only on probation (`running.suspect`); TASK_RUNNING or HOST_UP clears it.
   */
  suspicion: { mesos: string | null; portworx: string | null };
  /** The pod is being moved to another host (granted a replacement): cleared once it runs again. */
  replacing: boolean;
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
  | {
      type: 'PLACE';
      taskId: string;
      agentId: string;
      hostname: string;
      offerId: string;
      /** The task is launched with a readiness check: the pod is ready only once it passes. */
      readinessCheck?: boolean;
      /** The configuration id the task is launched with. */
      configId?: string;
    }
  | {
      type: 'TASK_UPDATE';
      taskId: string;
      state: TaskState;
      reason?: string;
      message?: string;
      agentId?: string;
      /** TaskStatus.healthy: the health check's verdict (absent: no health check or no result yet). */
      healthy?: boolean;
      /** TaskStatus.check_status: the readiness check's last result (every update of a checked task has one). */
      checkStatus?: CheckStatusInfo;
    }
  /** The agent was removed from the cluster (its tasks are dead; the host may come back). */
  | { type: 'AGENT_GONE'; agentId: string }
  /** Evidence that a host is down: Portworx node OFFLINE, or Mesos lost the agent (FAILURE). */
  | { type: 'HOST_DOWN'; hostname: string; source: EvidenceSource; reason: string }
  /** The host is alive again for `source` (all sources when absent): Portworx node not OFFLINE. */
  | { type: 'HOST_UP'; hostname: string; source?: EvidenceSource }
  /** The replacement governor gave this pod a slot. */
  | { type: 'REPLACE_GRANTED' }
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

/**
 * Send the task a KILL (best effort; wait for it to end only while its host is up), then
 * force-detach every volume from every node holding it and re-inspect until Portworx confirms
 * the attachment is gone.
 */
export interface FenceInput {
  service: string;
  pod: string;
  taskId: string | null;
  agentId: string | null;
  hostname: string | null;
  volumeIds: string[];
}

/** At the end of probation: re-read the evidence (agent API, Portworx node, Mesos) now. */
export interface ConfirmHostDownInput {
  taskId: string;
  agentId: string;
  hostname: string;
  suspicion: { mesos: string | null; portworx: string | null };
}
/** down: the host is confirmed down (and the agent does not answer); reason says by what. */
export interface ConfirmHostDownOutput {
  down: boolean;
  reason: string;
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
  /** Set by the stop path: a task the master forgot (UNKNOWN) or whose host is down counts as ended. */
  stopping?: boolean;
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
