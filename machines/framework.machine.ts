import { advancePlans, frameworkSetup, initialFrameworkContext, reassertPlans } from './framework.setup';
import { FRAMEWORK_TAGS, type UninstallStep } from './framework.types';

/*
 * The framework supervisor: one per service. It never holds pod actors (the runtime in src/
 * spawns them); it learns their progress from POD_STATE and asks for work through named
 * actions (startPod, decommissionPod, revive, suppress, subscribe, stepDown). The runtime starts
 * it fresh on every process start: restoreState hands back what toSavedState() stored, so no
 * pending `after` timer is ever lost across a restart. See docs/machines.md.
 */

/** The mirror substate of the first uninstall step the record does not have done. */
const UNINSTALL_SUBSTATE: [UninstallStep, string][] = [
  ['kill-tasks', 'killing-tasks'],
  ['detach-volumes', 'detaching-volumes'],
  ['dispose-volumes', 'disposing-volumes'],
  ['teardown', 'tearing-down'],
  ['delete-state', 'deleting-state'],
  ['remove-app', 'removing-app'],
];
function uninstallRoutes() {
  return UNINSTALL_SUBSTATE.map(([step, target]) => ({ guard: { type: 'stepPending' as const, params: { step } }, target }));
}

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
        PLAN_PAUSE: [
          { guard: 'planTargetExists', actions: 'applyPlanCommand' },
          { actions: { type: 'rejectCommand', params: { reason: 'no such phase in the plan' } } },
        ],
        PLAN_RESUME: [
          { guard: 'planTargetExists', actions: ['applyPlanCommand', advancePlans] },
          { actions: { type: 'rejectCommand', params: { reason: 'no such phase in the plan' } } },
        ],
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
              tags: [FRAMEWORK_TAGS.deploying],
              always: { guard: 'deployComplete', target: 'complete' },
              on: { PLAN_PAUSE: { guard: 'wholeDeployPlan', target: 'paused', actions: 'applyPlanCommand' } },
            },
            paused: {
              on: { PLAN_RESUME: { guard: 'wholeDeployPlan', target: 'deploying', actions: ['applyPlanCommand', advancePlans] } },
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
    // The uninstall is a workflow plan (src/workflows/uninstall-workflow.ts, KV `plans.uninstall`):
    // started here, it runs the steps, persisted one by one, and reports its stored progress
    // (UNINSTALL_PLAN). The substates mirror the step under way (`ctx.uninstall.done`, which goes
    // to the record and then the tombstone); the supervisor is `uninstalled` on the plan's completion tag.
    uninstalling: {
      tags: [FRAMEWORK_TAGS.uninstalling],
      initial: 'resume',
      entry: { type: 'note', params: { reason: 'uninstalling' } },
      invoke: {
        src: 'runUninstallPlan',
        input: ({ context }) => ({
          service: context.service,
          frameworkId: context.frameworkId,
          deleteVolumes: context.uninstall?.deleteVolumes ?? false,
          deleteSnapshots: context.uninstall?.deleteSnapshots ?? false,
          done: [...(context.uninstall?.done ?? [])],
          retry: { initialMs: context.timing.retryInitialMs, maxMs: context.timing.retryMaxMs },
        }),
      },
      on: {
        DISCONNECTED: 'subscribing',
        LEASE_LOST: 'standby',
        UNINSTALL: { actions: 'beginUninstall' },
        UNINSTALL_PLAN: [
          { guard: 'uninstallPlanComplete', target: '#framework.uninstalled', actions: 'recordUninstallPlan' },
          { guard: 'uninstallPlanStopped', target: '.blocked', actions: 'recordUninstallPlan' },
          { guard: 'uninstallStepsDone', target: '.next', actions: 'recordUninstallPlan' },
          // A step retrying after a retryable error: the reason is shown, the step stays.
          { actions: 'recordUninstallPlan' },
        ],
      },
      states: {
        // Entered (a request, a restart, a re-subscription): a record with every step done is uninstalled.
        resume: { always: [...uninstallRoutes(), { target: '#framework.uninstalled' }] },
        // The plan stored a step: show the next one; all done, wait for the plan's completion tag.
        next: { always: [...uninstallRoutes(), { target: 'finishing' }] },
        'killing-tasks': {},
        'detaching-volumes': {},
        'disposing-volumes': {},
        'tearing-down': {},
        // No supervisor write while the state is deleted (persistKey): the tombstone is written by the step.
        'deleting-state': { tags: [FRAMEWORK_TAGS.deletingState] },
        // Last: removing the scheduler's own Marathon app ends this process (the tombstone is written).
        'removing-app': {},
        finishing: {},
        // The plan stopped at a step that failed for good: RETRY starts it again at that step.
        blocked: { tags: [FRAMEWORK_TAGS.uninstallBlocked], on: { RETRY: { target: '#framework.uninstalling', reenter: true, actions: 'resetRetries' } } },
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
