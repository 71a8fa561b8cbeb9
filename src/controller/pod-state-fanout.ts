import { POD_TAGS } from '../../machines/pod-instance.logic';
import type { FrameworkEvent } from '../../machines/framework.types';
import type { Logger } from '../log/logger';
import type { Metrics } from '../observe/metrics';
import type { PodEntry, PodRegistry } from './pod-registry';
import type { ReplacementGovernor } from './replacement-governor';
import type { TaskTracker } from './task-tracker';
import type { VolumeLocations } from './volume-locations';
import { killLeftover, type StrayKiller } from './stray-killer';
import { podReplacementPhase } from './failure-policy';

/** Who hears of a pod's state change. */
export interface PodStateFanoutDeps {
  supervisor: { send(event: FrameworkEvent): void };
  pods: Pick<PodRegistry, 'context' | 'countsByState' | 'remove'>;
  governor: Pick<ReplacementGovernor, 'track'>;
  strays: Pick<StrayKiller, 'kill'>;
  tasks: Pick<TaskTracker, 'status'>;
  volumes: Pick<VolumeLocations, 'invalidate'>;
  metrics: Pick<Metrics, 'podStates'>;
  logger: Logger;
}

/**
 * A pod changed state: tell the supervisor (POD_STATE) and the replacement governor, kill a task
 * the pod left behind, update the per-state gauges, drop cached volume locations of a pod about
 * to be placed, and forget a pod that is done (decommissioned).
 */
export function fanOutPodState(deps: PodStateFanoutDeps, e: PodEntry): void {
  const ctx = deps.pods.context(e);
  const snap = e.actor.getSnapshot();
  const hasTag = (tag: string) => snap.hasTag(tag);
  deps.supervisor.send({ type: 'POD_STATE', podType: e.podType, index: e.index, state: e.state, blocked: hasTag(POD_TAGS.blocked), ready: hasTag(POD_TAGS.ready) });
  deps.governor.track({ name: e.name, podType: e.podType }, podReplacementPhase(snap));
  void killLeftover(deps.strays, (id) => deps.tasks.status(id)?.state, ctx).catch((err: unknown) => deps.logger.warn({ err }, 'killing a leftover task failed'));
  for (const [state, n] of deps.pods.countsByState()) deps.metrics.podStates.set({ state }, n);
  if (hasTag(POD_TAGS.awaitingOffer)) deps.volumes.invalidate(ctx.volumes.filter(() => ctx.replicaHosts.length > 0).map((v) => v.name));
  if (snap.status === 'done') void deps.pods.remove(e);
}
