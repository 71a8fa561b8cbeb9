import { assign, fromPromise, setup } from 'xstate';
import { describeEffectError, EffectNotProvidedError, toEffectError } from './effect-error';
import {
  canAcceptPlacement,
  initialPodContext,
  isReady,
  isStrayTask,
  movesPod,
  permanentRoute,
  relaunchDelayMs,
  retryDelayMs,
  suspicionReason,
} from './pod-instance.logic';
import type {
  CheckVolumesInput,
  CheckVolumesOutput,
  ConfirmHostDownInput,
  ConfirmHostDownOutput,
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
import { checkPassed, classifyTaskState, endsStop, isTerminalTaskState, type TaskOutcome } from './task-status';

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

function currentUpdate(context: PodInstanceContext, event: PodInstanceEvent) {
  const u = taskUpdate(event);
  return u === null || isStrayTask(context, u.taskId) ? null : u;
}

function permanentFailure(
  context: PodInstanceContext,
  trigger: PermanentTrigger,
  reason: string,
): PodFailure {
  const host = context.task?.hostname ?? context.lastTask?.hostname ?? null;
  // Only a replacement keeps the old host out; a relaunch after a lost task prefers it.
  return { kind: 'permanent', trigger, reason, excludeHost: movesPod(trigger) ? host : null };
}

const NO_SUSPICION = { mesos: null, portworx: null };

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
    confirmHostDown: notProvided<ConfirmHostDownInput, ConfirmHostDownOutput>('confirmHostDown'),
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
    probation: ({ context }) => context.failurePolicy.probationMs,
  },
  guards: {
    canPlace: ({ context }) => canAcceptPlacement(context),
    readyToPlace: ({ context }) => canAcceptPlacement(context) && context.volumes.every((v) => v.id !== null),
    hasTask: ({ context }) => context.task !== null,
    /** The running task's readiness check passed, or it has none. */
    ready: ({ context }) => isReady(context),
    notReady: ({ context }) => !isReady(context),
    needsFence: ({ context }) => context.needsFence,
    goalStopped: ({ context }) => context.goal === 'stopped',
    softConvergence: ({ context }) => context.convergence.mode === 'soft',
    isDecommission: ({ context }) => context.stop?.mode === 'decommission',
    effectErrorIsTerminal: ({ event }) => !toEffectError(errorOf(event)).retryable,
    killConfirmed: ({ event }) => outputOf<KillTaskOutput>(event).terminal,
    /** A TASK_UPDATE for the current task whose state means `outcome` (stray tasks never match). */
    updateIs: ({ context, event }, params: { outcome: TaskOutcome; launching: boolean }) => {
      const u = currentUpdate(context, event);
      return u !== null && classifyTaskState(u.state, u.reason, params.launching) === params.outcome;
    },
    updateIsTerminal: ({ context, event }) => {
      const u = currentUpdate(context, event);
      return u !== null && isTerminalTaskState(u.state);
    },
    /** While stopping: the killed task is over (terminal, or UNKNOWN / LOST: the master forgot it). */
    updateEndsStop: ({ context, event }) => {
      const u = currentUpdate(context, event);
      return u !== null && endsStop(u.state);
    },
    /** The task never ran and Mesos says it never launched (UNKNOWN, DROPPED): nothing to fence. */
    neverLaunched: ({ context, event }) => {
      const u = currentUpdate(context, event);
      return u !== null && !context.taskHasRun && (u.state === 'TASK_UNKNOWN' || u.state === 'TASK_DROPPED');
    },
    /** This launch failure is the last one tolerated before fencing. */
    launchFailedTooOften: ({ context, event }) => {
      const u = currentUpdate(context, event);
      if (u === null) return false;
      const launchFailed = classifyTaskState(u.state, u.reason, true) === 'launch-failed';
      return launchFailed && context.launchFailures + 1 >= context.failurePolicy.maxLaunchFailures;
    },
    onTaskAgent: ({ context, event }) =>
      event.type === 'AGENT_GONE' && context.task !== null && context.task.agentId === event.agentId,
    onTaskHost: ({ context, event }) =>
      (event.type === 'HOST_DOWN' || event.type === 'HOST_UP') && context.task !== null && context.task.hostname === event.hostname,
    /** HOST_UP for the task's host that leaves no evidence standing. */
    hostUpClears: ({ context, event }) => {
      if (event.type !== 'HOST_UP' || context.task === null || context.task.hostname !== event.hostname) return false;
      const left = event.source === undefined ? NO_SUSPICION : { ...context.suspicion, [event.source]: null };
      return left.mesos === null && left.portworx === null;
    },
    /** As hostUpClears, for a task that never reached TASK_RUNNING (put on probation while launching). */
    hostUpClearsLaunching: ({ context, event }) => {
      if (event.type !== 'HOST_UP' || context.task === null || context.task.hostname !== event.hostname) return false;
      if (context.taskHasRun) return false;
      const left = event.source === undefined ? NO_SUSPICION : { ...context.suspicion, [event.source]: null };
      return left.mesos === null && left.portworx === null;
    },
    /**
     * HOST_UP for every source (no `source`: Mesos and Portworx both have the host back) about a
     * host the pod avoids since its fence: it is no longer the failed host.
     */
    readmitsHost: ({ context, event }) =>
      event.type === 'HOST_UP' && event.source === undefined && context.excludeHosts.includes(event.hostname),
    hostConfirmedDown: ({ event }) => outputOf<ConfirmHostDownOutput>(event).down,
    routeIs: ({ context }, params: { route: 're-attach' | 'await-slot' | 'await-operator' }) =>
      context.failure !== null &&
      context.failure.kind === 'permanent' &&
      permanentRoute(context, context.failure.trigger as PermanentTrigger) === params.route,
    /** The same task reports running again (the host came back before the pod was moved). */
    taskBack: ({ context, event }) => {
      const u = currentUpdate(context, event);
      return u !== null && u.state === 'TASK_RUNNING';
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
      return {
        task: { taskId, agentId, hostname, offerId },
        taskState: null,
        taskHasRun: false,
        healthy: null,
        readinessCheck: event.readinessCheck === true,
        checkPassed: null,
        configId: event.configId ?? null,
        failure: null,
      };
    }),
    recordTaskState: assign(({ context, event }) => {
      const u = taskUpdate(event);
      if (u === null) return {};
      const current = !isStrayTask(context, u.taskId);
      return {
        taskState: u.state,
        taskHasRun: context.taskHasRun || (current && u.state === 'TASK_RUNNING'),
        healthy: u.healthy ?? null,
        // Every update of a checked task carries check_status (the executor copies the last one
        // into each update); one with no result yet (or a timed-out check) has not passed.
        ...(current && u.checkStatus ? { checkPassed: checkPassed(u.checkStatus) === true } : {}),
        lastEvent: `TASK_UPDATE ${u.state}`,
      };
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
      // The default executor marks a task it killed for failing its health check healthy=false.
      const unhealthy = u?.healthy === false ? ': killed by its health check (relaunching in place)' : '';
      const reason = u ? `task ended with ${u.state}${u.reason ? ` (${u.reason})` : ''}${unhealthy}` : `task ended (${event.type})`;
      return {
        failure: { kind: 'transient', trigger: 'task-ended', reason, excludeHost: null } satisfies PodFailure,
        consecutiveFailures: context.consecutiveFailures + 1,
        preferAgent: context.task?.agentId ?? context.preferAgent,
        lastTask: context.task ?? context.lastTask,
        task: null,
        suspicion: NO_SUSPICION,
      };
    }),
    failPermanent: assign(({ context }, params: { trigger: PermanentTrigger; reason: string }) => ({
      failure: permanentFailure(context, params.trigger, params.reason),
      needsFence: true,
    })),
    failPermanentFromUpdate: assign(({ context, event }) => {
      const u = taskUpdate(event);
      const state = u?.state ?? 'TASK_UNKNOWN';
      const trigger: PermanentTrigger = state === 'TASK_GONE_BY_OPERATOR' ? 'gone-by-operator' : 'task-unknown';
      const why =
        trigger === 'task-unknown'
          ? 'task reported TASK_UNKNOWN: the master forgot a running task'
          : 'task reported TASK_GONE_BY_OPERATOR: the operator marked the agent gone';
      return { failure: permanentFailure(context, trigger, why), needsFence: true };
    }),
    /**
     * The task died with its agent (TASK_LOST, agent removed): the host may be fine. Forget the
     * task, owe a release of whatever is still attached, relaunch preferring the same agent.
     */
    failLost: assign(({ context, event }) => {
      const agentGone = event.type === 'AGENT_GONE';
      const reason = agentGone
        ? 'the agent was removed: its task is dead; releasing the volumes, then relaunching'
        : 'task reported TASK_LOST: its agent unregistered or was replaced; releasing the volumes, then relaunching';
      return {
        failure: { kind: 'transient', trigger: agentGone ? 'agent-gone' : 'task-lost', reason, excludeHost: null } satisfies PodFailure,
        needsFence: true,
        preferAgent: context.task?.agentId ?? context.preferAgent,
        lastTask: context.task ?? context.lastTask,
        task: null,
        suspicion: NO_SUSPICION,
      };
    }),
    /** Record evidence that the task's host is down (HOST_DOWN, or TASK_UNREACHABLE from Mesos). */
    suspect: assign(({ context, event }) => {
      const suspicion =
        event.type === 'HOST_DOWN'
          ? { ...context.suspicion, [event.source]: event.reason }
          : { ...context.suspicion, mesos: 'Mesos reports the task unreachable' };
      return { suspicion, lastEvent: event.type === 'TASK_UPDATE' ? `TASK_UPDATE ${event.state}` : event.type };
    }),
    /** HOST_UP: drop the evidence of that source (every source when none is named). */
    clearSuspicion: assign(({ context, event }) => {
      if (event.type === 'HOST_UP' && event.source !== undefined) return { suspicion: { ...context.suspicion, [event.source]: null } };
      return { suspicion: NO_SUSPICION };
    }),
    noteProbation: assign(({ context }) => ({ reason: `on probation: ${suspicionReason(context)}` })),
    failHostDown: assign(({ context, event }) => ({
      failure: permanentFailure(context, 'host-down', `host down: ${outputOf<ConfirmHostDownOutput>(event).reason}`),
      needsFence: true,
      suspicion: NO_SUSPICION,
      retries: 0,
      lastError: null,
    })),
    noteNotDown: assign(({ event }) => ({ reason: `probation continues: ${outputOf<ConfirmHostDownOutput>(event).reason}`, retries: 0, lastError: null })),
    startReplacement: assign(({ context }) => ({
      replacing: context.failure?.kind === 'permanent' && movesPod(context.failure.trigger as PermanentTrigger),
    })),
    replaced: assign({ replacing: false }),
    resetSuspicion: assign({ suspicion: NO_SUSPICION }),
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
    /** The fenced host is back and healthy: a legitimate target again (docs/failure-classification.md, rule 8). */
    readmitHost: assign(({ context, event }) => {
      if (event.type !== 'HOST_UP') return {};
      return {
        excludeHosts: context.excludeHosts.filter((h) => h !== event.hostname),
        reason: `${event.hostname} is back and healthy: placeable again`,
        lastEvent: event.type,
      };
    }),
    clearFailure: assign({ failure: null, needsFence: false, suspicion: NO_SUSPICION }),
    /** Release detaches every volume (forcibly if its host is down), so it fences as well. */
    released: assign({ needsFence: false, retries: 0, lastError: null }),
    enterPlacement: assign({ allowNonHolder: false }),
    allowAnyHost: assign({ allowNonHolder: true }),
    setStop: assign(({ context, event }) => {
      // A stop ends any replacement in progress: the governor's slot is free again.
      if (event.type === 'DECOMMISSION') return { stop: { mode: 'decommission' as const, volumes: event.volumes }, suspicion: NO_SUSPICION, replacing: false };
      if (event.type === 'STOP' && context.stop === null) return { stop: { mode: 'stop' as const, volumes: 'retain' as const }, suspicion: NO_SUSPICION, replacing: false };
      return {};
    }),
    clearStop: assign({ stop: null, failure: null, retries: 0, lastError: null, goal: 'running' as const, replacing: false }),
  },
});

export { initialPodContext };
