import type { ClusterState } from './cluster-view';
import type { PodRegistry } from './pod-registry';
import type { VolumeLocations } from './volume-locations';

/**
 * Where pods are, or are about to be, for placement and volume planning. Until Portworx reports
 * a new volume's replicas, the host a pod was planned on and the replicas pinned for it are
 * remembered here, so pods planned at the same time (a parallel phase) still spread.
 */
export class PlanningState {
  private readonly plannedHosts = new Map<string, string>();
  private readonly plannedReplicas = new Map<string, string[]>();

  constructor(
    private readonly registry: PodRegistry,
    private readonly volumes: VolumeLocations,
    private readonly cluster: ClusterState,
  ) {}

  notePlannedHost(pod: string, host: string): void {
    this.plannedHosts.set(pod, host);
  }

  notePlannedReplicas(pod: string, hosts: string[]): void {
    this.plannedReplicas.set(pod, [...(this.plannedReplicas.get(pod) ?? []), ...hosts]);
  }

  /** Pods placed or running per agent; with `planned`, pods not yet placed count at their planned host. */
  podsByAgent(planned = false): Map<string, Record<string, string[]>> {
    const out = new Map<string, Record<string, string[]>>();
    const add = (agentId: string | undefined, podType: string, name: string) => {
      if (!agentId) return;
      const rec = out.get(agentId) ?? {};
      (rec[podType] ??= []).push(name);
      out.set(agentId, rec);
    };
    for (const e of this.registry.all()) {
      const ctx = this.registry.context(e);
      if (ctx.task) add(ctx.task.agentId, e.podType, e.name);
      else if (planned) {
        const host = ctx.volumes.map((v) => this.volumes.replicaHosts(v.name)?.[0]).find(Boolean) ?? this.plannedHosts.get(e.name);
        add(host ? this.cluster.agentByHost(host)?.agentId : undefined, e.podType, e.name);
      }
    }
    return out;
  }

  /** Hosts holding (or about to hold) replicas of the other pods of a type: their failover targets. */
  siblingReplicaHosts(podType: string, index: number): Set<string> {
    const out = new Set<string>();
    for (const e of this.registry.all()) {
      if (e.podType !== podType || e.index === index) continue;
      for (const v of this.registry.context(e).volumes) for (const h of this.volumes.replicaHosts(v.name) ?? []) out.add(h);
      for (const h of this.plannedReplicas.get(e.name) ?? []) out.add(h);
    }
    return out;
  }
}
