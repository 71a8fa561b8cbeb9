import { placementReason, POD_TAGS, volumeIds } from './pod-instance.logic';
import { backoffTo, retryOrPark } from './retry';
import { hostSignals, PERMANENT, RELEASING, runningUpdates, SUSPECT, waitingUpdates } from './pod-instance.transitions';
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
      tags: [POD_TAGS.taskLive],
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
        up: {
          entry: [{ type: 'note', params: { reason: 'task running' } }, 'replaced', 'resetSuspicion'],
          after: { stableAfter: { actions: 'resetCrashLoop' } },
          on: {
            TASK_UPDATE: { guard: { type: 'updateIs', params: { outcome: 'running', launching: false } }, actions: 'recordTaskState' },
            RESUMED: { target: 'up', reenter: true },
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
    failed: {
      // Never entered by default: every transition names failed.transient or failed.permanent.
      initial: 'transient',
      states: {
        transient: {
          tags: [POD_TAGS.relaunching],
          entry: { type: 'note', params: { reason: 'task ended: relaunching in place' } },
          after: { relaunchDelay: '#pod.volume-provisioned' },
          on: { RESUMED: { target: 'transient', reenter: true } },
        },
        // The task died with its agent (TASK_LOST, agent removed): force-detach whatever is still
        // attached (confirmed by Portworx), then relaunch, preferring the same agent. Not a move.
        releasing: {
          tags: [POD_TAGS.relaunching],
          entry: { type: 'note', params: ({ context }) => ({ reason: context.failure?.reason ?? 'releasing the volumes of a lost task' }) },
          invoke: {
            src: 'fence',
            input: ({ context }) => ({
              service: context.service,
              pod: context.name,
              // The task is dead: no KILL, only the attachment it may have left behind.
              taskId: null,
              agentId: null,
              hostname: context.lastTask?.hostname ?? null,
              volumeIds: volumeIds(context),
            }),
            onDone: { target: '#pod.volume-provisioned', actions: 'fenced' },
            onError: retryOrPark('fence', 'release-backoff'),
          },
        },
        'release-backoff': backoffTo('releasing', 'release-backoff'),
        blocked: {
          tags: [POD_TAGS.blocked],
          on: { RETRY: { target: 'releasing', actions: 'resetRetries' } },
        },
        permanent: {
          always: [
            { guard: { type: 'routeIs', params: { route: 're-attach' } }, target: '#pod.re-attaching' },
            { guard: { type: 'routeIs', params: { route: 'await-slot' } }, target: 'awaiting-slot' },
            { target: 'awaiting-replace' },
          ],
        },
        // Automatic replacement: the replacement governor grants slots (per pod type, paused in
        // a storage outage); until then the pod stays where it is, and its task may come back.
        'awaiting-slot': {
          tags: [POD_TAGS.awaitingSlot],
          entry: { type: 'note', params: ({ context }) => ({ reason: `${context.failure?.reason ?? 'permanent failure'}: waiting for a replacement slot` }) },
          on: {
            REPLACE_GRANTED: '#pod.re-attaching',
            REPLACE: {
              target: 'permanent',
              actions: { type: 'failPermanent', params: { trigger: 'operator-replace', reason: 'operator requested replace' } },
            },
            TASK_UPDATE: [...waitingUpdates],
          },
        },
        'awaiting-replace': {
          tags: [POD_TAGS.blocked],
          entry: { type: 'note', params: ({ context }) => ({ reason: `${context.failure?.reason ?? 'permanent failure'}: waiting for \`pod replace\` (automatic replacement is off)` }) },
          on: {
            REPLACE: {
              target: 'permanent',
              actions: { type: 'failPermanent', params: { trigger: 'operator-replace', reason: 'operator requested replace' } },
            },
            TASK_UPDATE: [
              waitingUpdates[0],
              { guard: { type: 'updateIs', params: { outcome: 'permanent', launching: false } }, target: 'permanent', actions: ['recordTaskState', 'failPermanentFromUpdate'] },
              waitingUpdates[1],
              waitingUpdates[2],
            ],
          },
        },
      },
    },
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
    're-attaching': {
      tags: [POD_TAGS.reattaching],
      initial: 'fencing',
      entry: ['startReplacement', { type: 'note', params: { reason: 'fencing the old attachment: force-detach until Portworx confirms it' } }],
      states: {
        fencing: {
          invoke: {
            src: 'fence',
            input: ({ context }) => {
              const t = context.task ?? context.lastTask;
              return {
                service: context.service,
                pod: context.name,
                taskId: t?.taskId ?? null,
                agentId: t?.agentId ?? null,
                hostname: t?.hostname ?? null,
                volumeIds: volumeIds(context),
              };
            },
            onDone: { target: 'checking', actions: 'fenced' },
            onError: retryOrPark('fence', 'fence-backoff'),
          },
        },
        'fence-backoff': backoffTo('fencing', 'fence-backoff'),
        checking: {
          entry: { type: 'note', params: { reason: 'fenced: checking the volumes have a healthy replica' } },
          invoke: {
            src: 'checkVolumes',
            input: ({ context }) => ({ volumeIds: volumeIds(context) }),
            onDone: { target: '#pod.volume-provisioned', actions: 'applyVolumeCheck' },
            onError: retryOrPark('checkVolumes', 'check-backoff'),
          },
        },
        'check-backoff': backoffTo('checking', 'check-backoff'),
        blocked: {
          tags: [POD_TAGS.blocked],
          on: {
            RETRY: [
              { guard: 'needsFence', target: 'fencing', actions: 'resetRetries' },
              { target: 'checking', actions: 'resetRetries' },
            ],
          },
        },
      },
    },
    stopping: {
      tags: [POD_TAGS.stopping],
      initial: 'killing',
      entry: { type: 'note', params: { reason: 'stopping: kill, release, then dispose' } },
      on: {
        // Already stopping: STOP changes nothing, DECOMMISSION upgrades a stop to a decommission.
        STOP: {},
        DECOMMISSION: { actions: 'setStop' },
      },
      states: {
        killing: {
          invoke: {
            src: 'killTask',
            input: ({ context }) => ({ taskId: context.task?.taskId ?? '', agentId: context.task?.agentId ?? '', stopping: true }),
            onDone: [
              { guard: 'killConfirmed', target: 'releasing', actions: ['resetRetries', 'clearTask'] },
              { target: 'awaiting-terminal', actions: 'resetRetries' },
            ],
            onError: retryOrPark('killTask', 'kill-backoff'),
          },
          on: {
            TASK_UPDATE: { guard: 'updateEndsStop', target: 'releasing', actions: ['recordTaskState', 'clearTask'] },
            AGENT_GONE: { guard: 'onTaskAgent', target: 'releasing', actions: 'clearTask' },
          },
        },
        'kill-backoff': backoffTo('killing', 'kill-backoff'),
        'awaiting-terminal': {
          after: { killTimeout: 'killing' },
          on: {
            TASK_UPDATE: { guard: 'updateEndsStop', target: 'releasing', actions: ['recordTaskState', 'clearTask'] },
            AGENT_GONE: { guard: 'onTaskAgent', target: 'releasing', actions: 'clearTask' },
            RESUMED: { target: 'awaiting-terminal', reenter: true },
          },
        },
        releasing: {
          invoke: {
            src: 'releaseVolumes',
            input: ({ context }) => ({ volumeIds: volumeIds(context), hostname: context.lastTask?.hostname ?? null }),
            onDone: [
              { guard: 'isDecommission', target: 'disposing', actions: 'released' },
              { target: '#pod.stopped', actions: 'released' },
            ],
            onError: retryOrPark('releaseVolumes', 'release-backoff'),
          },
        },
        'release-backoff': backoffTo('releasing', 'release-backoff'),
        disposing: {
          invoke: {
            src: 'disposeVolumes',
            input: ({ context }) => ({ volumes: context.volumes, policy: context.stop?.volumes ?? 'retain' }),
            onDone: { target: '#pod.decommissioned', actions: 'resetRetries' },
            onError: retryOrPark('disposeVolumes', 'dispose-backoff'),
          },
        },
        'dispose-backoff': backoffTo('disposing', 'dispose-backoff'),
        blocked: {
          tags: [POD_TAGS.blocked],
          on: {
            RETRY: [
              { guard: 'hasTask', target: 'killing', actions: 'resetRetries' },
              { target: 'releasing', actions: 'resetRetries' },
            ],
          },
        },
      },
    },
    stopped: {
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
