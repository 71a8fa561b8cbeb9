import { POD_TAGS, volumeIds } from './pod-instance.logic';
import { backoffTo, retryOrPark } from './retry';
import { waitingUpdates } from './pod-instance.transitions';
import { podInstanceSetup } from './pod-instance.setup';

/*
 * The pod machine's failure states (see pod-instance.machine.ts and docs/machines.md): `failed`
 * (relaunch in place, release a lost task's volumes, wait for a replacement slot or the operator)
 * and `re-attaching` (fence the old attachment, check the volumes, then place the pod again).
 */

export const failedState = podInstanceSetup.createStateConfig({
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
});

export const reattachingState = podInstanceSetup.createStateConfig({
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
});
