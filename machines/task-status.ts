/**
 * Mesos task states (v1 JSON enum names) and how a pod instance reacts to each. The framework
 * subscribes PARTITION_AWARE, so it sees UNREACHABLE / GONE / GONE_BY_OPERATOR / UNKNOWN /
 * DROPPED instead of LOST; LOST is still classified in case an older master sends it.
 */
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

/** The reason Mesos gives when the container (and its volume mount) could not be set up. */
export const LAUNCH_FAILED_REASONS: readonly string[] = [
  'REASON_CONTAINER_LAUNCH_FAILED',
  'REASON_CONTAINER_PREEMPTED',
];

/**
 * What an update means for the pod:
 * - progress: still launching (STAGING, STARTING, KILLING);
 * - running: the task runs;
 * - launch-failed: the task never started (ERROR, DROPPED, or FAILED while launching the container);
 * - transient: the task ended and its agent reported it, so the host is alive: relaunch in place;
 * - unreachable: the agent lost contact; the task may still be running (and writing);
 * - permanent: the task is gone with its agent, or the master no longer knows it.
 */
export type TaskOutcome = 'progress' | 'running' | 'launch-failed' | 'transient' | 'unreachable' | 'permanent';

export function classifyTaskState(state: TaskState, reason: string | undefined, launching: boolean): TaskOutcome {
  switch (state) {
    case 'TASK_STAGING':
    case 'TASK_STARTING':
    case 'TASK_KILLING':
      return 'progress';
    case 'TASK_RUNNING':
      return 'running';
    case 'TASK_ERROR':
    case 'TASK_DROPPED':
      return launching ? 'launch-failed' : 'transient';
    case 'TASK_FAILED':
      return launching && reason !== undefined && LAUNCH_FAILED_REASONS.includes(reason) ? 'launch-failed' : 'transient';
    case 'TASK_FINISHED':
    case 'TASK_KILLED':
      return 'transient';
    // LOST may mean "still running behind a partition": the same caution as UNREACHABLE.
    case 'TASK_LOST':
    case 'TASK_UNREACHABLE':
      return 'unreachable';
    // UNKNOWN may hide a task on an agent the master garbage-collected: fence before reuse.
    case 'TASK_GONE':
    case 'TASK_GONE_BY_OPERATOR':
    case 'TASK_UNKNOWN':
      return 'permanent';
  }
}

/** True when Mesos guarantees the task no longer runs (a kill is confirmed by any of these). */
export function isTerminalTaskState(state: TaskState): boolean {
  return [
    'TASK_FINISHED',
    'TASK_FAILED',
    'TASK_KILLED',
    'TASK_ERROR',
    'TASK_DROPPED',
    'TASK_GONE',
    'TASK_GONE_BY_OPERATOR',
  ].includes(state);
}
