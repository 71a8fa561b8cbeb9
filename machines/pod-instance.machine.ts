import { placementReason, POD_TAGS } from './pod-instance.logic';
import { backoffTo, retryOrPark } from './retry';
import { hostSignals, PERMANENT, RELEASING, runningUpdates, SUSPECT } from './pod-instance.transitions';
import { failedState, reattachingState } from './pod-instance.failed-states';
import { stoppingState } from './pod-instance.stopping-states';
import { initialPodContext, podInstanceSetup } from './pod-instance.setup';

/*
 * One actor per pod instance (e.g. cassandra node-1). States, events and effects are documented
 * in docs/machines.md; keep the two in step. Timed states answer RESUMED by re-entering
 * themselves: XState does not persist pending `after` timers in a persisted snapshot, so the
 * runtime sends RESUMED after restoring an actor to re-arm them (the wait restarts, which only
 * ever delays a decision, never hastens one).
 */

export const podInstanceMachine = podInstanceSetup.createMachine({
  id: 'pod',
  context: ({ input }) => initialPodContext(input),
  initial: 'pending',
  on: {
    DECOMMISSION: [
      { guard: 'hasTask', target: '#pod.stopping.killing', actions: 'setStop' },
      { target: '#pod.stopping.releasing', actions: 'setStop' },
    ],
    STOP: [
      { guard: 'hasTask', target: '#pod.stopping.killing', actions: 'setStop' },
      { target: '#pod.stopping.releasing', actions: 'setStop' },
    ],
  },
  states: {
    pending: {
      initial: 'provisioning',
      states: {
        provisioning: {
          entry: { type: 'note', params: { reason: 'provisioning volumes' } },
          invoke: {
            src: 'ensureVolumes',
            input: ({ context }) => ({
              service: context.service,
              podType: context.podType,
              index: context.index,
              volumes: context.volumes,
            }),
            onDone: [
              { guard: 'goalStopped', target: '#pod.stopped', actions: 'setVolumes' },
              { target: '#pod.volume-provisioned', actions: 'setVolumes' },
            ],
            onError: retryOrPark('ensureVolumes', 'backoff'),
          },
        },
        'backoff': backoffTo('provisioning', 'backoff'),
        blocked: {
          tags: [POD_TAGS.blocked],
          on: { RETRY: { target: 'provisioning', actions: 'resetRetries' } },
        },
      },
    },
    'volume-provisioned': {
      tags: [POD_TAGS.awaitingOffer],
      entry: ['enterPlacement', { type: 'note', params: ({ context }) => ({ reason: placementReason(context) }) }],
      initial: 'awaiting-holder',
      on: {
        PLACE: { guard: 'canPlace', target: 'placed', actions: 'assignTask' },
        // The host fenced by a replacement is back for Mesos and Portworx: it may be chosen again.
        HOST_UP: { guard: 'readmitsHost', actions: 'readmitHost' },
      },
      states: {
        'awaiting-holder': {
          after: { convergenceWait: { guard: 'softConvergence', target: 'awaiting-any' } },
          on: { RESUMED: { target: 'awaiting-holder', reenter: true } },
        },
        'awaiting-any': {
          entry: ['allowAnyHost', { type: 'note', params: { reason: 'no replica holder fit in time: any host allowed (soft convergence)' } }],
        },
      },
    },
    placed: {
      tags: [POD_TAGS.taskLive],
      entry: { type: 'note', params: { reason: 'launched, waiting for TASK_RUNNING' } },
      after: {
        launchTimeout: {
          target: 'relaunching',
          actions: { type: 'markRelaunch', params: { trigger: 'launch-timeout', reason: 'task did not reach TASK_RUNNING in time' } },
        },
      },
      on: {
        TASK_UPDATE: [
          { guard: { type: 'updateIs', params: { outcome: 'progress', launching: true } }, actions: 'recordTaskState' },
          { guard: { type: 'updateIs', params: { outcome: 'running', launching: true } }, target: 'running', actions: ['recordTaskState', 'resetLaunchFailures'] },
          {
            guard: 'launchFailedTooOften',
            target: PERMANENT,
            actions: [
              'recordTaskState',
              'countLaunchFailure',
              { type: 'failPermanent', params: { trigger: 'launch-failures', reason: 'repeated launch failures: fencing stale volume attachments' } },
            ],
          },
          { guard: { type: 'updateIs', params: { outcome: 'launch-failed', launching: true } }, target: 'volume-provisioned', actions: ['recordTaskState', 'countLaunchFailure', 'clearTask'] },
          { guard: { type: 'updateIs', params: { outcome: 'transient', launching: true } }, target: 'failed.transient', actions: ['recordTaskState', 'failTransient'] },
          { guard: { type: 'updateIs', params: { outcome: 'suspect', launching: true } }, target: SUSPECT, actions: ['recordTaskState', 'suspect'] },
          { guard: { type: 'updateIs', params: { outcome: 'lost', launching: true } }, target: RELEASING, actions: ['recordTaskState', 'failLost'] },
          { guard: { type: 'updateIs', params: { outcome: 'permanent', launching: true } }, target: PERMANENT, actions: ['recordTaskState', 'failPermanentFromUpdate'] },
        ],
        ...hostSignals,
        RESTART: {
          target: 'relaunching',
          actions: { type: 'markRelaunch', params: { trigger: 'operator-restart', reason: 'operator requested restart' } },
        },
        RESUMED: { target: 'placed', reenter: true },
      },
    },
    running: {
      tags: [POD_TAGS.taskLive, POD_TAGS.running],
      initial: 'up',
      on: {
        TASK_UPDATE: [...runningUpdates],
        ...hostSignals,
        RESTART: {
          target: 'relaunching',
          actions: { type: 'markRelaunch', params: { trigger: 'operator-restart', reason: 'operator requested restart' } },
        },
      },
      states: {
        // Running and ready: the readiness check passed, or the task has none (ready = running).
        up: {
          tags: [POD_TAGS.ready],
          entry: [{ type: 'note', params: { reason: 'task running' } }, 'replaced', 'resetSuspicion'],
          after: { stableAfter: { actions: 'resetCrashLoop' } },
          always: { guard: 'notReady', target: 'unready' },
          on: {
            TASK_UPDATE: { guard: { type: 'updateIs', params: { outcome: 'running', launching: false } }, actions: 'recordTaskState' },
            RESUMED: { target: 'up', reenter: true },
          },
        },
        // Running, but its readiness check has not passed yet (or failed since): plan steps wait.
        // Each TASK_RUNNING carries the check's latest result (check_status); a pass makes it up.
        unready: {
          entry: { type: 'note', params: { reason: 'task running, waiting for its readiness check to pass' } },
          after: { stableAfter: { actions: 'resetCrashLoop' } },
          always: { guard: 'ready', target: 'up' },
          on: {
            TASK_UPDATE: { guard: { type: 'updateIs', params: { outcome: 'running', launching: false } }, actions: 'recordTaskState' },
            RESUMED: { target: 'unready', reenter: true },
          },
        },
        // Probation: evidence that the host is down, not yet confirmed. The task may be running
        // (and writing); nothing moves until confirmHostDown re-reads the evidence at the end.
        suspect: {
          tags: [POD_TAGS.probation],
          entry: 'noteProbation',
          initial: 'probation',
          on: {
            HOST_DOWN: { guard: 'onTaskHost', actions: ['suspect', 'noteProbation'] },
            HOST_UP: [
              // A launch put on probation goes back to waiting for TASK_RUNNING.
              { guard: 'hostUpClearsLaunching', target: '#pod.placed', actions: 'clearSuspicion' },
              { guard: 'hostUpClears', target: 'up', actions: 'clearSuspicion' },
              { guard: 'onTaskHost', actions: ['clearSuspicion', 'noteProbation'] },
            ],
            TASK_UPDATE: [
              // The agent reports the task: it is reachable, and the task runs.
              { guard: { type: 'updateIs', params: { outcome: 'running', launching: false } }, target: 'up', actions: ['recordTaskState', 'resetLaunchFailures'] },
              { guard: { type: 'updateIs', params: { outcome: 'suspect', launching: false } }, actions: ['recordTaskState', 'suspect'] },
              ...runningUpdates.filter((t) => t.guard.params.outcome !== 'suspect'),
            ],
          },
          states: {
            probation: {
              after: { probation: 'confirming' },
              on: { RESUMED: { target: 'probation', reenter: true } },
            },
            confirming: {
              invoke: {
                src: 'confirmHostDown',
                input: ({ context }) => ({
                  taskId: context.task?.taskId ?? '',
                  agentId: context.task?.agentId ?? '',
                  hostname: context.task?.hostname ?? '',
                  suspicion: context.suspicion,
                }),
                onDone: [
                  { guard: 'hostConfirmedDown', target: PERMANENT, actions: 'failHostDown' },
                  { target: 'probation', actions: 'noteNotDown' },
                ],
                // Unsure is not down: look again after a backoff, never fail on a failed look.
                onError: { target: 'confirm-backoff', actions: { type: 'recordEffectError', params: { effect: 'confirmHostDown' } } },
              },
            },
            'confirm-backoff': backoffTo('confirming', 'confirm-backoff'),
          },
        },
      },
    },
    failed: failedState,
    'relaunching': {
      tags: [POD_TAGS.relaunching, POD_TAGS.taskLive],
      initial: 'killing',
      entry: { type: 'note', params: { reason: 'killing the task to relaunch it in place' } },
      on: {
        TASK_UPDATE: [
          // A launch that timed out and that the master never heard of: place it again.
          { guard: 'neverLaunched', target: 'volume-provisioned', actions: ['recordTaskState', 'clearTask'] },
          { guard: { type: 'updateIs', params: { outcome: 'permanent', launching: false } }, target: PERMANENT, actions: ['recordTaskState', 'failPermanentFromUpdate'] },
          { guard: { type: 'updateIs', params: { outcome: 'lost', launching: false } }, target: RELEASING, actions: ['recordTaskState', 'failLost'] },
          { guard: 'updateIsTerminal', target: 'volume-provisioned', actions: ['recordTaskState', 'clearTask'] },
          { guard: { type: 'updateIs', params: { outcome: 'suspect', launching: false } }, target: SUSPECT, actions: ['recordTaskState', 'suspect'] },
        ],
        ...hostSignals,
      },
      states: {
        killing: {
          invoke: {
            src: 'killTask',
            input: ({ context }) => ({ taskId: context.task?.taskId ?? '', agentId: context.task?.agentId ?? '' }),
            onDone: [
              { guard: 'killConfirmed', target: '#pod.volume-provisioned', actions: ['resetRetries', 'clearTask'] },
              { target: 'awaiting-terminal', actions: 'resetRetries' },
            ],
            onError: retryOrPark('killTask', 'backoff'),
          },
        },
        'backoff': backoffTo('killing', 'backoff'),
        'awaiting-terminal': {
          after: { killTimeout: 'killing' },
          on: { RESUMED: { target: 'awaiting-terminal', reenter: true } },
        },
        blocked: { tags: [POD_TAGS.blocked], on: { RETRY: { target: 'killing', actions: 'resetRetries' } } },
      },
    },
    're-attaching': reattachingState,
    stopping: stoppingState,
    stopped: {
      tags: [POD_TAGS.stopped],
      entry: { type: 'note', params: { reason: 'stopped: task killed, volumes released' } },
      on: {
        STOP: {},
        DECOMMISSION: { target: '#pod.stopping.releasing', actions: 'setStop' },
        // A pod stopped before its volumes existed provisions them first.
        START: [
          { guard: 'readyToPlace', target: 'volume-provisioned', actions: 'clearStop' },
          { guard: 'canPlace', target: 'pending', actions: 'clearStop' },
        ],
      },
    },
    decommissioned: {
      type: 'final',
      entry: { type: 'note', params: { reason: 'decommissioned' } },
    },
  },
});

export type PodInstanceMachine = typeof podInstanceMachine;
