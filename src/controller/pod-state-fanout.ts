import { POD_TAGS } from '../../machines/pod-instance.logic';
import type { Runtime } from './runtime';
import type { PodEntry } from './pod-registry';
import { killLeftover } from './stray-killer';
import { podReplacementPhase } from './failure-policy';

/**
 * A pod changed state: tell the supervisor (POD_STATE) and the replacement governor, kill a task
 * the pod left behind, update the per-state gauges, drop cached volume locations of a pod about
 * to be placed, and forget a pod that is done (decommissioned).
 */
export function fanOutPodState(rt: Runtime, e: PodEntry): void {
  const ctx = rt.registry.context(e);
  const snap = e.actor.getSnapshot();
  const hasTag = (tag: string) => snap.hasTag(tag);
  rt.framework?.send({ type: 'POD_STATE', podType: e.podType, index: e.index, state: e.state, blocked: hasTag(POD_TAGS.blocked), ready: hasTag(POD_TAGS.ready) });
  rt.governor.track({ name: e.name, podType: e.podType }, podReplacementPhase(snap));
  void killLeftover(rt.strays, (id) => rt.tasks.status(id)?.state, ctx).catch((err: unknown) => rt.logger.warn({ err }, 'killing a leftover task failed'));
  for (const [state, n] of rt.registry.countsByState()) rt.metrics.podStates.set({ state }, n);
  if (hasTag(POD_TAGS.awaitingOffer)) rt.volumes.invalidate(ctx.volumes.filter(() => ctx.replicaHosts.length > 0).map((v) => v.name));
  if (snap.status === 'done') void rt.registry.remove(e);
}
