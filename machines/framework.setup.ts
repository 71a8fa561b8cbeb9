import { assign, fromCallback, setup, type EventObject } from 'xstate';
import { describeEffectError, toEffectError } from './effect-error';
import { decommissionPlan, deployPlan, withPlans } from './framework.counters';
import {
  applyPodState,
  applySavedState,
  applyReinstall,
  applyScale,
  applyTombstone,
  clearedDecommission,
  decommissionPending,
  deployComplete,
  deployReady,
  isTombstoned,
  initialFrameworkContext,
  knownPodType,
  needsOffers,
  reconcileDelayMs,
  retryDelayMs,
} from './framework.logic';
import type {
  AcquireLeaseOutput,
  FrameworkContext,
  FrameworkEvent,
  FrameworkInput,
  GroupSnapshotOutput,
  ReconcileInput,
  ReinstallOutput,
  RestoreStateOutput,
  ServiceInput,
  SnapshotInput,
  UninstallPlanInput,
  UninstallPlanUpdate,
  UninstallStep,
} from './framework.types';
import { UNINSTALL_STEPS } from './framework.types';
import { targetExists, type StepRef } from './plan';
import {
  forceCompleteCounted,
  markCounted,
  nextStepsOf,
  pauseCounted,
  restartCounted,
  resumeCounted,
  type CountedPlan,
} from './plan-counts';
import { notProvided } from './pod-instance.setup';

function outputOf<T>(event: unknown): T {
  return (event as { output: T }).output;
}
function errorOf(event: unknown): unknown {
  return (event as { error: unknown }).error;
}

function planEvent(event: FrameworkEvent) {
  return event.type === 'PLAN_PAUSE' ||
    event.type === 'PLAN_RESUME' ||
    event.type === 'PLAN_FORCE_COMPLETE' ||
    event.type === 'PLAN_RESTART'
    ? event
    : null;
}

export const frameworkSetup = setup({
  types: {
    context: {} as FrameworkContext,
    events: {} as FrameworkEvent,
    input: {} as FrameworkInput,
  },
  actors: {
    restoreState: notProvided<ServiceInput, RestoreStateOutput>('restoreState'),
    acquireLease: notProvided<ServiceInput, AcquireLeaseOutput>('acquireLease'),
    reconcile: notProvided<ReconcileInput, void>('reconcile'),
    runPreCommands: notProvided<SnapshotInput, void>('runPreCommands'),
    groupSnapshot: notProvided<SnapshotInput, GroupSnapshotOutput>('groupSnapshot'),
    runPostCommands: notProvided<SnapshotInput, void>('runPostCommands'),
    // The uninstall plan (src/workflows/uninstall-plan-actor.ts): reports UNINSTALL_PLAN updates.
    runUninstallPlan: fromCallback<EventObject, UninstallPlanInput>(({ sendBack }) => {
      const update: UninstallPlanUpdate = { type: 'UNINSTALL_PLAN', done: [], complete: false, error: { message: 'runUninstallPlan is not provided', retryable: false } };
      sendBack(update);
    }),
    reinstall: notProvided<ServiceInput, ReinstallOutput>('reinstall'),
  },
  delays: {
    retryDelay: ({ context }) => retryDelayMs(context),
    leaseRetry: ({ context }) => context.timing.leaseRetryMs,
    subscribeTimeout: ({ context }) => context.timing.subscribeTimeoutMs,
    reconcileDelay: ({ context }) => reconcileDelayMs(context),
    reviveInterval: ({ context }) => context.timing.reviveIntervalMs,
  },
  guards: {
    leaseAcquired: ({ event }) => outputOf<AcquireLeaseOutput>(event).acquired,
    uninstallRequested: ({ context }) => context.uninstall !== null,
    tornDownAndLeading: ({ context, event }) =>
      outputOf<AcquireLeaseOutput>(event).acquired && (context.uninstall?.done.includes('teardown') ?? false),
    tombstoned: ({ context }) => isTombstoned(context),
    allReconciled: ({ context }) => context.reconcile.tasks.length === 0,
    effectErrorIsTerminal: ({ event }) => !toEffectError(errorOf(event)).retryable,
    deployComplete: ({ context }) => deployComplete(context),
    deployIncomplete: ({ context }) => !deployComplete(context),
    // Only a whole-plan pause or resume moves deploying <-> paused; a phase's goes to the active state's handler.
    wholeDeployPlan: ({ event }) => {
      const e = planEvent(event);
      return e?.plan === 'deploy' && e.phase === undefined;
    },
    planTargetExists: ({ context, event }) => {
      const e = planEvent(event);
      if (e === null) return false;
      if ((e.type === 'PLAN_PAUSE' || e.type === 'PLAN_RESUME') && e.phase === undefined) return true;
      return targetExists(context[e.plan], { phase: e.phase, step: 'step' in e ? e.step : undefined });
    },
    needsOffers: ({ context }) => needsOffers(context),
    noOffersNeeded: ({ context }) => !needsOffers(context),
    validScale: ({ context, event }) =>
      event.type === 'SCALE' && Number.isInteger(event.count) && event.count >= 0 && knownPodType(context, event.podType),
    decommissionPending: ({ context }) => decommissionPending(context),
    decommissionDone: ({ context }) => !decommissionPending(context),
    stepPending: ({ context }, params: { step: UninstallStep }) =>
      context.uninstall !== null && !context.uninstall.done.includes(params.step),
    uninstallPlanComplete: ({ event }) => event.type === 'UNINSTALL_PLAN' && event.complete,
    uninstallPlanStopped: ({ event }) => event.type === 'UNINSTALL_PLAN' && event.error !== null,
    uninstallStepsDone: ({ context, event }) => event.type === 'UNINSTALL_PLAN' && event.done.some((s) => !(context.uninstall?.done.includes(s) ?? false)),
  },
  actions: {
    /* Bound by src/: each must be idempotent (they are re-asserted after restarts). */
    subscribe: (_, _params: { frameworkId: string | null }) => {},
    startPod: (_, _params: StepRef) => {},
    decommissionPod: (_, _params: StepRef) => {},
    revive: () => {},
    suppress: () => {},
    stepDown: () => {},

    note: assign(({ event }, params: { reason: string }) => ({ reason: params.reason, lastEvent: event.type })),
    resetRetries: assign({ retries: 0, lastError: null }),
    recordEffectError: assign(({ context, event }, params: { effect: string }) => {
      const err = toEffectError(errorOf(event));
      return { retries: context.retries + 1, lastError: err, reason: describeEffectError(params.effect, err) };
    }),
    applyRestoredState: assign(({ context, event }) => {
      const out = outputOf<RestoreStateOutput>(event);
      const restored = out.tombstone ? applyTombstone(context, out.tombstone) : applySavedState(context, out.saved);
      return { ...restored, reconcile: { tasks: out.tombstone ? [] : out.tasks, attempt: 0 }, retries: 0, lastError: null };
    }),
    /** The uninstalled service deploys nothing: no pods, no steps (a restart restores the same from the tombstone). */
    clearForTombstone: assign(({ context }) => (context.uninstall ? applyTombstone(context, { frameworkId: context.frameworkId, uninstall: context.uninstall }) : {})),
    /** Mirror the plan's stored progress: the record (framework key, then the tombstone) holds it. */
    recordUninstallPlan: assign(({ context, event }) => {
      const u = context.uninstall;
      if (u === null || event.type !== 'UNINSTALL_PLAN') return {};
      const done = UNINSTALL_STEPS.filter((s) => u.done.includes(s) || event.done.includes(s));
      const uninstall = {
        ...u,
        done,
        ...(event.uninstalledAt ? { uninstalledAt: event.uninstalledAt } : {}),
        ...(event.app ? { app: event.app } : {}),
      };
      const failure = event.error ?? (event.retrying ? { ...event.retrying, retryable: true } : null);
      if (failure === null) return { uninstall, retries: 0, lastError: null };
      const lastError = { name: 'UninstallStepFailed', code: failure.code ?? 'UNINSTALL_STEP_FAILED', message: failure.message, retryable: failure.retryable };
      return { uninstall, lastError, reason: describeEffectError('uninstall plan', lastError) };
    }),
    applyReinstall: assign(({ context, event }) => ({ ...applyReinstall(context, outputOf<ReinstallOutput>(event).podInstances), retries: 0, lastError: null })),
    recordLeaseHolder: assign(({ event }) => ({ leaseHolder: outputOf<AcquireLeaseOutput>(event).holder })),
    setFrameworkId: assign(({ event }) => (event.type === 'SUBSCRIBED' ? { frameworkId: event.frameworkId } : {})),
    forgetFrameworkId: assign({ frameworkId: null }),
    /** TEARDOWN is only sent once every earlier step is done, so a removed framework means all of them are. */
    markTornDown: assign(({ context }) => {
      const u = context.uninstall;
      if (u === null) return {};
      const done = [...new Set([...u.done, 'kill-tasks', 'detach-volumes', 'dispose-volumes', 'teardown'] as const)];
      return { uninstall: { ...u, done } };
    }),
    markReconciled: assign(({ context, event }) => {
      if (event.type !== 'TASK_UPDATE') return {};
      return { reconcile: { ...context.reconcile, tasks: context.reconcile.tasks.filter((t) => t.taskId !== event.taskId) } };
    }),
    countReconcileAttempt: assign(({ context }) => ({ reconcile: { ...context.reconcile, attempt: context.reconcile.attempt + 1 } })),
    recordPodState: assign(({ context, event }) => {
      if (event.type !== 'POD_STATE') return {};
      return applyPodState(context, { podType: event.podType, index: event.index }, event.state, event.blocked ?? false, event.ready);
    }),
    applyPlanCommand: assign(({ context, event }) => {
      const e = planEvent(event);
      if (e === null) return {};
      const plan = e.plan === 'deploy' ? deployPlan(context) : decommissionPlan(context);
      const target = { phase: e.phase, step: 'step' in e ? e.step : undefined };
      const next =
        e.type === 'PLAN_PAUSE' ? pauseCounted(plan, target.phase)
        : e.type === 'PLAN_RESUME' ? resumeCounted(plan, target.phase)
        : e.type === 'PLAN_FORCE_COMPLETE' ? forceCompleteCounted(plan, target)
        : restartCounted(plan, target);
      return { ...withPlans(context, { [e.plan]: next }), rejected: null, lastEvent: e.type };
    }),
    rejectCommand: assign(({ event }, params: { reason: string }) => ({ rejected: { event: event.type, reason: params.reason } })),
    applyScale: assign(({ context, event }) =>
      event.type === 'SCALE' ? { ...applyScale(context, event.podType, event.count), rejected: null } : {},
    ),
    clearDecommission: assign(({ context }) => clearedDecommission(context)),
    beginSnapshot: assign(({ event }) =>
      event.type === 'SNAPSHOT_CREATE'
        ? { snapshot: { current: { name: event.name, status: 'succeeded' as const, snapshotIds: [], error: null, postCommandsError: null }, lastResult: null } }
        : {},
    ),
    snapshotFailed: assign(({ context, event }, params: { stage: string }) => {
      const err = toEffectError(errorOf(event));
      const cur = context.snapshot.current;
      if (cur === null) return {};
      return { snapshot: { ...context.snapshot, current: { ...cur, status: 'failed' as const, error: `${params.stage}: ${err.message}` } } };
    }),
    snapshotTaken: assign(({ context, event }) => {
      const cur = context.snapshot.current;
      if (cur === null) return {};
      return { snapshot: { ...context.snapshot, current: { ...cur, snapshotIds: outputOf<GroupSnapshotOutput>(event).snapshotIds } } };
    }),
    finishSnapshot: assign(({ context, event }, params: { postFailed: boolean }) => {
      const cur = context.snapshot.current;
      if (cur === null) return {};
      const postCommandsError = params.postFailed ? toEffectError(errorOf(event)).message : null;
      return { snapshot: { current: null, lastResult: { ...cur, postCommandsError } } };
    }),
    beginUninstall: assign(({ context, event }) => {
      if (event.type !== 'UNINSTALL') return {};
      // A second UNINSTALL keeps the progress made; flags only ever widen what gets deleted.
      const prev = context.uninstall;
      return {
        uninstall: {
          deleteVolumes: event.deleteVolumes || (prev?.deleteVolumes ?? false),
          deleteSnapshots: event.deleteSnapshots || (prev?.deleteSnapshots ?? false),
          done: prev?.done ?? [],
        },
      };
    }),
  },
});

/**
 * Start whatever the plans allow now. With `reassert`, also repeat startPod / decommissionPod
 * for steps already in flight: after a restart or a reconnect the runtime may have lost them,
 * and both actions are idempotent.
 */
function advance(reassert: boolean) {
  return frameworkSetup.enqueueActions(({ context, enqueue }) => {
    const deploy = deployPlan(context);
    const decommission = decommissionPlan(context);
    // A step whose pod instance is still being decommissioned (it is coming back) waits for it.
    const deployNext = nextStepsOf(deploy).filter((ref) => deployReady(context, ref));
    const decoNext = nextStepsOf(decommission);
    const deployAgain = reassert ? inFlight(deploy) : [];
    const decoAgain = reassert ? inFlight(decommission) : [];
    if (deployNext.length > 0 || decoNext.length > 0) {
      enqueue.assign(({ context: ctx }) =>
        withPlans(ctx, { deploy: markCounted(deployPlan(ctx), deployNext, 'STARTING'), decommission: markCounted(decommissionPlan(ctx), decoNext, 'STARTING') }),
      );
    }
    for (const ref of [...decoAgain, ...decoNext]) enqueue({ type: 'decommissionPod', params: ref });
    for (const ref of [...deployAgain, ...deployNext]) enqueue({ type: 'startPod', params: ref });
  });
}

/** Steps under way (STARTING): only on a reassert (a restart or reconnect), which may scan every step. */
function inFlight(t: CountedPlan): StepRef[] {
  if (t.counts.every((c) => c.STARTING === 0)) return [];
  return t.plan.phases.flatMap((p) => p.steps.filter((s) => s.status === 'STARTING').map((s) => ({ podType: s.podType, index: s.index })));
}

export const advancePlans = advance(false);
export const reassertPlans = advance(true);

export { initialFrameworkContext };
