import type { Logger } from 'pino';
import type { Runtime } from '../../src/controller/runtime';
import type { PodEntry } from '../../src/controller/pod-registry';
import type { ClusterState } from '../../src/controller/cluster-view';
import { TaskTracker } from '../../src/controller/task-tracker';
import type { ServiceSpec } from '../../src/service-spec';
import type { TaskRef } from '../../machines/pod-instance.types';
import type { FakeMesos } from './fixtures';

/** A pod as the registry shows it: a name, a state path and the task in its context. */
export interface FakePod {
  name: string;
  podType: string;
  index: number;
  state: string;
  task: TaskRef | null;
}

export function podOn(podType: string, index: number, state: string, host: string | null): FakePod {
  const name = `${podType}-${index}`;
  const task = host === null ? null : { taskId: `demo__${name}__1`, agentId: `agent-${host}`, hostname: host, offerId: `offer-${host}` };
  return { name, podType, index, state, task };
}

/**
 * Only the parts of Runtime that SnapshotManager and the framework effects touch: the spec,
 * a registry over fixed pods, the task tracker, the cluster view, Mesos, timing and a logger.
 */
export function fakeRuntime(opts: {
  spec: ServiceSpec;
  pods: FakePod[];
  cluster?: ClusterState;
  mesos?: FakeMesos;
  killWaitMs?: number;
  logger: Logger;
}): { rt: Runtime; tasks: TaskTracker; stopped: () => boolean } {
  const tasks = new TaskTracker();
  let stopped = false;
  const registry = {
    all: () => opts.pods as unknown as PodEntry[],
    context: (e: PodEntry) => ({ task: (e as unknown as FakePod).task }),
    stopAll: () => {
      stopped = true;
    },
  };
  const rt = {
    service: opts.spec.name,
    spec: opts.spec,
    registry,
    tasks,
    cluster: opts.cluster,
    mesos: opts.mesos?.asClient(),
    timing: { killWaitMs: opts.killWaitMs ?? 100 },
    logger: opts.logger,
  };
  return { rt: rt as unknown as Runtime, tasks, stopped: () => stopped };
}
