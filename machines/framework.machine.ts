import { advancePlans, frameworkSetup, initialFrameworkContext, reassertPlans } from './framework.setup';
import { retryOrPark } from './retry';
import { FRAMEWORK_TAGS } from './framework.types';

/*
 * The framework supervisor: one per service. It never holds pod actors (the runtime in src/
 * spawns them); it learns their progress from POD_STATE and asks for work through named
 * actions (startPod, decommissionPod, revive, suppress, subscribe, stepDown). The runtime starts
 * it fresh on every process start: restoreState hands back what toSavedState() stored, so no
 * pending `after` timer is ever lost across a restart. See docs/machines.md.
 */

export const frameworkMachine = frameworkSetup.createMachine({
  id: 'framework',
  context: ({ input }) => initialFrameworkContext(input),
  initial: 'starting',
  on: {
    // Pods report in every state (the runtime restores them before we lead); keep the view current.
    POD_STATE: { actions: 'recordPodState' },
  },
  states: {
    starting: {
      tags: [FRAMEWORK_TAGS.unsaved],
      initial: 'restoring-state',
      states: {
        'restoring-state': {
          entry: { type: 'note', params: { reason: 'restoring state' } },
          invoke: {
            src: 'restoreState',
            input: ({ context }) => ({ service: context.service }),
            onDone: { target: 'acquiring-lease', actions: 'applyRestoredState' },
            onError: { target: 'backoff', actions: { type: 'recordEffectError', params: { effect: 'restoreState' } } },
          },
        },
        'acquiring-lease': {
          entry: { type: 'note', params: { reason: 'acquiring the leader lease' } },
          invoke: {
            src: 'acquireLease',
            input: ({ context }) => ({ service: context.service }),
            onDone: [
              // Mesos forgets a torn-down framework: it can never subscribe again, so finish offline.
              { guard: 'tornDownAndLeading', target: '#framework.uninstalling', actions: ['recordLeaseHolder', 'resetRetries'] },
              { guard: 'leaseAcquired', target: '#framework.subscribing', actions: ['recordLeaseHolder', 'resetRetries'] },
              { target: '#framework.standby', actions: 'recordLeaseHolder' },
            ],
            onError: { target: 'backoff', actions: { type: 'recordEffectError', params: { effect: 'acquireLease' } } },
          },
        },
        backoff: { after: { retryDelay: 'restoring-state' } },
      },
    },
    standby: {
      tags: [FRAMEWORK_TAGS.unsaved],
      entry: ['stepDown', { type: 'note', params: { reason: 'another scheduler holds the lease: standing by' } }],
      after: { leaseRetry: 'starting' },
    },
    subscribing: {
      entry: [
        { type: 'subscribe', params: ({ context }) => ({ frameworkId: context.frameworkId }) },
        { type: 'note', params: { reason: 'subscribing to the Mesos master' } },
      ],
      after: { subscribeTimeout: { target: 'subscribing', reenter: true } },
      on: {
        SUBSCRIBED: [
          { guard: 'uninstallRequested', target: 'uninstalling', actions: 'setFrameworkId' },
          { target: 'reconciling', actions: 'setFrameworkId' },
        ],
        // The master refuses our framework id: it was torn down (our own uninstall, crashed
        // before recording it) or its failover timeout passed (register anew; tasks are gone).
        FRAMEWORK_REMOVED: [
          { guard: 'uninstallRequested', target: 'uninstalling', actions: 'markTornDown' },
          { target: 'subscribing', reenter: true, actions: 'forgetFrameworkId' },
        ],
        LEASE_LOST: 'standby',
        UNINSTALL: { target: 'uninstalling', actions: 'beginUninstall' },
      },
    },
    reconciling: {
      initial: 'explicit',
      entry: { type: 'note', params: { reason: 'reconciling tasks with the master' } },
      on: {
        TASK_UPDATE: { actions: 'markReconciled' },
        DISCONNECTED: 'subscribing',
        LEASE_LOST: 'standby',
        UNINSTALL: { target: 'uninstalling', actions: 'beginUninstall' },
      },
      states: {
        explicit: {
          initial: 'sending',
          always: { guard: 'allReconciled', target: 'implicit' },
          states: {
            sending: {
              invoke: {
                src: 'reconcile',
                input: ({ context }) => ({ tasks: context.reconcile.tasks }),
                onDone: { target: 'waiting', actions: 'resetRetries' },
                onError: { target: 'waiting', actions: { type: 'recordEffectError', params: { effect: 'reconcile' } } },
              },
            },
            waiting: {
              after: { reconcileDelay: { target: 'sending', actions: 'countReconcileAttempt' } },
            },
          },
        },
        implicit: {
          initial: 'sending',
          states: {
            sending: {
              invoke: {
                src: 'reconcile',
                input: () => ({ tasks: [] }),
                onDone: { target: '#framework.active', actions: 'resetRetries' },
                onError: { target: 'backoff', actions: { type: 'recordEffectError', params: { effect: 'reconcile' } } },
              },
            },
            backoff: { after: { retryDelay: 'sending' } },
          },
        },
      },
    },
    active: {
      type: 'parallel',
      tags: [FRAMEWORK_TAGS.active],
      entry: [reassertPlans, { type: 'note', params: { reason: 'active' } }],
      on: {
        POD_STATE: { actions: ['recordPodState', advancePlans] },
        PLAN_PAUSE: { guard: 'planTargetExists', actions: 'applyPlanCommand' },
        PLAN_RESUME: { guard: 'planTargetExists', actions: ['applyPlanCommand', advancePlans] },
        PLAN_FORCE_COMPLETE: [
          { guard: 'planTargetExists', actions: ['applyPlanCommand', advancePlans] },
          { actions: { type: 'rejectCommand', params: { reason: 'no such phase or step in the plan' } } },
        ],
        PLAN_RESTART: [
          { guard: 'planTargetExists', actions: ['applyPlanCommand', advancePlans] },
          { actions: { type: 'rejectCommand', params: { reason: 'no such phase or step in the plan' } } },
        ],
        DISCONNECTED: 'subscribing',
        LEASE_LOST: 'standby',
        UNINSTALL: { target: 'uninstalling', actions: 'beginUninstall' },
      },
      states: {
        plans: {
          initial: 'deploying',
          states: {
            deploying: {
              always: { guard: 'deployComplete', target: 'complete' },
              on: { PLAN_PAUSE: { guard: 'forDeployPlan', target: 'paused', actions: 'applyPlanCommand' } },
            },
            paused: {
              on: { PLAN_RESUME: { guard: 'forDeployPlan', target: 'deploying', actions: ['applyPlanCommand', advancePlans] } },
            },
            complete: {
              always: { guard: 'deployIncomplete', target: 'deploying' },
            },
          },
        },
        offers: {
          initial: 'reviving',
          states: {
            reviving: {
              entry: 'revive',
              always: { guard: 'noOffersNeeded', target: 'suppressed' },
              after: { reviveInterval: { target: 'reviving', reenter: true } },
            },
            suppressed: {
              entry: 'suppress',
              always: { guard: 'needsOffers', target: 'reviving' },
            },
          },
        },
        snapshot: {
          initial: 'idle',
          states: {
            idle: {
              on: { SNAPSHOT_CREATE: { target: 'pre-commands', actions: 'beginSnapshot' } },
            },
            'pre-commands': {
              invoke: {
                src: 'runPreCommands',
                input: ({ context }) => ({ service: context.service, name: context.snapshot.current?.name ?? '' }),
                onDone: 'group-snapshot',
                // An inconsistent snapshot is worse than none: skip it, but still undo the pre-commands.
                onError: { target: 'post-commands', actions: { type: 'snapshotFailed', params: { stage: 'pre-commands' } } },
              },
            },
            'group-snapshot': {
              invoke: {
                src: 'groupSnapshot',
                input: ({ context }) => ({ service: context.service, name: context.snapshot.current?.name ?? '' }),
                onDone: { target: 'post-commands', actions: 'snapshotTaken' },
                onError: { target: 'post-commands', actions: { type: 'snapshotFailed', params: { stage: 'group snapshot' } } },
              },
            },
            'post-commands': {
              invoke: {
                src: 'runPostCommands',
                input: ({ context }) => ({ service: context.service, name: context.snapshot.current?.name ?? '' }),
                onDone: { target: 'idle', actions: { type: 'finishSnapshot', params: { postFailed: false } } },
                onError: { target: 'idle', actions: { type: 'finishSnapshot', params: { postFailed: true } } },
              },
            },
          },
        },
        scale: {
          initial: 'idle',
          on: {
            SCALE: [
              { guard: 'validScale', actions: ['applyScale', advancePlans] },
              { actions: { type: 'rejectCommand', params: { reason: 'unknown pod type or invalid count' } } },
            ],
          },
          states: {
            idle: {
              always: { guard: 'decommissionPending', target: 'decommissioning' },
            },
            decommissioning: {
              always: { guard: 'decommissionDone', target: 'idle', actions: 'clearDecommission' },
            },
          },
        },
      },
    },
    uninstalling: {
      tags: [FRAMEWORK_TAGS.uninstalling],
      initial: 'resume',
      entry: { type: 'note', params: { reason: 'uninstalling' } },
      on: {
        DISCONNECTED: 'subscribing',
        LEASE_LOST: 'standby',
        UNINSTALL: { actions: 'beginUninstall' },
      },
      states: {
        // Route to the first step not yet done: the progress is in context, so a restart resumes.
        resume: {
          always: [
            { guard: { type: 'stepPending', params: { step: 'kill-tasks' } }, target: 'killing-tasks' },
            { guard: { type: 'stepPending', params: { step: 'detach-volumes' } }, target: 'detaching-volumes' },
            { guard: { type: 'stepPending', params: { step: 'dispose-volumes' } }, target: 'disposing-volumes' },
            { guard: { type: 'stepPending', params: { step: 'teardown' } }, target: 'tearing-down' },
            { guard: { type: 'stepPending', params: { step: 'delete-state' } }, target: 'deleting-state' },
            { guard: { type: 'stepPending', params: { step: 'remove-app' } }, target: 'removing-app' },
            { target: '#framework.uninstalled' },
          ],
        },
        'killing-tasks': {
          invoke: {
            src: 'killAllTasks',
            input: ({ context }) => ({ service: context.service }),
            onDone: { target: 'resume', actions: { type: 'uninstallStepDone', params: { step: 'kill-tasks' } } },
            onError: retryOrPark('killAllTasks', 'backoff'),
          },
        },
        'detaching-volumes': {
          invoke: {
            src: 'detachAllVolumes',
            input: ({ context }) => ({ service: context.service }),
            onDone: { target: 'resume', actions: { type: 'uninstallStepDone', params: { step: 'detach-volumes' } } },
            onError: retryOrPark('detachAllVolumes', 'backoff'),
          },
        },
        'disposing-volumes': {
          invoke: {
            src: 'disposeAllVolumes',
            input: ({ context }) => ({
              service: context.service,
              deleteVolumes: context.uninstall?.deleteVolumes ?? false,
              deleteSnapshots: context.uninstall?.deleteSnapshots ?? false,
            }),
            onDone: { target: 'resume', actions: { type: 'uninstallStepDone', params: { step: 'dispose-volumes' } } },
            onError: retryOrPark('disposeAllVolumes', 'backoff'),
          },
        },
        'tearing-down': {
          invoke: {
            src: 'teardown',
            input: ({ context }) => ({ service: context.service }),
            onDone: { target: 'resume', actions: { type: 'uninstallStepDone', params: { step: 'teardown' } } },
            onError: retryOrPark('teardown', 'backoff'),
          },
        },
        'deleting-state': {
          tags: [FRAMEWORK_TAGS.deletingState],
          invoke: {
            src: 'deleteState',
            input: ({ context }) => ({ service: context.service }),
            onDone: { target: 'resume', actions: ['recordStateDeleted', { type: 'uninstallStepDone', params: { step: 'delete-state' } }] },
            onError: retryOrPark('deleteState', 'backoff'),
          },
        },
        // Last: removing the scheduler's own Marathon app ends this process (the tombstone is written).
        'removing-app': {
          invoke: {
            src: 'removeApp',
            input: ({ context }) => ({ service: context.service }),
            onDone: { target: 'resume', actions: ['recordAppRemoval', { type: 'uninstallStepDone', params: { step: 'remove-app' } }] },
            onError: retryOrPark('removeApp', 'backoff'),
          },
        },
        backoff: { after: { retryDelay: 'resume' } },
        blocked: { on: { RETRY: { target: 'resume', actions: 'resetRetries' } } },
      },
    },
    // The tombstone: healthy, deploys nothing, survives restarts; only REINSTALL deploys again.
    uninstalled: {
      tags: [FRAMEWORK_TAGS.uninstalled],
      entry: ['clearForTombstone', { type: 'note', params: { reason: 'uninstalled: `pxfw <service> reinstall --yes` deploys it again' } }],
      on: {
        REINSTALL: 'reinstalling',
        LEASE_LOST: 'standby',
        UNINSTALL: { actions: { type: 'rejectCommand', params: { reason: 'already uninstalled' } } },
      },
    },
    reinstalling: {
      tags: [FRAMEWORK_TAGS.reinstalling],
      entry: { type: 'note', params: { reason: 'reinstalling: removing the tombstone' } },
      invoke: {
        src: 'reinstall',
        input: ({ context }) => ({ service: context.service }),
        onDone: { target: 'subscribing', actions: 'applyReinstall' },
        onError: { target: 'uninstalled', actions: { type: 'recordEffectError', params: { effect: 'reinstall' } } },
      },
      on: { LEASE_LOST: 'standby' },
    },
  },
});

export type FrameworkMachine = typeof frameworkMachine;
