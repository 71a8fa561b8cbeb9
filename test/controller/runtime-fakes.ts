import type { Logger } from 'pino';
import { POD_TAGS } from '../../machines/pod-instance.logic';
import type { PodEntry } from '../../src/controller/pod-registry';
import type { ClusterState } from '../../src/controller/cluster-view';
import { SchedulerConnection } from '../../src/controller/ports/scheduler-calls';
import { TaskTracker } from '../../src/controller/task-tracker';
import type { ServiceSpec } from '../../src/service-spec';
import type { TaskRef } from '../../machines/pod-instance.types';
import type { FakeMesos } from './fixtures';

/** A pod as the registry shows it: a name, a state path, its tags and the task in its context. */
export interface FakePod {
  name: string;
  podType: string;
  index: number;
  state: string;
  task: TaskRef | null;
  actor: { getSnapshot(): { hasTag(tag: string): boolean } };
}

/** The tags the pod machine gives the states these fakes play. */
const TAGS: Record<string, string[]> = {
  'running.up': [POD_TAGS.running, POD_TAGS.ready, POD_TAGS.taskLive],
  'running.unreachable': [POD_TAGS.running, POD_TAGS.probation, POD_TAGS.taskLive],
};

export function podOn(podType: string, index: number, state: string, host: string | null): FakePod {
  const name = `${podType}-${index}`;
  const task = host === null ? null : { taskId: `demo__${name}__1`, agentId: `agent-${host}`, hostname: host, offerId: `offer-${host}` };
  const tags = TAGS[state] ?? [];
  return { name, podType, index, state, task, actor: { getSnapshot: () => ({ hasTag: (tag: string) => tags.includes(tag) }) } };
}

/**
 * The narrow deps SnapshotManager and the framework effects take: the spec, pods over fixed
 * entries, the task tracker, the cluster view, a scheduler connection to a fake master, a logger.
 */
export function fakeDeps(opts: {
  spec: ServiceSpec;
  pods: FakePod[];
  cluster?: ClusterState;
  mesos?: FakeMesos;
  killWaitMs?: number;
  logger: Logger;
}) {
  const tasks = new TaskTracker();
  let stopped = false;
  const pods = {
    all: () => opts.pods as unknown as PodEntry[],
    context: (e: PodEntry) => ({ task: (e as unknown as FakePod).task }),
    stopAll: () => {
      stopped = true;
    },
  };
  const scheduler = new SchedulerConnection(opts.logger);
  if (opts.mesos) {
    scheduler.connect(opts.mesos.asClient());
    scheduler.markSubscribed();
  }
  const deps = {
    service: opts.spec.name,
    spec: () => opts.spec,
    pods,
    tasks,
    cluster: opts.cluster as ClusterState,
    scheduler,
    killWaitMs: opts.killWaitMs ?? 100,
    logger: opts.logger,
  };
  return { deps, tasks, stopped: () => stopped };
}
