import { childLogger } from '../log/logger';
import {
  bestOffer,
  buildPlacementIndex,
  evaluateOffers,
  PlacementIndex,
  pinPodReplicas,
  pinReplicas,
  podRequestFor,
  prepareStageContext,
  rackOf,
  type ClusterView,
  type Offer,
  type PodPinning,
  type PodRequest,
} from '../placement';
import type { ServiceSpec, VolumeSpec } from '../service-spec';
import type { CreateVolumeInput } from '../portworx';
import { NoStorageHostError } from './errors';
import type { HeldResources } from './held-offers';
import { DEFAULT_EXECUTOR_RESOURCES as EXECUTOR } from '../mesos';

const GIB = 1024 ** 3;
const log = childLogger({ module: 'volume-planner' });

/** The pod a volume is planned for: its spec and index name the constraints its failover must keep. */
export interface PlannedPod {
  spec: ServiceSpec;
  index: number;
}

export function planHost(
  spec: ServiceSpec,
  podType: string,
  index: number,
  view: ClusterView | PlacementIndex,
  avoid: ReadonlySet<string> = new Set(),
  held: ReadonlyMap<string, HeldResources> = new Map(),
): string {
  // Built here from the parsed spec: no zod check (trusted); one index per planning round.
  const request = podRequestFor(spec, podType, index);
  const placement = view instanceof PlacementIndex ? view : buildPlacementIndex(view);
  const all = planningOffers(placement);
  const host = chooseHost(request, all, placement, avoid);
  return held.size === 0 ? host : (asGoodHeld(request, all, placement, host, held, avoid) ?? host);
}

function chooseHost(request: PodRequest, all: Offer[], placement: PlacementIndex, avoid: ReadonlySet<string>): string {
  const { podType, index } = request;
  // Hosts holding a sibling's replicas are that sibling's failover targets: keep them free if we can.
  if (avoid.size > 0) {
    const preferred = all.filter((o) => !avoid.has(o.hostname));
    if (preferred.length < all.length) {
      // When every free host fails a constraint: fall back to all hosts.
      const chosen = preferred.length > 0 ? chooseOn(request, preferred, placement) : undefined;
      if (chosen) return chosen;
    }
  }
  const chosen = chooseOn(request, all, placement);
  if (chosen) return chosen;
  // Only now, on the way to an error, judge every offer with reasons.
  const full = evaluateOffers(request, all, placement, { trusted: true });
  const why = full.evaluations[0]?.outcomes.filter((o) => !o.pass).map((o) => o.reason).join('; ');
  throw new NoStorageHostError(`no host fits ${podType}-${index} yet (${all.length} agents with storage up${why ? `; e.g. ${why}` : ''})`);
}

function chooseOn(request: PodRequest, offers: Offer[], index: PlacementIndex): string | undefined {
  return bestOffer(request, offers, index)?.offer.hostname;
}

/**
 * A host whose offer the scheduler holds (OfferHold), if one is exactly as good as the chosen
 * one: it passes every stage, with the same locality score and the same crowding of its rack,
 * zone and host by this pod type. The pod then launches on the held offer at once, with no
 * REVIVE and no round of every agent's offer; the spread is what it would have been.
 */
function asGoodHeld(request: PodRequest, all: Offer[], placement: PlacementIndex, chosen: string, held: ReadonlyMap<string, HeldResources>, avoid: ReadonlySet<string>): string | undefined {
  if (held.has(chosen)) return undefined;
  // Judged on what each held offer really has (held offers are what no pod took: often leftovers).
  const byHost = planningOffersByHost(placement, all);
  const candidates: Offer[] = [];
  for (const [host, has] of held) {
    const o = byHost.get(host);
    if (o && !avoid.has(host)) candidates.push({ ...o, cpus: has.cpus, mem: has.mem, disk: has.disk, ports: has.ports });
  }
  if (candidates.length === 0) return undefined;
  const best = byHost.get(chosen);
  const launch = { ...request, cpus: request.cpus + EXECUTOR.cpus, mem: request.mem + EXECUTOR.mem, disk: request.disk + EXECUTOR.disk };
  const pick = bestOffer(launch, candidates, placement);
  const bestScore = best ? bestOffer(request, [best], placement)?.score : undefined;
  if (!pick || !best || bestScore === undefined) return undefined;
  const ctx = prepareStageContext(request, placement);
  const crowding = (o: Offer): string => {
    const rack = rackOf(o);
    return [rack === undefined ? 0 : (ctx.spread.rack.get(rack) ?? 0), o.domain.zone === undefined ? 0 : (ctx.spread.zone.get(o.domain.zone) ?? 0), ctx.spread.host.get(o.hostname) ?? 0].join('/');
  };
  return bestScore === pick.score && crowding(pick.offer) === crowding(best) ? pick.offer.hostname : undefined;
}

const byHostOf = new WeakMap<PlacementIndex, Map<string, Offer>>();

/** The planning offers by hostname, once per index (held hosts are looked up, not searched for). */
function planningOffersByHost(index: PlacementIndex, all: Offer[]): Map<string, Offer> {
  let m = byHostOf.get(index);
  if (!m) byHostOf.set(index, (m = new Map(all.map((o) => [o.hostname, o]))));
  return m;
}

/** Every agent with storage up as an offer of unlimited resources: what a volume may be planned on. */
const offersOf = new WeakMap<PlacementIndex, Offer[]>();

function planningOffers(index: PlacementIndex): Offer[] {
  let offers = offersOf.get(index);
  if (offers) return offers;
  const { view } = index;
  offers = view.agents
    .filter((a) => view.storage[a.hostname] === 'up')
    .map((a) => ({
      offerId: `plan-${a.agentId}`,
      agentId: a.agentId,
      hostname: a.hostname,
      cpus: Number.MAX_SAFE_INTEGER,
      mem: Number.MAX_SAFE_INTEGER,
      disk: Number.MAX_SAFE_INTEGER,
      ports: [{ begin: 1, end: 65535 }],
      attributes: a.attributes ?? {},
      domain: a.domain,
    }));
  offersOf.set(index, offers);
  return offers;
}

/**
 * Replica hosts of a new volume (see `pinVolumeReplicas`); logs where the failover replica went
 * and why, and warns when it could not keep the pod's constraints.
 */
export function replicaHostsFor(
  host: string,
  volume: VolumeSpec,
  view: ClusterView | PlacementIndex,
  volumeName: string,
  siblings?: { podType: string; replicaHosts: ReadonlySet<string> },
  pod?: PlannedPod,
): string[] {
  const pinned = pinVolumeReplicas(host, volume, view, volumeName, siblings, pod);
  if (pinned.failover) {
    const line = { volume: volumeName, replicas: pinned.hosts, failover: pinned.failover.host, keepsConstraints: pinned.failover.keepsConstraints };
    if (pinned.failover.keepsConstraints) log.info(line, pinned.failover.reason);
    else log.warn(line, pinned.failover.reason);
  }
  return pinned.hosts;
}

/**
 * Replica 1 on the pod's host; replica 2 where the pod could run, every hard constraint kept, if
 * that host died (another rack, then another host, clear of siblings' failover targets); 3+ in
 * other failure domains. Without the pod (`pod`), the replicas only spread across failure domains.
 */
export function pinVolumeReplicas(
  host: string,
  volume: VolumeSpec,
  view: ClusterView | PlacementIndex,
  volumeName: string,
  siblings?: { podType: string; replicaHosts: ReadonlySet<string> },
  pod?: PlannedPod,
): PodPinning {
  const podType = siblings?.podType;
  const known = pod;
  const constraints = known && podType !== undefined ? known.spec.pods[podType]?.placement : undefined;
  const options = { salt: volumeName, ...(siblings ? { podType: siblings.podType, avoidHosts: siblings.replicaHosts } : {}) };
  try {
    if (!known || podType === undefined || !constraints) return { hosts: pinReplicas(host, volume.repl, view, options) };
    return pinPodReplicas(host, volume.repl, view, { podType, index: known.index, constraints }, options);
  } catch (cause) {
    throw new NoStorageHostError(`cannot place ${volume.repl} replicas of ${volumeName}: ${(cause as Error).message}`, { cause });
  }
}

const IO_PROFILE: Record<string, string> = { db_remote: 'IO_PROFILE_DB_REMOTE', sync_shared: 'IO_PROFILE_SYNC_SHARED', auto_journal: 'IO_PROFILE_AUTO_JOURNAL' };

/** The SDK create request of a pod's volume: labels make every volume of a service findable. */
export function createVolumeRequest(
  spec: ServiceSpec,
  podType: string,
  index: number,
  volume: VolumeSpec,
  name: string,
  replicaNodeIds: string[],
): CreateVolumeInput {
  const labels: Record<string, string> = {
    'pxfw/service': spec.name,
    'pxfw/pod-type': podType,
    'pxfw/pod-index': String(index),
    'pxfw/volume': volume.name,
  };
  // Only the secret's name travels: Portworx resolves the key from its secret store.
  if (volume.encryptionSecret) labels.secret_key = volume.encryptionSecret;
  return {
    name,
    labels,
    spec: {
      size: volume.size * GIB,
      ha_level: volume.repl,
      format: volume.fs === 'xfs' ? 'FS_TYPE_XFS' : 'FS_TYPE_EXT4',
      cos: volume.priority === 'high' ? 'HIGH' : volume.priority === 'low' ? 'LOW' : 'MEDIUM',
      ...(volume.ioProfile ? { io_profile: (IO_PROFILE[volume.ioProfile] ?? `IO_PROFILE_${volume.ioProfile.toUpperCase()}`) as never } : {}),
      ...(volume.shared ? { shared: true } : {}),
      ...(volume.encryptionSecret ? { encrypted: true } : {}),
      replica_set: { nodes: replicaNodeIds },
    },
  };
}
