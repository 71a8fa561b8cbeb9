import { buildPlacementIndex, type ClusterView, type PlacementIndex } from '../placement';
import type { ClusterState } from './cluster-view';
import type { PodRegistry } from './pod-registry';
import type { VolumeLocations } from './volume-locations';

/**
 * The pods. With `get` and `onPodChange` (every pod whose snapshot changed, added or removed is
 * named) and a volume feed (VolumeLocations.onChange), a round catches up with what changed only.
 */
type Registry = Pick<PodRegistry, 'all' | 'context'> & Partial<Pick<PodRegistry, 'get'>> & { onPodChange?(fn: (name: string) => void): () => void };
type Volumes = Pick<VolumeLocations, 'replicaHosts'> & Partial<Pick<VolumeLocations, 'onChange'>>;

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
  /**
   * As PlanningState.siblingReplicaHosts, from the round's counts: for a pod with no replicas yet,
   * the round's own set of hosts holding that type's replicas (no copy), so read it before the
   * round's next note.
   */
  siblingReplicaHosts(podType: string, index: number): ReadonlySet<string>;
  notePlannedHost(podType: string, index: number, host: string): void;
  notePlannedReplicas(podType: string, index: number, hosts: string[]): void;
}

/**
 * Where pods are, or are about to be, for placement and volume planning. Until Portworx reports
 * a new volume's replicas, the host a pod was planned on and the replicas pinned for it are
 * remembered here, so pods planned at the same time (a parallel phase) still spread.
 */
/** Changed pods that start a background catch-up of the round, and how many it reads per turn. */
export const DRAIN_AT = 500;
const DRAIN_SLICE = 500;

export class PlanningState {
  private readonly plannedHosts = new Map<string, string>();
  private readonly plannedReplicas = new Map<string, string[]>();
  private current: Round | undefined;
  /** The round may be behind the pods (a slice ended, or a direct note): bring it up to date first. */
  private stale = false;
  /** Pods to read again: noted directly, and (tracked) every pod or volume change the feeds name. */
  private readonly dirty = new Set<string>();
  /** The feeds name every change: a catch-up reads the dirty pods only, not every pod. */
  private readonly tracked: boolean;
  /** A background catch-up is scheduled (noteDirty). */
  private draining = false;
  /** Tracked: the pod each volume read so far belongs to (a volume's change dirties its pod). */
  private readonly podOfVolume = new Map<string, string>();

  constructor(
    private readonly registry: Registry,
    private readonly volumes: Volumes,
    private readonly cluster: Pick<ClusterState, 'agentByHost' | 'view'> & Partial<Pick<ClusterState, 'version'>>,
  ) {
    this.tracked = !!registry.get && !!registry.onPodChange && !!volumes.onChange;
    if (!this.tracked) return;
    registry.onPodChange!((name) => this.noteDirty(name));
    volumes.onChange!((volume) => {
      const pod = this.podOfVolume.get(volume);
      if (pod !== undefined) this.noteDirty(pod);
    });
  }

  /**
   * Tracked changes pile up while no round is used (a parallel phase's pods start long after its
   * volumes were planned): once DRAIN_AT wait, they are read into the round in the background,
   * DRAIN_SLICE per turn of the event loop, instead of all in the next round() (9,000 pods: 190 ms).
   */
  private noteDirty(name: string): void {
    this.dirty.add(name);
    if (this.dirty.size < DRAIN_AT || this.draining || !this.current) return;
    this.draining = true;
    setImmediate(() => this.drainSome());
  }

  private drainSome(): void {
    this.draining = false;
    const round = this.current;
    // A round the cluster view has moved past is rebuilt from every pod on its next use anyway.
    if (!round || this.cluster.version === undefined || round.clusterVersion !== this.cluster.version) return;
    let n = 0;
    for (const name of this.dirty) {
      if (++n > DRAIN_SLICE) break;
      this.dirty.delete(name);
      this.readInto(round, name);
    }
    if (this.dirty.size >= DRAIN_AT && !this.draining) {
      this.draining = true;
      setImmediate(() => this.drainSome());
    }
  }

  private readInto(round: Round, name: string): void {
    const e = this.registry.get!(name);
    if (e) round.update(name, this.roundPod(e));
    else if (round.pod(name)) round.update(name, undefined);
  }

  notePlannedHost(pod: string, host: string): void {
    this.plannedHosts.set(pod, host);
    // Outside a round's own notes (a direct call): the round reads this pod again before use.
    this.dirty.add(pod);
  }

  notePlannedReplicas(pod: string, hosts: string[]): void {
    this.plannedReplicas.set(pod, [...(this.plannedReplicas.get(pod) ?? []), ...hosts]);
    this.dirty.add(pod);
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
    const version = this.cluster.version;
    if (!this.current || version === undefined || this.current.clusterVersion !== version) {
      this.current = this.buildRound();
      this.dirty.clear();
      this.stale = false;
    } else if (this.stale || this.dirty.size > 0) {
      this.catchUp(this.current);
    }
    return this.current;
  }

  /**
   * The pods may change from here on (the slice ended): before its next use the round re-reads
   * each pod whose context or replica hosts changed (reference checks: O(pods), no rebuild);
   * a change of the cluster view (ClusterState.version) rebuilds it.
   */
  endRound(): void {
    this.stale = true;
  }

  private catchUp(round: Round): void {
    if (this.tracked) return this.catchUpChanged(round);
    const seen = new Set<string>();
    for (const e of this.registry.all()) {
      seen.add(e.name);
      const prev = round.pod(e.name);
      if (!prev || this.dirty.has(e.name) || prev.entry !== e || !this.sameInputs(prev, e)) round.update(e.name, this.roundPod(e));
    }
    if (seen.size !== round.size) for (const name of round.names()) if (!seen.has(name)) round.update(name, undefined);
    this.dirty.clear();
    this.stale = false;
  }

  /** Every change was named (tracked): read again the pods named since the round was last current. */
  private catchUpChanged(round: Round): void {
    for (const name of this.dirty) this.readInto(round, name);
    this.dirty.clear();
    this.stale = false;
  }

  private sameInputs(prev: RoundPod, e: { name: string }): boolean {
    const ctx = this.registry.context(e as never);
    if (ctx !== prev.ctx) return false;
    for (let i = 0; i < ctx.volumes.length; i++) if (this.volumes.replicaHosts(ctx.volumes[i]!.name) !== prev.volumeHosts[i]) return false;
    return true;
  }

  private roundPod(e: { podType: string; name: string }): RoundPod {
    const ctx = this.registry.context(e as never);
    if (this.tracked) for (const v of ctx.volumes) this.podOfVolume.set(v.name, e.name);
    return {
      entry: e,
      ctx,
      volumeHosts: ctx.volumes.map((v) => this.volumes.replicaHosts(v.name)),
      podType: e.podType,
      agentId: this.agentOf(e, true),
      placedByTaskOrVolume: this.placedByTaskOrVolume(e),
      replicaHosts: this.replicaHostsOf(e),
    };
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
      const pod = this.roundPod(e);
      if (pod.agentId) ((byAgent.get(pod.agentId) ?? byAgent.set(pod.agentId, {}).get(pod.agentId)!)[e.podType] ??= []).push(e.name);
      const counts = replicaCounts.get(e.podType) ?? replicaCounts.set(e.podType, new Map()).get(e.podType)!;
      for (const h of pod.replicaHosts) counts.set(h, (counts.get(h) ?? 0) + 1);
      pods.set(e.name, pod);
    }
    const view = this.cluster.view(byAgent);
    return new Round(this, view, buildPlacementIndex(view), pods, replicaCounts, this.cluster.version);
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
  /** What the pod was read from: the registry entry, its context and its volumes' replica hosts. */
  entry: unknown;
  ctx: unknown;
  volumeHosts: (string[] | undefined)[];
  podType: string;
  agentId: string | undefined;
  placedByTaskOrVolume: boolean;
  replicaHosts: Set<string>;
}

const NO_HOSTS: ReadonlySet<string> = new Set();

class Round implements PlanningRound {
  constructor(
    private readonly state: PlanningState,
    readonly view: ClusterView,
    readonly index: PlacementIndex,
    private readonly pods: Map<string, RoundPod>,
    private readonly replicaCounts: Map<string, Map<string, number>>,
    readonly clusterVersion: number | undefined,
  ) {
    for (const [podType, counts] of replicaCounts) {
      const held = new Set<string>();
      for (const [h, n] of counts) if (n > 0) held.add(h);
      this.held.set(podType, held);
    }
  }

  /** Per pod type, the hosts whose replica count is above 0 (kept with the counts by bump). */
  private readonly held = new Map<string, Set<string>>();

  private bump(podType: string, host: string, delta: 1 | -1): void {
    const counts = this.replicaCounts.get(podType) ?? this.replicaCounts.set(podType, new Map()).get(podType)!;
    const n = (counts.get(host) ?? (delta < 0 ? 1 : 0)) + delta;
    counts.set(host, n);
    const held = this.held.get(podType) ?? this.held.set(podType, new Set()).get(podType)!;
    if (n > 0) held.add(host);
    else held.delete(host);
  }

  pod(name: string): RoundPod | undefined {
    return this.pods.get(name);
  }

  get size(): number {
    return this.pods.size;
  }

  names(): string[] {
    return [...this.pods.keys()];
  }

  /** Replace what a pod contributes (its placement, its replica hosts); undefined: it is gone. */
  update(name: string, next: RoundPod | undefined): void {
    const prev = this.pods.get(name);
    if (prev) {
      for (const h of prev.replicaHosts) this.bump(prev.podType, h, -1);
      this.index.removePlacement(name);
      this.pods.delete(name);
    }
    if (!next) return;
    this.pods.set(name, next);
    for (const h of next.replicaHosts) this.bump(next.podType, h, 1);
    const agent = next.agentId === undefined ? undefined : this.agentsById().get(next.agentId);
    if (agent) this.index.recordPlacement(next.podType, name, agent);
  }

  private byId: Map<string, ClusterView['agents'][number]> | undefined;

  private agentsById(): Map<string, ClusterView['agents'][number]> {
    this.byId ??= new Map(this.view.agents.map((a) => [a.agentId, a]));
    return this.byId;
  }

  siblingReplicaHosts(podType: string, index: number): ReadonlySet<string> {
    const held = this.held.get(podType) ?? NO_HOSTS;
    const own = this.pods.get(`${podType}-${index}`)?.replicaHosts;
    if (!own || own.size === 0) return held;
    // Its own replicas count too: a host is a sibling's only if another replica is there.
    const counts = this.replicaCounts.get(podType);
    const out = new Set(held);
    for (const h of own) if ((counts?.get(h) ?? 0) <= 1) out.delete(h);
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
    pod.agentId = agentId;
    // The view leaves gone agents out: a pod planned on one counts nowhere, as in a rescan.
    const agent = agentId === undefined ? undefined : this.agentsById().get(agentId);
    if (agent) this.index.recordPlacement(podType, name, agent);
  }

  notePlannedReplicas(podType: string, index: number, hosts: string[]): void {
    const name = `${podType}-${index}`;
    this.state.rememberReplicas(name, hosts);
    const pod = this.pods.get(name);
    if (!pod) return;
    for (const h of hosts) {
      if (pod.replicaHosts.has(h)) continue;
      pod.replicaHosts.add(h);
      this.bump(pod.podType, h, 1);
    }
  }
}
