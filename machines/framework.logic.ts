import { backoffMs } from './backoff';
import {
  addSteps,
  appendDecommissionSteps,
  applyPodProgress,
  buildPlan,
  emptyDecommissionPlan,
  findStep,
  planStatus,
  removeSteps,
  stepName,
  type PodProgress,
  type StepRef,
} from './plan';
import type { FrameworkContext, FrameworkInput, FrameworkTiming, SavedFrameworkState } from './framework.types';

export const FRAMEWORK_TIMING_DEFAULTS: FrameworkTiming = {
  retryInitialMs: 1_000,
  retryMaxMs: 60_000,
  leaseRetryMs: 10_000,
  subscribeTimeoutMs: 30_000,
  reconcileInitialMs: 4_000,
  reconcileMaxMs: 30_000,
  reviveIntervalMs: 60_000,
};

export function initialFrameworkContext(input: FrameworkInput): FrameworkContext {
  return {
    service: input.service,
    frameworkId: null,
    pods: input.podInstances.map((p) => ({ podType: p.podType, index: p.index })),
    podStates: {},
    deploy: buildPlan('deploy', input.plans.deploy, input.podInstances),
    decommission: emptyDecommissionPlan(),
    reconcile: { tasks: [], attempt: 0 },
    snapshot: { current: null, lastResult: null },
    uninstall: null,
    leaseHolder: null,
    timing: { ...FRAMEWORK_TIMING_DEFAULTS, ...input.timing },
    retries: 0,
    lastError: null,
    rejected: null,
    reason: 'restoring state',
    lastEvent: 'xstate.init',
  };
}

/** The part of the context worth keeping across restarts (the runtime writes it to KV). */
export function toSavedState(context: FrameworkContext): SavedFrameworkState {
  return {
    frameworkId: context.frameworkId,
    pods: context.pods,
    deploy: context.deploy,
    decommission: context.decommission,
    uninstall: context.uninstall,
    lastSnapshot: context.snapshot.lastResult,
  };
}

export function applySavedState(context: FrameworkContext, saved: SavedFrameworkState | null): Partial<FrameworkContext> {
  if (saved === null) return {};
  return {
    frameworkId: saved.frameworkId,
    pods: saved.pods,
    deploy: saved.deploy,
    decommission: saved.decommission,
    uninstall: saved.uninstall,
    snapshot: { current: null, lastResult: saved.lastSnapshot ?? context.snapshot.lastResult },
  };
}

/** Reduce a pod machine's state value (top-level state name) to what plan steps need. */
export function podProgressOf(state: string, blocked: boolean): PodProgress {
  if (blocked || state.endsWith('.blocked') || state.endsWith('awaiting-replace')) return 'blocked';
  const top = state.split('.')[0];
  if (top === 'running') return 'running';
  if (top === 'decommissioned') return 'decommissioned';
  return 'busy';
}

export function needsOffers(context: FrameworkContext): boolean {
  return Object.values(context.podStates).some((p) => p.state.split('.')[0] === 'volume-provisioned');
}

/** Wait after explicit reconciliation round `attempt` (0-based): 4 s, 8 s, 16 s, 30 s, 30 s, … */
export function reconcileDelayMs(context: FrameworkContext): number {
  return backoffMs(context.reconcile.attempt + 1, {
    initialMs: context.timing.reconcileInitialMs,
    maxMs: context.timing.reconcileMaxMs,
  });
}

export function retryDelayMs(context: FrameworkContext): number {
  return backoffMs(context.retries, { initialMs: context.timing.retryInitialMs, maxMs: context.timing.retryMaxMs });
}

export function applyPodState(
  context: FrameworkContext,
  ref: StepRef,
  state: string,
  blocked: boolean,
): Partial<FrameworkContext> {
  const progress = podProgressOf(state, blocked);
  const name = stepName(ref);
  const deploy = applyPodProgress(context.deploy, ref, progress, 'running');
  const decommission = applyPodProgress(context.decommission, ref, progress, 'decommissioned');
  if (progress !== 'decommissioned') {
    return { deploy, decommission, podStates: { ...context.podStates, [name]: { state, progress } } };
  }
  // A decommissioned pod instance no longer exists: forget it everywhere but the finished step.
  const podStates = { ...context.podStates };
  delete podStates[name];
  return {
    deploy: removeSteps(deploy, [ref]),
    decommission,
    pods: context.pods.filter((p) => stepName(p) !== name),
    podStates,
  };
}

function isDecommissioning(context: FrameworkContext, ref: StepRef): boolean {
  const step = findStep(context.decommission, ref);
  return step !== undefined && step.status !== 'COMPLETE';
}

export function knownPodType(context: FrameworkContext, podType: string): boolean {
  return context.deploy.phases.some((p) => p.podType === podType);
}

/**
 * Scale a pod type to `count`. Up: new instances take the lowest free indexes and join the deploy
 * plan. Down: the highest indexes go first; one the deploy plan never started is simply dropped,
 * any other joins the decommission plan (kill, release, dispose volumes).
 */
export function applyScale(context: FrameworkContext, podType: string, count: number): Partial<FrameworkContext> {
  const active = context.pods
    .filter((p) => p.podType === podType && !isDecommissioning(context, p))
    .sort((a, b) => a.index - b.index);
  if (count > active.length) {
    const used = new Set(context.pods.filter((p) => p.podType === podType).map((p) => p.index));
    const added: StepRef[] = [];
    for (let i = 0; added.length < count - active.length; i++) if (!used.has(i)) added.push({ podType, index: i });
    return { pods: [...context.pods, ...added], deploy: addSteps(context.deploy, added) };
  }
  const victims = active.slice(count).reverse();
  const unstarted = victims.filter((v) => {
    const s = findStep(context.deploy, v);
    return s !== undefined && (s.status === 'PENDING' || s.status === 'WAITING');
  });
  const started = victims.filter((v) => !unstarted.includes(v));
  return {
    pods: context.pods.filter((p) => !unstarted.includes(p)),
    deploy: removeSteps(context.deploy, victims),
    decommission: appendDecommissionSteps(context.decommission, started),
  };
}

export function decommissionPending(context: FrameworkContext): boolean {
  return context.decommission.phases.some((p) => p.steps.length > 0) && planStatus(context.decommission) !== 'COMPLETE';
}
