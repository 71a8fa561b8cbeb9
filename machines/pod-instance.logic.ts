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
    },
    convergence: { ...input.convergence },
    goal: input.goal ?? 'running',
    timing: { ...POD_TIMING_DEFAULTS, ...input.timing },
    task: null,
    taskState: null,
    healthy: null,
    lastTask: null,
    needsFence: false,
    preferAgent: null,
    excludeHosts: [],
    replicaHosts: [],
    allowNonHolder: false,
    failure: null,
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
 * dcos-commons keeps automatic replacement off by default and replaces on `pod replace`. pxfw
 * follows that, and also treats the operator's own assertions as a replace order: marking the
 * agent gone in Mesos (TASK_GONE_BY_OPERATOR). Repeated launch failures fence too: no task of the
 * pod is alive then, so force-detaching a stale attachment cannot cut off a live writer.
 */
export function shouldReattach(context: PodInstanceContext, trigger: PermanentTrigger): boolean {
  if (context.failurePolicy.autoReplace) return true;
  return trigger === 'operator-replace' || trigger === 'gone-by-operator' || trigger === 'launch-failures';
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
