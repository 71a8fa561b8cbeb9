import type { PodInstanceContext } from '../../machines/pod-instance.types';
import type { Offer } from '../placement';
import type { ClusterState } from './cluster-view';

/** What exclusions read: who is reachable and storage-online, and the last state of a task. */
export interface ExclusionFacts {
  cluster: Pick<ClusterState, 'reachable' | 'storageLiveness'>;
  taskState?: (taskId: string) => string | undefined;
}

/** States of a task that may still run (reported since its pod was fenced: the stray killer ends it). */
const ALIVE_STATES = new Set(['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING']);

/**
 * The hosts a pod must still avoid this round. A replacement excludes the fenced host
 * (`excludeHosts`) only while it is, or may be, the failed host. Level-triggered, the exclusion
 * lapses once the host is back and healthy: an offer of this round comes from it (the master
 * offers only registered, reachable agents: the same agent id after a partition, a new one after
 * a reboot, so it is matched by hostname), its Portworx node is online, and the pod's old task is
 * not reported alive on that same agent (a returning old task is a stray; it is killed first).
 * Safe: the exclusion is set only after the fence force-detached every volume (confirmed by
 * Portworx), so an old task that still runs there has no attachment to write through, and it is
 * killed as a stray as soon as it shows up (docs/failure-classification.md, rule 8). An operator's
 * `pod replace` is not a host failure: its exclusion holds for the placement it asked for.
 */
export function activeExclusions(
  deps: ExclusionFacts,
  ctx: Pick<PodInstanceContext, 'excludeHosts' | 'lastTask'> & { failure?: PodInstanceContext['failure'] },
  offers: readonly Pick<Offer, 'agentId' | 'hostname'>[],
): string[] {
  // `pod replace` moves the pod off a host that never failed: the operator's word stands.
  if (ctx.failure?.trigger === 'operator-replace') return ctx.excludeHosts;
  return ctx.excludeHosts.filter((host) => {
    const offering = offers.filter((o) => o.hostname === host && deps.cluster.reachable(o.agentId));
    if (offering.length === 0) return true;
    if (deps.cluster.storageLiveness(host) !== 'online') return true;
    const old = ctx.lastTask;
    if (!old || old.hostname !== host || !deps.taskState) return false;
    const state = deps.taskState(old.taskId);
    return offering.some((o) => o.agentId === old.agentId) && state !== undefined && ALIVE_STATES.has(state);
  });
}

