import { backoffMs } from './backoff';
import type { PermanentTrigger, PodInstanceContext, PodInstanceInput, PodTiming } from './pod-instance.types';

export const POD_TIMING_DEFAULTS: PodTiming = {
  retryInitialMs: 1_000,
  retryMaxMs: 60_000,
  launchTimeoutMs: 5 * 60_000,
  killTimeoutMs: 30_000,
  relaunchInitialMs: 1_000,
  relaunchMaxMs: 60_000,
  stableAfterMs: 5 * 60_000,
  probationMs: 10_000,
};

export const DEFAULT_MAX_LAUNCH_FAILURES = 3;

export function podInstanceName(podType: string, index: number): string {
  return `${podType}-${index}`;
}

/** Deterministic volume name, so a create after a crash finds the volume made before it. */
export function podVolumeName(service: string, podType: string, index: number, volume: string): string {
  return `${service}-${podType}-${index}-${volume}`;
}

export function initialPodContext(input: PodInstanceInput): PodInstanceContext {
  // Returned as a spread copy: XState's assign copies the context with Object.assign({}, ...),
  // which turns a copy of an object literal this wide into a dictionary (3-4x the memory, slower
  // every later assign), but keeps a copy of a spread object fast.
  return { ...literalPodContext(input) };
}

function literalPodContext(input: PodInstanceInput): PodInstanceContext {
  return {
    service: input.service,
    podType: input.podType,
    index: input.index,
    name: podInstanceName(input.podType, input.index),
    volumes: input.volumes.map((v) => ({ name: v.name, id: v.id ?? null })),
    failurePolicy: {
      permanentFailureTimeoutMs: input.failurePolicy.permanentFailureTimeoutMs,
      autoReplace: input.failurePolicy.autoReplace,
      maxLaunchFailures: input.failurePolicy.maxLaunchFailures ?? DEFAULT_MAX_LAUNCH_FAILURES,
      probationMs: input.failurePolicy.probationMs ?? input.timing?.probationMs ?? POD_TIMING_DEFAULTS.probationMs,
    },
    convergence: { ...input.convergence },
    goal: input.goal ?? 'running',
    timing: { ...POD_TIMING_DEFAULTS, ...input.timing },
    task: null,
    taskState: null,
    taskHasRun: false,
    healthy: null,
    readinessCheck: false,
    checkPassed: null,
    configId: null,
    lastTask: null,
    needsFence: false,
    preferAgent: null,
    excludeHosts: [],
    replicaHosts: [],
    allowNonHolder: false,
    failure: null,
    suspicion: { mesos: null, portworx: null },
    replacing: false,
    retries: 0,
    lastError: null,
    launchFailures: 0,
    launchFailure: null,
    consecutiveFailures: 0,
    stop: null,
    reason: 'provisioning volumes',
    lastEvent: 'xstate.init',
  };
}

/** The safety rule for PLACE: no task can be alive and no volume can still be attached elsewhere. */
export function canAcceptPlacement(context: PodInstanceContext): boolean {
  return context.task === null && !context.needsFence;
}

/**
 * An update for a task that is not this pod's current task. The machine ignores it; the runtime
 * must kill such a task (it may be a leftover of a launch the scheduler forgot after a crash).
 */
export function isStrayTask(context: PodInstanceContext, taskId: string): boolean {
  return context.task === null || context.task.taskId !== taskId;
}

/**
 * Triggers that fence without waiting for a replacement slot: the operator's own `pod replace`
 * (the governor counts it, it does not wait), and repeated launch failures (no task is alive:
 * fencing clears a stale attachment, and the pod is not moved).
 */
const DIRECT_TRIGGERS: readonly PermanentTrigger[] = ['operator-replace', 'launch-failures'];

/** Where a permanent failure goes: straight to fencing, to the governor's queue, or to the operator. */
export function permanentRoute(context: PodInstanceContext, trigger: PermanentTrigger): 're-attach' | 'await-slot' | 'await-operator' {
  if (DIRECT_TRIGGERS.includes(trigger)) return 're-attach';
  // The operator marking the agent gone is the operator's statement that the host is dead.
  if (context.failurePolicy.autoReplace || trigger === 'gone-by-operator') return 'await-slot';
  return 'await-operator';
}

/** The failure moves the pod off its host (a replacement), as opposed to a relaunch in place. */
export function movesPod(trigger: PermanentTrigger): boolean {
  return trigger !== 'launch-failures';
}

export function hasSuspicion(context: PodInstanceContext): boolean {
  return context.suspicion.mesos !== null || context.suspicion.portworx !== null;
}

/** One line naming the evidence a pod on probation rests on. */
export function suspicionReason(context: PodInstanceContext): string {
  const parts = [context.suspicion.portworx, context.suspicion.mesos].filter((x): x is string => x !== null);
  return parts.length === 0 ? 'no evidence' : parts.join('; ');
}

/** Ready: the task runs and its readiness check passed, or it was launched without one. */
export function isReady(context: Pick<PodInstanceContext, 'readinessCheck' | 'checkPassed'>): boolean {
  return !context.readinessCheck || context.checkPassed === true;
}

/** Tags the pod machine puts on its states (documented in docs/machines.md). */
export const POD_TAGS = {
  /** A task of this pod may be alive (launched and not known ended). */
  taskLive: 'task-live',
  /** On probation: evidence that the host is down, not yet confirmed. */
  probation: 'probation',
  /** Relaunching in place (transient failure, restart, launch timeout). */
  relaunching: 'relaunching',
  /** Permanently failed, waiting for the replacement governor's slot. */
  awaitingSlot: 'awaiting-slot',
  /** Fencing and checking volumes before placing elsewhere. */
  reattaching: 're-attaching',
  /** Needs the operator (`RETRY`, or `pod replace` with automatic replacement off). */
  blocked: 'blocked',
  /** Waiting for an offer. */
  awaitingOffer: 'awaiting-offer',
  /** Stopping or decommissioning. */
  stopping: 'stopping',
  /** The task is TASK_RUNNING (running.up, running.unready or on probation). */
  running: 'running',
  /**
   * Running and ready (running.up): its readiness check (TaskInfo.check) passed, or it has none. A plan step
   * (deploy, update, restore) is complete only when its pod is ready (issue 11).
   */
  ready: 'ready',
  /** Stopped by a restore or a rolling restart: task killed, volumes released, waiting for START. */
  stopped: 'stopped',
} as const;

export type RecoveryStage = 'probation' | 'relaunching' | 'waiting' | 'replacing';

/**
 * Where a pod is in its recovery, read off its state tags and context (null: not recovering).
 * A pod granted a replacement counts as replacing until its new task runs.
 */
export function recoveryStage(hasTag: (tag: string) => boolean, context: PodInstanceContext): RecoveryStage | null {
  if (hasTag(POD_TAGS.stopping)) return null;
  if (hasTag(POD_TAGS.probation)) return 'probation';
  if (hasTag(POD_TAGS.awaitingSlot)) return 'waiting';
  if (context.replacing) return 'replacing';
  if (hasTag(POD_TAGS.reattaching) || hasTag(POD_TAGS.relaunching)) return 'relaunching';
  return null;
}

/** What the replacement governor is told on every state change (see replacement-governor.ts). */
export function replacementPhase(hasTag: (tag: string) => boolean, context: PodInstanceContext): 'waiting' | 'replacing' | 'done' {
  if (hasTag(POD_TAGS.stopping)) return 'done';
  if (hasTag(POD_TAGS.awaitingSlot)) return 'waiting';
  return context.replacing ? 'replacing' : 'done';
}

export function retryDelayMs(context: PodInstanceContext): number {
  return backoffMs(context.retries, { initialMs: context.timing.retryInitialMs, maxMs: context.timing.retryMaxMs });
}

export function relaunchDelayMs(context: PodInstanceContext): number {
  return backoffMs(context.consecutiveFailures, {
    initialMs: context.timing.relaunchInitialMs,
    maxMs: context.timing.relaunchMaxMs,
  });
}

export function volumeIds(context: PodInstanceContext): string[] {
  return context.volumes.flatMap((v) => (v.id === null ? [] : [v.id]));
}

/** Dotted path of the active leaf state ('running.unreachable'): what POD_STATE carries. */
/**
 * Whether a restored pod must re-enter its state (RESUMED) to re-arm its timer. A running pod's
 * only timer resets its crash-loop count once it has run `stableAfter`: with no failure counted,
 * that timer changes nothing, so 10,000 healthy pods restore without 10,000 re-entries.
 */
export function needsResume(path: string, context: Pick<PodInstanceContext, 'consecutiveFailures'>): boolean {
  if (path === 'running.up' || path === 'running.unready') return context.consecutiveFailures !== 0;
  return true;
}

export function statePath(value: string | { [key: string]: unknown }): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value)[0] ?? ['', ''];
  const rest = statePath(child as string | { [key: string]: unknown });
  return rest === '' ? key : `${key}.${rest}`;
}

export function placementReason(context: PodInstanceContext): string {
  return context.launchFailure === null
    ? 'waiting for placement'
    : `waiting for placement (last launch failed: ${context.launchFailure})`;
}
