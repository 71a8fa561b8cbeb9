import { InsufficientReplicaHostsError } from './errors';
import { PlacementIndex, buildPlacementIndex } from './placement-index';
import type { ClusterView, FailureDomain } from './types';

export interface PinOptions {
  /**
   * Rotates ties among equally good hosts (pass the volume name) so new volumes spread their
   * extra replicas over the cluster instead of all landing on the alphabetically first host.
   */
  salt?: string;
  /**
   * Prefer hosts running no pod of this type (within the same failure-domain rank): a replica on
   * a sibling's host is no use for a failover when pods may not share a host (UNIQUE, fixed ports).
   */
  podType?: string;
  /** Also prefer hosts outside this set (e.g. hosts already holding a sibling's replicas). */
  avoidHosts?: ReadonlySet<string>;
  /**
   * The second (failover) replica may go only on these hosts; a lower tier wins over any
   * failure-domain preference (see `pinPodReplicas`). Replicas 3+ are not restricted.
   */
  failoverTiers?: FailoverTiers;
}

/**
 * A tier for each host with storage up, by its position in the index's `storageUpHosts()` (-1:
 * not a candidate). A byte per host: a Map of 2,000 hosts per volume planned was a tenth of the
 * scheduler's garbage in a 10,000-pod deploy.
 */
export interface FailoverTiers {
  readonly hosts: readonly string[];
  readonly tiers: Int8Array;
  /** Hosts with a tier (>= 0). */
  readonly size: number;
}

/** The tier of `host`, if it is a candidate. */
export function tierOf(t: FailoverTiers, host: string): number | undefined {
  const i = t.hosts.indexOf(host);
  const tier = i < 0 ? -1 : t.tiers[i]!;
  return tier < 0 ? undefined : tier;
}

/** Failure domains already holding a replica; racks by zone since rack names repeat across zones. */
interface Used {
  racks: Map<string, Set<string>>;
  zones: Set<string>;
  regions: Set<string>;
}

/**
 * Replica nodes for a NEW volume: the first on the host the pod was placed on, the others on hosts
 * whose storage is up, staying in the first replica's region (replication is synchronous), then
 * preferring a rack no replica uses, then a zone none uses; ties broken deterministically (salted
 * hash, then hostname). O(hosts × replicas).
 */
export function pinReplicas(
  hostChosen: string,
  replicaCount: number,
  view: ClusterView | PlacementIndex,
  options: PinOptions = {},
): string[] {
  const index = view instanceof PlacementIndex ? view : buildPlacementIndex(view);
  if (!Number.isInteger(replicaCount) || replicaCount < 1 || replicaCount > 3) {
    throw new InsufficientReplicaHostsError(`replica count must be 1, 2 or 3, got ${replicaCount}`);
  }
  const health = index.storageHealth(hostChosen);
  if (health !== 'up') throw new InsufficientReplicaHostsError(`cannot pin a replica on ${hostChosen}: its Portworx node is ${health}`);
  const chosen = [hostChosen];
  const used: Used = { racks: new Map(), zones: new Set(), regions: new Set() };
  markUsed(used, index.domainOf(hostChosen));
  const seed = fnv(options.salt ?? '', 0x811c9dc5);
  const cleanPerRack = cleanHostsPerRack(index, options);
  while (chosen.length < replicaCount) {
    let bestHost: string | undefined;
    let bestCost = Number.POSITIVE_INFINITY;
    let bestHash = 0;
    const tiers = chosen.length === 1 ? options.failoverTiers : undefined;
    const hosts = index.storageUpHosts();
    for (let i = 0; i < hosts.length; i++) {
      const host = hosts[i]!;
      if (chosen.includes(host)) continue;
      const tier = tiers === undefined ? undefined : tiers.hosts === hosts ? tiers.tiers[i]! : (tierOf(tiers, host) ?? -1);
      if (tier !== undefined && tier < 0) continue;
      const domain = index.domainOf(host);
      const cost = (tier ?? 0) * TIER_STEP + domainCost(used, domain) + siblingCost(index, host, domain?.rack, options, cleanPerRack);
      if (cost > bestCost) continue;
      const h = fnv(host, seed);
      if (cost < bestCost || h < bestHash || (h === bestHash && host < bestHost!)) {
        bestHost = host;
        bestCost = cost;
        bestHash = h;
      }
    }
    if (bestHost === undefined) {
      throw new InsufficientReplicaHostsError(
        `need ${replicaCount} storage nodes that are up for the replicas, found ${chosen.length} (${chosen.join(', ')})`,
      );
    }
    chosen.push(bestHost);
    markUsed(used, index.domainOf(bestHost));
  }
  return chosen;
}

/** Above any domainCost + siblingCost (at most 27 + 9 + 3 + 1). */
const TIER_STEP = 100;

/**
 * Lower is better. Leaving the region dominates, then reusing a rack, then reusing a zone; an
 * unknown rack or zone sits between new and reused.
 */
function domainCost(used: Used, d: FailureDomain | undefined): number {
  if (!d) return 9 + 3; // storage-only node: rack and zone unknown
  const region = d.region === undefined || used.regions.size === 0 || used.regions.has(d.region) ? 0 : 1;
  const rack = d.rack === undefined ? 1 : used.racks.get(d.zone ?? '')?.has(d.rack) ? 2 : 0;
  const zone = d.zone === undefined ? 1 : used.zones.has(d.zone) ? 2 : 0;
  return region * 27 + rack * 9 + zone * 3;
}

/**
 * Below one failure-domain step, keep every pod a failover target: a host running a pod of the
 * type, or holding a sibling's replica, costs 1; a clean host in a rack that already runs a pod
 * costs 0.25; the last clean host of a rack with no pod yet costs 0.5, since the pod still to
 * come there needs a clean host of another rack for its own replica, and this rack's clean host
 * for itself. A clean host of a pod-less rack with clean hosts to spare costs 0.
 */
function siblingCost(index: PlacementIndex, host: string, rack: string | undefined, options: PinOptions, cleanPerRack: Map<string, number>): number {
  if (options.podType === undefined) return 0;
  if (isBusy(index, host, options)) return 1;
  if (rack === undefined) return 0;
  if (index.count(options.podType, 'rack', rack) > 0) return 0.25;
  return (cleanPerRack.get(rack) ?? 0) <= 1 ? 0.5 : 0;
}

function isBusy(index: PlacementIndex, host: string, options: PinOptions): boolean {
  return (options.podType !== undefined && index.count(options.podType, 'hostname', host) > 0) || (options.avoidHosts?.has(host) ?? false);
}

/** Hosts per rack with storage up that neither run a pod of the type nor hold a sibling's replica. O(hosts). */
function cleanHostsPerRack(index: PlacementIndex, options: PinOptions): Map<string, number> {
  const out = new Map<string, number>();
  if (options.podType === undefined) return out;
  const hosts = index.storageUpHosts();
  for (let i = 0; i < hosts.length; i++) {
    const host = hosts[i]!;
    const rack = index.domainOf(host)?.rack;
    if (rack !== undefined && !isBusy(index, host, options)) out.set(rack, (out.get(rack) ?? 0) + 1);
  }
  return out;
}

function markUsed(used: Used, d: FailureDomain | undefined): void {
  if (!d) return;
  if (d.rack !== undefined) {
    const zone = d.zone ?? '';
    const set = used.racks.get(zone) ?? new Set<string>();
    set.add(d.rack);
    used.racks.set(zone, set);
  }
  if (d.zone !== undefined) used.zones.add(d.zone);
  if (d.region !== undefined) used.regions.add(d.region);
}

/** FNV-1a continued from `h`: a stable, cheap spread of ties; not for security. */
function fnv(s: string, h: number): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
