import { backoffMs } from './backoff';
import {
  countersOf,
  decommissionPlan,
  deployPlan,
  frameworkCounters,
  podReport,
  podStatesOf,
  wantsOffers,
  withPlans,
  withPodReport,
} from './framework.counters';
import { addSteps, buildPlan, emptyDecommissionPlan, stepName, type Plan, type PodProgress, type StepRef } from './plan';
import {
  addCounted,
  appendDecommissionCounted,
  counted,
  findStepIn,
  planStatusOf,
  progressCounted,
  removeCounted,
  stepCount,
} from './plan-counts';
import type { FrameworkContext, FrameworkInput, FrameworkTiming, SavedFrameworkState, TombstoneState } from './framework.types';

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
  const plans = { podStates: {}, deploy: buildPlan('deploy', input.plans.deploy, input.podInstances), decommission: emptyDecommissionPlan() };
  return {
    service: input.service,
    frameworkId: null,
    pods: input.podInstances.map((p) => ({ podType: p.podType, index: p.index })),
    ...plans,
    counters: frameworkCounters(plans),
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

/** The stored state back in the context; its counters are counted afresh (the store never holds them). */
export function applySavedState(context: FrameworkContext, saved: SavedFrameworkState | null): Partial<FrameworkContext> {
  if (saved === null) return {};
  const podStates = podStatesOf(context);
  return {
    frameworkId: saved.frameworkId,
    pods: saved.pods,
    deploy: saved.deploy,
    decommission: saved.decommission,
    podStates,
    counters: frameworkCounters({ deploy: saved.deploy, decommission: saved.decommission, podStates }),
    uninstall: saved.uninstall,
    snapshot: { current: null, lastResult: saved.lastSnapshot ?? context.snapshot.lastResult },
  };
}

/**
 * Reduce a pod machine's state to what plan steps need. A step is complete only when its pod is
 * ready (POD_STATE `ready`, the pod's `ready` tag): running with its readiness check passed.
 * Without the flag, readiness is read off the state: `running.unready` waits for the check.
 */
export function podProgressOf(state: string, blocked: boolean, ready?: boolean): PodProgress {
  if (blocked || state.endsWith('.blocked') || state.endsWith('awaiting-replace')) return 'blocked';
  const top = state.split('.')[0];
  if (top === 'running') return (ready ?? state !== 'running.unready') ? 'running' : 'busy';
  if (top === 'decommissioned') return 'decommissioned';
  return 'busy';
}

export function needsOffers(context: FrameworkContext): boolean {
  return countersOf(context).offersWanted > 0;
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

/**
 * A pod's report: its report replaces the last one (one chunk copied), and only the phases with a
 * step of this pod in flight are touched (plan-counts.ts), the counters adjusted as they change.
 */
export function applyPodState(
  context: FrameworkContext,
  ref: StepRef,
  state: string,
  blocked: boolean,
  ready?: boolean,
): Partial<FrameworkContext> {
  const progress = podProgressOf(state, blocked, ready);
  const deploy = progressCounted(deployPlan(context), ref, progress, 'running');
  const decommission = progressCounted(decommissionPlan(context), ref, progress, 'decommissioned');
  const before = podStatesOf(context);
  const report = progress === 'decommissioned' ? null : { state, progress };
  const podStates = withPodReport(before, ref, report);
  const offersWanted = countersOf(context).offersWanted + Number(wantsOffers(report)) - Number(wantsOffers(podReport(before, ref)));
  // A decommissioned pod instance no longer exists: forget it everywhere but the finished step,
  // unless a scale-up came back to its index meanwhile (its deploy step, not started, waits).
  const comingBack = progress === 'decommissioned' ? findStepIn(deploy.plan, ref)?.status : undefined;
  const gone = progress === 'decommissioned' && comingBack !== 'PENDING' && comingBack !== 'WAITING';
  const plans = { deploy: gone ? removeCounted(deploy, [ref]) : deploy, decommission, offersWanted };
  if (!gone) return { ...withPlans(context, plans), podStates };
  const name = stepName(ref);
  return { ...withPlans(context, plans), podStates, pods: context.pods.filter((p) => stepName(p) !== name) };
}

function isDecommissioning(context: FrameworkContext, ref: StepRef): boolean {
  const c = countersOf(context).decommission;
  if (c.every((p) => p.COMPLETE === stepCount(p))) return false;
  const step = findStepIn(context.decommission, ref);
  return step !== undefined && step.status !== 'COMPLETE';
}

export function knownPodType(context: FrameworkContext, podType: string): boolean {
  return context.deploy.phases.some((p) => p.podType === podType);
}

/**
 * Scale a pod type to `count`. Up: new instances take the lowest free indexes and join the deploy
 * plan; an index whose decommission is under way counts as free (issue 10: 4 -> 3 -> 4 must come
 * back as node-3, on node-3's retained volume). Such an instance's decommission is cancelled if it
 * has not started (the pod never stopped), else its deploy step waits until the decommission is
 * complete (see deployReady): one pod actor, one task, one writer per volume at any time. Down:
 * the highest indexes go first; one the deploy plan never started is simply dropped, any other
 * joins the decommission plan (kill, release, dispose volumes).
 */
export function applyScale(context: FrameworkContext, podType: string, count: number): Partial<FrameworkContext> {
  const deploy = deployPlan(context);
  const decommission = decommissionPlan(context);
  // One look-up table per plan: a scale of many pods does not search the plans once per pod.
  const stepsOf = (plan: Plan) => new Map(plan.phases.flatMap((ph) => ph.steps.map((st) => [stepName(st), st] as const)));
  const deploySteps = stepsOf(context.deploy);
  const decoSteps = stepsOf(context.decommission);
  const held = (st: { status: string } | undefined) => st !== undefined && (st.status === 'PENDING' || st.status === 'WAITING');
  const decommissioning = (r: StepRef) => {
    const st = decoSteps.get(stepName(r));
    return st !== undefined && st.status !== 'COMPLETE';
  };
  // Wanted: not being decommissioned, or coming back (a deploy step waits for its decommission).
  const active = context.pods
    .filter((p) => p.podType === podType && (!decommissioning(p) || deploySteps.has(stepName(p))))
    .sort((a, b) => a.index - b.index);
  if (count > active.length) {
    const used = new Set(active.map((p) => p.index));
    const added: StepRef[] = [];
    for (let i = 0; added.length < count - active.length; i++) if (!used.has(i)) added.push({ podType, index: i });
    const known = new Set(context.pods.map(stepName));
    // A decommission step not started yet: its pod still runs as it was, so it simply stays.
    const cancelled = added.filter((r) => held(decoSteps.get(stepName(r))));
    return {
      pods: [...context.pods, ...added.filter((r) => !known.has(stepName(r)))],
      ...withPlans(context, { deploy: addCounted(deploy, added), decommission: removeCounted(decommission, cancelled) }),
    };
  }
  const victims = active.slice(count).reverse();
  // Coming back but still being decommissioned: only the deploy step goes; the decommission ends it.
  const returning = new Set(victims.filter(decommissioning));
  const unstarted = new Set(victims.filter((v) => !returning.has(v) && held(deploySteps.get(stepName(v)))));
  const started = victims.filter((v) => !unstarted.has(v) && !returning.has(v));
  return {
    pods: context.pods.filter((p) => !unstarted.has(p)),
    ...withPlans(context, { deploy: removeCounted(deploy, victims), decommission: appendDecommissionCounted(decommission, started) }),
  };
}

/**
 * May this deploy step start? Not while its pod instance is still being decommissioned (a
 * scale-up that came back to that index waits for the old pod to be gone, volumes released).
 */
export function deployReady(context: FrameworkContext, ref: StepRef): boolean {
  return !isDecommissioning(context, ref);
}

/** A plan with the same phases and no steps (an uninstalled service deploys nothing). */
export function withoutSteps(plan: Plan): Plan {
  return { ...plan, paused: false, phases: plan.phases.map((ph) => ({ ...ph, steps: [] })) };
}

/** The context of a service restored from its tombstone: nothing to deploy, the uninstall progress kept. */
export function applyTombstone(context: FrameworkContext, t: TombstoneState): Partial<FrameworkContext> {
  const plans = { podStates: {}, deploy: withoutSteps(context.deploy), decommission: emptyDecommissionPlan() };
  return { frameworkId: t.frameworkId, uninstall: t.uninstall, pods: [], ...plans, counters: frameworkCounters(plans) };
}

/** REINSTALL: a fresh deploy of the pods the current spec asks for, under a new framework id. */
export function applyReinstall(context: FrameworkContext, podInstances: StepRef[]): Partial<FrameworkContext> {
  const pods = podInstances.map((p) => ({ podType: p.podType, index: p.index }));
  const plans = { podStates: {}, deploy: addSteps(withoutSteps(context.deploy), pods), decommission: emptyDecommissionPlan() };
  return {
    frameworkId: null,
    uninstall: null,
    pods,
    ...plans,
    counters: frameworkCounters(plans),
    reconcile: { tasks: [], attempt: 0 },
    rejected: null,
  };
}

/** The service is uninstalled once its state is deleted (only the tombstone is left). */
export function isTombstoned(context: FrameworkContext): boolean {
  return context.uninstall?.done.includes('delete-state') ?? false;
}

export function decommissionPending(context: FrameworkContext): boolean {
  const c = countersOf(context).decommission;
  return c.some((p) => stepCount(p) > 0) && planStatusOf(decommissionPlan(context)) !== 'COMPLETE';
}

/** The deploy plan is complete (from the counters). */
export function deployComplete(context: FrameworkContext): boolean {
  return planStatusOf(deployPlan(context)) === 'COMPLETE';
}

/** The decommission plan emptied (once every step is done), with its counters. */
export function clearedDecommission(context: FrameworkContext): Partial<FrameworkContext> {
  return withPlans(context, { decommission: counted(emptyDecommissionPlan()) });
}
