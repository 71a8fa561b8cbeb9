import type { PortworxClient, Volume } from '../portworx';
import type { ServiceSpec } from '../service-spec';
import type { Logger } from '../log/logger';
import type { ClusterState } from './cluster-view';
import type { PodRegistry } from './pod-registry';
import type { VolumeLocations } from './volume-locations';
import { addReplica, desiredRepl, haLevel, healthyHost, MAX_HA_LEVEL, removeReplica, replicaNodes, resyncing, transitionsOf } from './replica-ops';

export interface ReplicaRepairDeps {
  px: PortworxClient;
  cluster: ClusterState;
  volumes: VolumeLocations;
  registry: PodRegistry;
  spec: () => ServiceSpec;
  logger: Logger;
  /** How long a Portworx node may stay OFFLINE before its replicas count as lost for good. */
  lostAfterMs: (podType: string) => number;
  emit?: (e: { actor: string; from: string; to: string; event: string; reason: string }) => void;
  now?: () => number;
  /** At most this many VolumeUpdate calls per pass (rate limit; default 2). */
  maxUpdatesPerPass?: number;
  /** Passes at most this often (default 1 s); a pass in flight is never doubled. */
  minIntervalMs?: number;
  /**
   * While nothing is offline, gone or missing, a tick still runs a full pass this often
   * (default 10 min): the safety net for a loss no signal showed (say, a node decommissioned
   * while no scheduler ran and re-listed since).
   */
  fullPassEveryMs?: number;
}

export interface RepairAction {
  volume: string;
  action: 'add' | 'remove';
  host: string;
  reason: string;
}

/**
 * Brings every volume of the service back to its `repl` after a node is lost for good: the agent
 * is gone (removed or marked gone), Portworx no longer lists the node (decommissioned), or the
 * node has been OFFLINE longer than the pod type's permanent failure timeout. Level-triggered and
 * idempotent: each pass reads every volume and makes at most one change per volume, derived from
 * what Portworx reports now:
 * - fewer live replicas than `repl`: add one (ha_level + 1, pinned) on a healthy host in a failure
 *   domain (zone, then rack) that holds no live replica of the volume; at ha_level 3 a lost
 *   replica is dropped first;
 * - `repl` live replicas and the new ones synced: drop a lost replica (ha_level - 1 naming it).
 * Rate-limited: one pass at a time, at most `maxUpdatesPerPass` updates each.
 */
export class ReplicaRepair {
  private readonly offlineSince = new Map<string, number>();
  private running: Promise<unknown> | undefined;
  private lastPass = Number.NEGATIVE_INFINITY;
  /** The cluster as the last pass that found nothing lost saw it (undefined: none such yet). */
  private clean: { signature: string; at: number } | undefined;
  /** Set by a pass that met a lost replica (repaired or not yet): the next tick passes again. */
  private metLoss = false;

  constructor(private readonly deps: ReplicaRepairDeps) {}

  /**
   * Start a pass unless one runs or ran too recently, or nothing can have been lost since the
   * last clean pass: no storage node offline, the same agents gone and the same storage nodes
   * listed (a node no longer listed is decommissioned). Every volume is inspected only then, not
   * on every storage refresh.
   */
  tick(): void {
    this.observe();
    if (this.running || this.now() - this.lastPass < (this.deps.minIntervalMs ?? 1000)) return;
    const signature = this.signature();
    if (!this.needsPass(signature)) return;
    this.lastPass = this.now();
    const startedAt = this.now();
    this.metLoss = false;
    this.running = this.pass()
      .then(() => {
        this.clean = this.metLoss ? undefined : { signature, at: startedAt };
      })
      .catch((err: unknown) => {
        this.clean = undefined;
        this.deps.logger.warn({ err }, 'replica repair pass failed; the next refresh retries');
      })
      .finally(() => (this.running = undefined));
  }

  private needsPass(signature: string): boolean {
    if (!this.clean || this.offlineSince.size > 0) return true;
    if (this.clean.signature !== signature) return true;
    return this.now() - this.clean.at >= (this.deps.fullPassEveryMs ?? 600_000);
  }

  /** What a loss would change: the agents gone and the storage nodes listed (ids and aliases). */
  private signature(): string {
    const { cluster } = this.deps;
    const gone = cluster.knownAgents().filter((a) => a.gone).map((a) => a.agentId).sort();
    const nodes = cluster.storageHosts().map((s) => {
      const n = cluster.storageNode(s.hostname);
      return `${s.hostname}=${n?.nodeId ?? ''}${n && n.aliases.length > 0 ? `+${n.aliases.join('+')}` : ''}`;
    });
    return `${gone.join(',')}|${nodes.sort().join(',')}`;
  }

  /** Remember since when each storage node has been offline (lost once past the timeout). */
  observe(): void {
    const now = this.now();
    const offline = new Set<string>();
    for (const s of this.deps.cluster.storageHosts()) {
      if (s.online) continue;
      offline.add(s.hostname);
      if (!this.offlineSince.has(s.hostname)) this.offlineSince.set(s.hostname, now);
    }
    for (const h of [...this.offlineSince.keys()]) if (!offline.has(h)) this.offlineSince.delete(h);
  }

  /** Why a replica on this storage node is lost for good, or undefined while it may come back. */
  lostReason(nodeId: string, podType: string): string | undefined {
    const host = this.deps.cluster.hostOfNode(nodeId);
    if (!host) return this.deps.cluster.storageHosts().length > 0 ? `Portworx no longer lists node ${nodeId} (decommissioned)` : undefined;
    if (this.deps.cluster.agentByHost(host)?.gone) return `the agent on ${host} is gone`;
    const since = this.offlineSince.get(host);
    const limit = this.deps.lostAfterMs(podType);
    if (since !== undefined && this.now() - since >= limit) return `Portworx node on ${host} has been OFFLINE for ${Math.round((this.now() - since) / 1000)} s (limit ${Math.round(limit / 1000)} s)`;
    return undefined;
  }

  async pass(): Promise<RepairAction[]> {
    this.observe();
    const actions: RepairAction[] = [];
    const max = this.deps.maxUpdatesPerPass ?? 2;
    const spec = this.deps.spec();
    for (const entry of this.deps.registry.all()) {
      // A decommissioned pod (its machine's final state) keeps no volume to repair.
      if (entry.actor.getSnapshot().status === 'done') continue;
      for (const v of this.deps.registry.context(entry).volumes) {
        if (actions.length >= max) return actions;
        const repl = desiredRepl(spec, entry.podType, entry.index, v.name);
        if (!v.id || repl === undefined) continue;
        const found = await this.deps.px.inspectVolume(v.id).catch(() => undefined);
        if (!found?.volume.id) continue;
        const action = await this.repairVolume(v.name, found.volume, repl, entry.podType);
        if (!action) continue;
        actions.push(action);
        this.deps.volumes.invalidate([v.name]);
        this.deps.logger.info({ ...action }, 'replica repair');
        this.deps.emit?.({ actor: `replicas/${v.name}`, from: 'under-replicated', to: action.action === 'add' ? 'replica-added' : 'lost-replica-dropped', event: 'REPLICA_REPAIR', reason: action.reason });
      }
    }
    return actions;
  }

  private async repairVolume(name: string, volume: Volume, repl: number, podType: string): Promise<RepairAction | undefined> {
    const nodes = replicaNodes(volume);
    const lost = nodes.map((n) => ({ n, why: this.lostReason(n, podType) })).filter((x): x is { n: string; why: string } => x.why !== undefined);
    if (lost.length > 0) this.metLoss = true;
    if (lost.length === 0 || resyncing(volume)) return undefined;
    const live = nodes.filter((n) => !lost.some((l) => l.n === n));
    const first = lost[0]!;
    const lostHost = this.deps.cluster.hostOfNode(first.n) ?? first.n;
    if (live.length >= repl || haLevel(volume) >= MAX_HA_LEVEL) {
      await removeReplica(this.deps.px, volume, first.n);
      const why = live.length >= repl ? `${live.length} live replica(s) of ${repl}` : `ha_level ${MAX_HA_LEVEL} leaves no room for a new one`;
      return { volume: name, action: 'remove', host: lostHost, reason: `${name}: dropped the replica on ${lostHost} (${first.why}); ${why}` };
    }
    const target = this.chooseTarget(nodes, live);
    if (!target) {
      this.deps.logger.warn({ volume: name, lost: lostHost }, 'replica repair: no healthy host can take a replica yet');
      return undefined;
    }
    await addReplica(this.deps.px, volume, this.deps.cluster.nodeIdOfHost(target)!);
    const d = this.deps.cluster.agentByHost(target)?.domain;
    return { volume: name, action: 'add', host: target, reason: `${name}: ${live.length} live replica(s) of ${repl} (${first.why}); adding one on ${target}${d?.zone ? ` (${[d.zone, d.rack].filter(Boolean).join(', ')})` : ''}` };
  }

  /**
   * A healthy host holding no replica of the volume, in a zone (then a rack) that holds no live
   * replica, preferring hosts that run no pod of the service; then by hostname.
   */
  private chooseTarget(nodes: string[], live: string[]): string | undefined {
    const { cluster } = this.deps;
    const holders = new Set(nodes.map((n) => cluster.hostOfNode(n)).filter((h): h is string => !!h));
    const liveDomains = live.map((n) => cluster.hostOfNode(n)).map((h) => (h ? cluster.agentByHost(h)?.domain : undefined));
    const zones = new Set(liveDomains.map((d) => d?.zone).filter(Boolean));
    const racks = new Set(liveDomains.map((d) => (d?.rack ? `${d.zone ?? ''}/${d.rack}` : undefined)).filter(Boolean));
    const busy = new Set(this.deps.registry.all().map((e) => this.deps.registry.context(e).task?.hostname).filter(Boolean));
    let best: { host: string; score: number } | undefined;
    for (const s of cluster.storageHosts()) {
      const host = s.hostname;
      if (holders.has(host) || !healthyHost(cluster, host)) continue;
      const d = cluster.agentByHost(host)?.domain;
      const score = (d?.zone && !zones.has(d.zone) ? 4 : 0) + (d?.rack && !racks.has(`${d.zone ?? ''}/${d.rack}`) ? 2 : 0) + (busy.has(host) ? 0 : 1);
      if (!best || score > best.score || (score === best.score && host < best.host)) best = { host, score };
    }
    return best?.host;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}

/**
 * The service's replica repair, driven by the storage watch's refreshes
 * (ClusterState.onStorageRefresh): an idle scheduler (every pod running, offers suppressed)
 * repairs too. The composition root makes one per service.
 */
export function createReplicaRepair(deps: {
  spec: () => ServiceSpec;
  registry: PodRegistry;
  cluster: ClusterState;
  volumes: VolumeLocations;
  logger: Logger;
  transitions?: Parameters<typeof transitionsOf>[0];
}): ReplicaRepair {
  const emit = transitionsOf(deps.transitions)?.emit;
  const repair = new ReplicaRepair({
    px: deps.volumes.portworx,
    cluster: deps.cluster,
    volumes: deps.volumes,
    registry: deps.registry,
    spec: deps.spec,
    logger: deps.logger.child({ module: 'replica-repair' }),
    lostAfterMs: (podType) => deps.registry.inputFor(podType, 0).failurePolicy.permanentFailureTimeoutMs,
    ...(emit ? { emit } : {}),
  });
  deps.cluster.onStorageRefresh(() => repair.tick());
  return repair;
}
