import { buildPlacementIndex, type ClusterView, type PlacementIndex } from '../placement';
import type { ClusterState } from './cluster-view';
import type { PodRegistry } from './pod-registry';
import type { VolumeLocations } from './volume-locations';

type Registry = Pick<PodRegistry, 'all' | 'context'>;

/**
 * One planning round: the planned placement index and the replica hosts per pod type, read in
 * one pass over the pods and then kept up to date by the round's own plans (`notePlannedHost`,
 * `notePlannedReplicas`). While no other code runs between its plans (one time slice), it reads
 * exactly what a fresh rescan would: pods planned in one burst share it instead of each
 * rescanning every pod (O(pods) per pod).
 */
export interface PlanningRound {
  /** The placement view with every pod placed, running, or planned (as `podsByAgent(true)`). */
  readonly view: ClusterView;
  /** The same, indexed; kept current by the round's plans. */
  readonly index: PlacementIndex;
  /** As PlanningState.siblingReplicaHosts, from the round's counts. */
  siblingReplicaHosts(podType: string, index: number): Set<string>;
  notePlannedHost(podType: string, index: number, host: string): void;
  notePlannedReplicas(podType: string, index: number, hosts: string[]): void;
}

/**
 * Where pods are, or are about to be, for placement and volume planning. Until Portworx reports
 * a new volume's replicas, the host a pod was planned on and the replicas pinned for it are
 * remembered here, so pods planned at the same time (a parallel phase) still spread.
 */
export class PlanningState {
  private readonly plannedHosts = new Map<string, string>();
  private readonly plannedReplicas = new Map<string, string[]>();
  private current: Round | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly volumes: Pick<VolumeLocations, 'replicaHosts'>,
    private readonly cluster: Pick<ClusterState, 'agentByHost' | 'view'>,
  ) {}

  notePlannedHost(pod: string, host: string): void {
    this.plannedHosts.set(pod, host);
    // Outside a round's own notes (a direct call): the round no longer reads what a rescan would.
    this.current = undefined;
  }

  notePlannedReplicas(pod: string, hosts: string[]): void {
    this.plannedReplicas.set(pod, [...(this.plannedReplicas.get(pod) ?? []), ...hosts]);
    this.current = undefined;
  }

  /** Pods placed or running per agent; with `planned`, pods not yet placed count at their planned host. */
  podsByAgent(planned = false): Map<string, Record<string, string[]>> {
    const out = new Map<string, Record<string, string[]>>();
    for (const e of this.registry.all()) {
      const agentId = this.agentOf(e, planned);
      if (!agentId) continue;
      const rec = out.get(agentId) ?? {};
      (rec[e.podType] ??= []).push(e.name);
      out.set(agentId, rec);
    }
    return out;
  }

  /** Hosts holding (or about to hold) replicas of the other pods of a type: their failover targets. */
  siblingReplicaHosts(podType: string, index: number): Set<string> {
    const out = new Set<string>();
    for (const e of this.registry.all()) {
      if (e.podType !== podType || e.index === index) continue;
      for (const h of this.replicaHostsOf(e)) out.add(h);
    }
    return out;
  }

  /**
   * The round for plans made now: built on first use, shared until `endRound` (the end of the
   * time slice: other code may change the pods after it). Its notes are remembered here too.
   */
  round(): PlanningRound {
    this.current ??= this.buildRound();
    return this.current;
  }

  /** The pods may change from here on (the slice ended): the next round reads them afresh. */
  endRound(): void {
    this.current = undefined;
  }

  private agentOf(e: { podType: string; name: string }, planned: boolean): string | undefined {
    const ctx = this.registry.context(e as never);
    if (ctx.task) return ctx.task.agentId;
    if (!planned) return undefined;
    let host: string | undefined;
    for (const v of ctx.volumes) {
      host = this.volumes.replicaHosts(v.name)?.[0];
      if (host) break;
    }
    host ??= this.plannedHosts.get(e.name);
    return host ? this.cluster.agentByHost(host)?.agentId : undefined;
  }

  private replicaHostsOf(e: { name: string }): Set<string> {
    const out = new Set<string>();
    for (const v of this.registry.context(e as never).volumes) for (const h of this.volumes.replicaHosts(v.name) ?? []) out.add(h);
    for (const h of this.plannedReplicas.get(e.name) ?? []) out.add(h);
    return out;
  }

  private buildRound(): Round {
    const pods = new Map<string, RoundPod>();
    const byAgent = new Map<string, Record<string, string[]>>();
    const replicaCounts = new Map<string, Map<string, number>>();
    for (const e of this.registry.all()) {
      const agentId = this.agentOf(e, true);
      if (agentId) ((byAgent.get(agentId) ?? byAgent.set(agentId, {}).get(agentId)!)[e.podType] ??= []).push(e.name);
      const hosts = this.replicaHostsOf(e);
      const counts = replicaCounts.get(e.podType) ?? replicaCounts.set(e.podType, new Map()).get(e.podType)!;
      for (const h of hosts) counts.set(h, (counts.get(h) ?? 0) + 1);
      pods.set(e.name, { podType: e.podType, placedByTaskOrVolume: this.placedByTaskOrVolume(e), replicaHosts: hosts });
    }
    const view = this.cluster.view(byAgent);
    return new Round(this, view, buildPlacementIndex(view), pods, replicaCounts);
  }

  /** Placed by its task or its volumes' replicas: a planned host does not move it. */
  private placedByTaskOrVolume(e: { podType: string; name: string }): boolean {
    const ctx = this.registry.context(e as never);
    return !!ctx.task || ctx.volumes.some((v) => !!this.volumes.replicaHosts(v.name)?.[0]);
  }

  /** For the round: remember a note without ending the round (it applies the note itself). */
  rememberHost(pod: string, host: string): void {
    this.plannedHosts.set(pod, host);
  }

  rememberReplicas(pod: string, hosts: string[]): void {
    this.plannedReplicas.set(pod, [...(this.plannedReplicas.get(pod) ?? []), ...hosts]);
  }

  agentIdOfHost(host: string): string | undefined {
    return this.cluster.agentByHost(host)?.agentId;
  }
}

interface RoundPod {
  podType: string;
  placedByTaskOrVolume: boolean;
  replicaHosts: Set<string>;
}

class Round implements PlanningRound {
  constructor(
    private readonly state: PlanningState,
    readonly view: ClusterView,
    readonly index: PlacementIndex,
    private readonly pods: Map<string, RoundPod>,
    private readonly replicaCounts: Map<string, Map<string, number>>,
  ) {}

  private byId: Map<string, ClusterView['agents'][number]> | undefined;

  private agentsById(): Map<string, ClusterView['agents'][number]> {
    this.byId ??= new Map(this.view.agents.map((a) => [a.agentId, a]));
    return this.byId;
  }

  siblingReplicaHosts(podType: string, index: number): Set<string> {
    const own = this.pods.get(`${podType}-${index}`)?.replicaHosts;
    const out = new Set<string>();
    for (const [h, n] of this.replicaCounts.get(podType) ?? []) if (n - (own?.has(h) ? 1 : 0) > 0) out.add(h);
    return out;
  }

  notePlannedHost(podType: string, index: number, host: string): void {
    const name = `${podType}-${index}`;
    this.state.rememberHost(name, host);
    const pod = this.pods.get(name);
    // Only pods the registry holds count, and only at their planned host while nothing else places them.
    if (!pod || pod.placedByTaskOrVolume) return;
    this.index.removePlacement(name);
    const agentId = this.state.agentIdOfHost(host);
    // The view leaves gone agents out: a pod planned on one counts nowhere, as in a rescan.
    const agent = agentId === undefined ? undefined : this.agentsById().get(agentId);
    if (agent) this.index.recordPlacement(podType, name, agent);
  }

  notePlannedReplicas(podType: string, index: number, hosts: string[]): void {
    const name = `${podType}-${index}`;
    this.state.rememberReplicas(name, hosts);
    const pod = this.pods.get(name);
    if (!pod) return;
    const counts = this.replicaCounts.get(pod.podType) ?? this.replicaCounts.set(pod.podType, new Map()).get(pod.podType)!;
    for (const h of hosts) {
      if (pod.replicaHosts.has(h)) continue;
      pod.replicaHosts.add(h);
      counts.set(h, (counts.get(h) ?? 0) + 1);
    }
  }
}
