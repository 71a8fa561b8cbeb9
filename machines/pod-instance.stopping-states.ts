import { POD_TAGS, volumeIds } from './pod-instance.logic';
import { backoffTo, retryOrPark } from './retry';
import { podInstanceSetup } from './pod-instance.setup';

/* The pod machine's `stopping` state (see pod-instance.machine.ts): kill, release, then dispose. */

export const stoppingState = podInstanceSetup.createStateConfig({
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
});
