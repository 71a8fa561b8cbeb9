/**
 * Mesos task states (v1 JSON enum names) and how a pod instance reacts to each. The framework
 * subscribes PARTITION_AWARE, so it sees UNREACHABLE / GONE / GONE_BY_OPERATOR / UNKNOWN /
 * DROPPED; LOST still comes when an agent unregisters or a new agent registers at the same
 * address (apache/mesos src/master/master.cpp). The full table, with every other signal, is in
 * docs/failure-classification.md.
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
 * - running: the task runs (its agent reported it, so the agent is reachable);
 * - launch-failed: the task never started (ERROR, DROPPED, FAILED while launching the container,
 *   or UNKNOWN while launching, or GONE with REASON_RECONCILIATION while launching: the master
 *   never heard of it, e.g. an ACCEPT that got lost);
 * - transient: the task ended and a live agent reported it: relaunch in place. TASK_GONE is one
 *   of these (a live agent that restarted kills executors it could not re-register, as
 *   dcos-commons reads it), not proof that the host is gone;
 * - suspect: the master lost contact with the agent; the task may still run (and write): the
 *   pod goes on probation, and only confirmed evidence that the host is down replaces it;
 * - lost: the task is dead with an agent that unregistered or was replaced by a new agent at
 *   the same address: release the attachment, then relaunch, preferring the same host;
 * - permanent: replace the pod (fence first): the operator marked the agent gone, or the master
 *   forgot a task it ran (UNKNOWN while running).
 */
export type TaskOutcome = 'progress' | 'running' | 'launch-failed' | 'transient' | 'suspect' | 'lost' | 'permanent';

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
    // Answering the reconciliation of a launch, GONE is the master's word for a task it never heard
    // of on a registered agent (the ACCEPT never reached it): launch again at once.
    case 'TASK_GONE':
      return launching && reason === 'REASON_RECONCILIATION' ? 'launch-failed' : 'transient';
    case 'TASK_UNREACHABLE':
      return 'suspect';
    case 'TASK_LOST':
      return 'lost';
    case 'TASK_GONE_BY_OPERATOR':
      return 'permanent';
    // Launching: the master never heard of the task (a lost ACCEPT): launch again.
    // Running: the master forgot a task it ran (an agent it garbage-collected may still run it).
    case 'TASK_UNKNOWN':
      return launching ? 'launch-failed' : 'permanent';
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

/**
 * While stopping (scale-down, restore, uninstall), the answers that end the wait for a killed
 * task: every terminal state, plus UNKNOWN (the master no longer knows the task: its agent was
 * removed) and LOST (its agent unregistered). The release that follows force-detaches a volume
 * whose node is down, so a task the master forgot cannot keep it.
 */
export function endsStop(state: TaskState): boolean {
  return isTerminalTaskState(state) || state === 'TASK_UNKNOWN' || state === 'TASK_LOST';
}

/** TaskStatus.check_status (mesos.proto CheckStatusInfo): the type always, the result once a check completed. */
export interface CheckStatusInfo {
  type?: 'COMMAND' | 'HTTP' | 'TCP' | 'UNKNOWN';
  command?: { exit_code?: number };
  http?: { status_code?: number };
  tcp?: { succeeded?: boolean };
}

/**
 * Whether a check result passed, read as the default executor's health checker reads one
 * (apache/mesos src/checks/health_checker.cpp, interpretCheckStatusInfo): COMMAND exit code 0,
 * HTTP status 200-399, TCP connected. A status with no result yet (only its type: the executor
 * sends that until the first check completes, or after a check timed out) is undefined.
 */
export function checkPassed(status: CheckStatusInfo | undefined): boolean | undefined {
  if (!status) return undefined;
  if (status.command?.exit_code !== undefined) return status.command.exit_code === 0;
  if (status.http?.status_code !== undefined) return status.http.status_code >= 200 && status.http.status_code < 400;
  if (status.tcp?.succeeded !== undefined) return status.tcp.succeeded;
  return undefined;
}
