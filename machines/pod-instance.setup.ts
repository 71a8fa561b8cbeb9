import { assign, fromPromise, setup } from 'xstate';
import { describeEffectError, EffectNotProvidedError, toEffectError } from './effect-error';
import {
  canAcceptPlacement,
  initialPodContext,
  isStrayTask,
  relaunchDelayMs,
  retryDelayMs,
  shouldReattach,
} from './pod-instance.logic';
import type {
  CheckVolumesInput,
  CheckVolumesOutput,
  DisposeVolumesInput,
  EnsureVolumesInput,
  EnsureVolumesOutput,
  FenceInput,
  KillTaskInput,
  KillTaskOutput,
  PermanentTrigger,
  PodFailure,
  PodInstanceContext,
  PodInstanceEvent,
  PodInstanceInput,
  ReleaseVolumesInput,
} from './pod-instance.types';
import { classifyTaskState, isTerminalTaskState, type TaskOutcome } from './task-status';

/** Placeholder effect: fails terminally with a message naming what src/ forgot to bind. */
export function notProvided<TInput, TOutput>(effect: string) {
  return fromPromise<TOutput, TInput>(async () => {
    throw new EffectNotProvidedError(effect);
  });
}

/* Done/error events of invoked actors are not part of the machine's event union; these read them. */
function outputOf<T>(event: unknown): T {
  return (event as { output: T }).output;
}
function errorOf(event: unknown): unknown {
  return (event as { error: unknown }).error;
}
function taskUpdate(event: PodInstanceEvent) {
  return event.type === 'TASK_UPDATE' ? event : null;
}

function permanentFailure(
  context: PodInstanceContext,
  trigger: PermanentTrigger,
  reason: string,
): PodFailure {
  const host = context.task?.hostname ?? context.lastTask?.hostname ?? null;
  // Launch failures point at a stale attachment elsewhere, not at this host: do not exclude it.
  return { kind: 'permanent', trigger, reason, excludeHost: trigger === 'launch-failures' ? null : host };
}

export const podInstanceSetup = setup({
  types: {
    context: {} as PodInstanceContext,
    events: {} as PodInstanceEvent,
    input: {} as PodInstanceInput,
  },
  actors: {
    ensureVolumes: notProvided<EnsureVolumesInput, EnsureVolumesOutput>('ensureVolumes'),
    fence: notProvided<FenceInput, void>('fence'),
    checkVolumes: notProvided<CheckVolumesInput, CheckVolumesOutput>('checkVolumes'),
    killTask: notProvided<KillTaskInput, KillTaskOutput>('killTask'),
    releaseVolumes: notProvided<ReleaseVolumesInput, void>('releaseVolumes'),
    disposeVolumes: notProvided<DisposeVolumesInput, void>('disposeVolumes'),
  },
  delays: {
    retryDelay: ({ context }) => retryDelayMs(context),
    relaunchDelay: ({ context }) => relaunchDelayMs(context),
    launchTimeout: ({ context }) => context.timing.launchTimeoutMs,
    killTimeout: ({ context }) => context.timing.killTimeoutMs,
    convergenceWait: ({ context }) => context.convergence.maxWaitMs,
    permanentFailureTimeout: ({ context }) => context.failurePolicy.permanentFailureTimeoutMs,
    stableAfter: ({ context }) => context.timing.stableAfterMs,
  },
  guards: {
    canPlace: ({ context }) => canAcceptPlacement(context),
    readyToPlace: ({ context }) => canAcceptPlacement(context) && context.volumes.every((v) => v.id !== null),
    hasTask: ({ context }) => context.task !== null,
    needsFence: ({ context }) => context.needsFence,
    goalStopped: ({ context }) => context.goal === 'stopped',
    softConvergence: ({ context }) => context.convergence.mode === 'soft',
    isDecommission: ({ context }) => context.stop?.mode === 'decommission',
    effectErrorIsTerminal: ({ event }) => !toEffectError(errorOf(event)).retryable,
    killConfirmed: ({ event }) => outputOf<KillTaskOutput>(event).terminal,
    /** A TASK_UPDATE for the current task whose state means `outcome` (stray tasks never match). */
    updateIs: ({ context, event }, params: { outcome: TaskOutcome; launching: boolean }) => {
      const u = taskUpdate(event);
      if (u === null || isStrayTask(context, u.taskId)) return false;
      return classifyTaskState(u.state, u.reason, params.launching) === params.outcome;
    },
    updateIsTerminal: ({ context, event }) => {
      const u = taskUpdate(event);
      return u !== null && !isStrayTask(context, u.taskId) && isTerminalTaskState(u.state);
    },
    /** This launch failure is the last one tolerated before fencing. */
    launchFailedTooOften: ({ context, event }) => {
      const u = taskUpdate(event);
      if (u === null || isStrayTask(context, u.taskId)) return false;
      const launchFailed = classifyTaskState(u.state, u.reason, true) === 'launch-failed';
      return launchFailed && context.launchFailures + 1 >= context.failurePolicy.maxLaunchFailures;
    },
    onTaskAgent: ({ context, event }) =>
      event.type === 'AGENT_GONE' && context.task !== null && context.task.agentId === event.agentId,
    onTaskHost: ({ context, event }) =>
      event.type === 'NODE_OFFLINE' && context.task !== null && context.task.hostname === event.hostname,
    shouldReattach: ({ context }) =>
      context.failure !== null &&
      context.failure.kind === 'permanent' &&
      shouldReattach(context, context.failure.trigger as PermanentTrigger),
    /** The agent came back after the unreachable timeout fired: the same task runs again. */
    partitionHealed: ({ context, event }) => {
      const u = taskUpdate(event);
      return (
        context.failure?.trigger === 'unreachable-timeout' &&
        u !== null &&
        !isStrayTask(context, u.taskId) &&
        u.state === 'TASK_RUNNING'
      );
    },
  },
  actions: {
    note: assign(({ event }, params: { reason: string }) => ({ reason: params.reason, lastEvent: event.type })),
    resetRetries: assign({ retries: 0, lastError: null }),
    recordEffectError: assign(({ context, event }, params: { effect: string }) => {
      const err = toEffectError(errorOf(event));
      return { retries: context.retries + 1, lastError: err, reason: describeEffectError(params.effect, err) };
    }),
    setVolumes: assign(({ event }) => ({
      volumes: outputOf<EnsureVolumesOutput>(event).volumes.map((v) => ({ name: v.name, id: v.id })),
      retries: 0,
      lastError: null,
    })),
    assignTask: assign(({ event }) => {
      if (event.type !== 'PLACE') return {};
      const { taskId, agentId, hostname, offerId } = event;
      return { task: { taskId, agentId, hostname, offerId }, taskState: null, healthy: null, failure: null };
    }),
    recordTaskState: assign(({ event }) => {
      const u = taskUpdate(event);
      if (u === null) return {};
      return { taskState: u.state, healthy: u.healthy ?? null, lastEvent: `TASK_UPDATE ${u.state}` };
    }),
    /** The current task is known dead: forget it, remember it as the last one. */
    clearTask: assign(({ context }) => ({ lastTask: context.task ?? context.lastTask, task: null })),
    countLaunchFailure: assign(({ context, event }) => {
      const u = taskUpdate(event);
      const why = u ? `${u.state}${u.reason ? ` (${u.reason})` : ''}${u.message ? `: ${u.message}` : ''}` : event.type;
      return { launchFailures: context.launchFailures + 1, launchFailure: why, reason: `launch failed: ${why}` };
    }),
    resetLaunchFailures: assign({ launchFailures: 0, launchFailure: null }),
    resetCrashLoop: assign({ consecutiveFailures: 0 }),
    failTransient: assign(({ context, event }) => {
      const u = taskUpdate(event);
      const reason = u ? `task ended with ${u.state}${u.reason ? ` (${u.reason})` : ''}` : `task ended (${event.type})`;
      return {
        failure: { kind: 'transient', trigger: 'task-ended', reason, excludeHost: null } satisfies PodFailure,
        consecutiveFailures: context.consecutiveFailures + 1,
        preferAgent: context.task?.agentId ?? context.preferAgent,
        lastTask: context.task ?? context.lastTask,
        task: null,
      };
    }),
    failPermanent: assign(({ context }, params: { trigger: PermanentTrigger; reason: string }) => ({
      failure: permanentFailure(context, params.trigger, params.reason),
      needsFence: true,
    })),
    failPermanentFromUpdate: assign(({ context, event }) => {
      const u = taskUpdate(event);
      const state = u?.state ?? 'TASK_UNKNOWN';
      const trigger: PermanentTrigger =
        state === 'TASK_GONE_BY_OPERATOR' ? 'gone-by-operator' : state === 'TASK_UNKNOWN' ? 'task-unknown' : 'task-gone';
      return { failure: permanentFailure(context, trigger, `task reported ${state}`), needsFence: true };
    }),
    markRelaunch: assign(({ context }, params: { trigger: 'launch-timeout' | 'operator-restart'; reason: string }) => ({
      failure: { kind: 'transient', trigger: params.trigger, reason: params.reason, excludeHost: null } satisfies PodFailure,
      preferAgent: context.task?.agentId ?? context.preferAgent,
    })),
    fenced: assign(({ context }) => ({
      lastTask: context.task ?? context.lastTask,
      task: null,
      taskState: null,
      needsFence: false,
      launchFailures: 0,
      launchFailure: null,
      retries: 0,
      lastError: null,
    })),
    applyVolumeCheck: assign(({ context, event }) => {
      const host = context.failure?.excludeHost ?? null;
      return {
        replicaHosts: outputOf<CheckVolumesOutput>(event).replicaHosts,
        excludeHosts: host === null ? [] : [host],
        preferAgent: null,
        retries: 0,
        lastError: null,
      };
    }),
    clearFailure: assign({ failure: null, needsFence: false }),
    /** Release detaches every volume (forcibly if its host is down), so it fences as well. */
    released: assign({ needsFence: false, retries: 0, lastError: null }),
    enterPlacement: assign({ allowNonHolder: false }),
    allowAnyHost: assign({ allowNonHolder: true }),
    setStop: assign(({ context, event }) => {
      if (event.type === 'DECOMMISSION') return { stop: { mode: 'decommission' as const, volumes: event.volumes } };
      if (event.type === 'STOP' && context.stop === null) return { stop: { mode: 'stop' as const, volumes: 'retain' as const } };
      return {};
    }),
    clearStop: assign({ stop: null, failure: null, retries: 0, lastError: null, goal: 'running' as const }),
  },
});

export { initialPodContext };
