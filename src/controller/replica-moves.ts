import { brokenConstraints, evaluateOffers, prepareStageContext, type Offer, type PlacementIndex, type PlacementMemory, type PodRequest } from '../placement';
import type { PortworxClient } from '../portworx';
import type { Logger } from '../log/logger';
import type { ClusterState } from './cluster-view';
import type { VolumeLocations } from './volume-locations';
import { addReplica, haLevel, healthyHost, MAX_HA_LEVEL, removeReplica, replicaNodes, resyncing } from './replica-ops';

export interface HolderFacts {
  /** Up holders of all the pod's data. */
  hosts: string[];
  /** Those that keep every constraint. */
  keeping: string[];
  /** Constraints some holder breaks (texts). */
  broken: string[];
}

/** Which replica holders of a pod's data keep its constraints, and which constraints the others break. */
export function holderFacts(request: PodRequest, index: PlacementIndex): HolderFacts {
  const ctx = prepareStageContext(request, index);
  const broken = new Set<string>();
  for (const h of ctx.holders.hosts) {
    const agent = index.agentByHostname(h);
    if (agent) for (const c of brokenConstraints(agent, ctx)) broken.add(c);
  }
  return { hosts: ctx.holders.hosts, keeping: ctx.holders.keeping, broken: [...broken] };
}

/** A replica being added so a pod can keep its constraints: the pod waits until it has synced. */
interface Move {
  target: string;
  constraints: string[];
  volumes: { name: string; id: string }[];
  startedAt: number;
}

export interface ReplicaMoveDeps {
  px: PortworxClient;
  cluster: ClusterState;
  volumes: VolumeLocations;
  memory: PlacementMemory;
  logger: Logger;
  emit?: (e: { actor: string; from: string; to: string; event: string; reason: string }) => void;
  now?: () => number;
}

export type MoveVerdict = 'none' | 'syncing' | 'synced' | 'waiting';

/**
 * The `keep` spread policy's second half. When no replica holder of a pod's data keeps every
 * hard constraint, a host the constraints allow gets a new replica of each volume (ha_level + 1,
 * pinned there); the pod waits, and once Portworx has synced the replica the host is a holder
 * that keeps the constraints, so the ordinary offer round places the pod there. Level-triggered:
 * each round re-reads the volumes, so a restart in between picks up where Portworx is.
 */
export class ReplicaMoves {
  private readonly moves = new Map<string, Move>();

  constructor(private readonly deps: ReplicaMoveDeps) {}

  /** Pods with a replica being added for them, and where. */
  pending(): { pod: string; target: string; constraints: string[] }[] {
    return [...this.moves.entries()].map(([pod, m]) => ({ pod, target: m.target, constraints: m.constraints }));
  }

  target(pod: string): string | undefined {
    return this.moves.get(pod)?.target;
  }

  /** Follow the pod's move, if any (before its offers are judged, so a synced replica counts this round). */
  async progress(pod: string): Promise<MoveVerdict> {
    const move = this.moves.get(pod);
    return move ? this.follow(pod, move) : 'none';
  }

  /** The pod was placed (anywhere): its move, if any, is over. */
  done(pod: string): void {
    this.moves.delete(pod);
  }

  /**
   * A round found no offer for the pod. If every up holder breaks a constraint (and the policy is
   * keep), start or follow a replica move. Returns what the pod is waiting for.
   */
  async consider(
    pod: string,
    request: PodRequest,
    index: PlacementIndex,
    holders: HolderFacts,
    volumes: { name: string; id: string | null }[],
    exclude: readonly string[],
  ): Promise<MoveVerdict> {
    const existing = this.moves.get(pod);
    if (existing) return this.follow(pod, existing);
    if ((request.spread ?? 'keep') !== 'keep' || holders.hosts.length === 0 || holders.keeping.length > 0) return 'none';
    const ids = volumes.filter((v): v is { name: string; id: string } => !!v.id);
    if (ids.length === 0) return 'none';
    const target = this.chooseTarget(request, index, holders.hosts, exclude);
    if (!target) {
      this.note(pod, 'waiting', holders.broken, `every replica holder (${holders.hosts.join(', ')}) would break ${holders.broken.join(', ')}, and no host with storage up keeps the constraints yet (spread policy keep): waiting`);
      return 'waiting';
    }
    const nodeId = this.deps.cluster.nodeIdOfHost(target);
    if (!nodeId) return 'waiting';
    for (const v of ids) {
      const found = await this.deps.px.inspectVolume(v.id);
      const nodes = replicaNodes(found.volume);
      if (nodes.includes(nodeId)) continue;
      // At the maximum ha_level a replica on a down node makes room first.
      if (haLevel(found.volume) >= MAX_HA_LEVEL) {
        const dead = nodes.find((n) => {
          const h = this.deps.cluster.hostOfNode(n);
          return !h || !healthyHost(this.deps.cluster, h);
        });
        if (!dead) {
          this.note(pod, 'waiting', holders.broken, `${v.name} already has ${MAX_HA_LEVEL} replicas, all up: cannot add one on ${target} (spread policy keep): waiting`);
          return 'waiting';
        }
        await removeReplica(this.deps.px, found.volume, dead);
        const again = await this.deps.px.inspectVolume(v.id);
        await addReplica(this.deps.px, again.volume, nodeId);
      } else {
        await addReplica(this.deps.px, found.volume, nodeId);
      }
      this.deps.logger.info({ pod, volume: v.name, target }, 'replica added to keep the spread; the pod waits for it to sync');
    }
    const move: Move = { target, constraints: holders.broken, volumes: ids, startedAt: this.now() };
    this.moves.set(pod, move);
    const domain = index.domainOf(target);
    const where = domain?.zone ? `${target} (${[domain.zone, domain.rack].filter(Boolean).join(', ')})` : target;
    const message = `every replica holder (${holders.hosts.join(', ')}) would break ${holders.broken.join(', ')}: adding a replica on ${where}, where the constraints hold; the pod goes there once it has synced (spread policy keep)`;
    if (this.note(pod, 'syncing', holders.broken, message)) {
      this.deps.emit?.({ actor: `spread/${pod}`, from: 'holders-break-constraints', to: 'replica-syncing', event: 'SPREAD_KEPT', reason: message });
    }
    return this.follow(pod, move);
  }

  /** Has every volume of the move got its replica on the target, fully synced? */
  private async follow(pod: string, move: Move): Promise<MoveVerdict> {
    const nodeId = this.deps.cluster.nodeIdOfHost(move.target);
    if (!nodeId || !healthyHost(this.deps.cluster, move.target)) {
      // The target failed meanwhile: choose again next round.
      this.moves.delete(pod);
      return 'waiting';
    }
    for (const v of move.volumes) {
      const found = await this.deps.px.inspectVolume(v.id);
      if (!replicaNodes(found.volume).includes(nodeId) || resyncing(found.volume)) return 'syncing';
    }
    this.deps.volumes.invalidate(move.volumes.map((v) => v.name));
    await this.deps.volumes.refresh(move.volumes);
    const message = `the new replica on ${move.target} has synced: the pod goes there, keeping ${move.constraints.join(', ')} (spread policy keep)`;
    if (this.note(pod, 'syncing', move.constraints, message)) {
      this.deps.emit?.({ actor: `spread/${pod}`, from: 'replica-syncing', to: 'replica-synced', event: 'SPREAD_KEPT', reason: message });
    }
    return 'synced';
  }

  /**
   * The host the pod should move to: placement with the pod's volumes treated as new (any host
   * with storage up may take a replica), so only resources-free stages decide: the constraints
   * and storage health; holders, excluded and unhealthy hosts are left out.
   */
  private chooseTarget(request: PodRequest, index: PlacementIndex, holders: string[], exclude: readonly string[]): string | undefined {
    const offers: Offer[] = [];
    for (const agent of index.view.agents) {
      if (holders.includes(agent.hostname) || exclude.includes(agent.hostname) || !healthyHost(this.deps.cluster, agent.hostname)) continue;
      offers.push({
        offerId: `keep-${agent.agentId}`,
        agentId: agent.agentId,
        hostname: agent.hostname,
        cpus: Number.MAX_SAFE_INTEGER,
        mem: Number.MAX_SAFE_INTEGER,
        disk: Number.MAX_SAFE_INTEGER,
        ports: [{ begin: 1, end: 65535 }],
        attributes: agent.attributes ?? {},
        domain: agent.domain,
      });
    }
    const fresh: PodRequest = { ...request, volumes: request.volumes.map((v) => ({ ...v, exists: false, replicaHosts: [] })) };
    // Summary: the same choice without a reason object per agent (O(agents) per pod per round); the
    // request is podRequestFor's, built here from the parsed spec.
    return evaluateOffers(fresh, offers, index, { detail: 'summary', trusted: true }).chosen?.hostname;
  }

  private note(pod: string, kind: 'syncing' | 'waiting', constraints: string[], message: string): boolean {
    return this.deps.memory.noteSpread(pod, { kind, constraints, message });
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}
