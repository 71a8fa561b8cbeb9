import { formatConstraint, type PlacementConstraint } from '../service-spec/constraints';
import { podInstanceName } from '../service-spec/names';
import { compileConstraints, constraintHolds, type CompiledConstraint } from './constraints.stage';
import { fieldValue, type AgentLike } from './fields';
import { PlacementIndex, buildPlacementIndex } from './placement-index';
import { pinReplicas, tierOf, type FailoverTiers, type PinOptions } from './pin-replicas';
import type { ClusterView } from './types';

/** The pod a new volume belongs to: enough to judge where it could run if its host died. */
export interface FailoverPod {
  podType: string;
  index: number;
  constraints: readonly PlacementConstraint[];
}

/** Where the second replica (the pod's failover holder) went, and why. */
export interface FailoverChoice {
  host: string;
  /** If the pod's host died, the pod could run on `host` with every hard constraint kept. */
  keepsConstraints: boolean;
  /** One line for logs and `debug offers`. */
  reason: string;
}

export interface PodPinning {
  hosts: string[];
  /** Absent with a single replica. */
  failover?: FailoverChoice;
}

/** Tiers of a failover candidate (lower wins; see `pinPodReplicas`). */
const STABLE = 0;
const STABLE_BUSY = 1;
const CURRENT = 2;
const CURRENT_BUSY = 3;

/**
 * Replica nodes for a pod's NEW volume that leave the pod a failover holder keeping every hard
 * constraint. Replica 1 goes on the pod's host. Replica 2 goes on a host where the pod could
 * legally run should its host die: the constraints are judged with the pod itself taken out and
 * its siblings where they run or are planned (`view`). Among those hosts:
 *
 * 1. hosts sharing the pod's value of every domain-pinning constraint (`GROUP_BY`, `CLUSTER`, and
 *    `UNIQUE`/`MAX_PER` on a field other than hostname) come first: after the pod's host dies its
 *    own group is the only one certain to still take it, whatever siblings are placed later
 *    (with `@zone:GROUP_BY` the pod's zone is then among the emptiest);
 * 2. then hosts that are no sibling's failover target (`avoidHosts`), so a sibling's failover
 *    host stays free for it;
 * 3. then, as for every replica, another rack, then another zone, then the salted tie-break.
 *
 * Replicas 3+ spread over the remaining failure domains as `pinReplicas` does (zones and racks
 * no replica uses first). When no host keeps the constraints (a zone with one host), replica 2
 * falls back to `pinReplicas`' cross-domain choice and `failover.keepsConstraints` is false: a
 * host crash then waits for the spread policy's resync. O(hosts × (constraints + replicas)).
 */
export function pinPodReplicas(
  hostChosen: string,
  replicaCount: number,
  view: ClusterView | PlacementIndex,
  pod: FailoverPod,
  options: PinOptions = {},
): PodPinning {
  const index = view instanceof PlacementIndex ? view : buildPlacementIndex(view);
  if (replicaCount < 2) return { hosts: pinReplicas(hostChosen, replicaCount, index, options) };
  const tiers = failoverTiers(hostChosen, index, pod, options.avoidHosts ?? new Set());
  if (tiers.size === 0) {
    const hosts = pinReplicas(hostChosen, replicaCount, index, { ...options, failoverTiers: undefined });
    const texts = pod.constraints.map(formatConstraint).join(', ');
    return {
      hosts,
      failover: {
        host: hosts[1]!,
        keepsConstraints: false,
        reason:
          `no host with storage up where ${podInstanceName(pod.podType, pod.index)} could run if ${hostChosen} died keeps ${texts}: ` +
          `the failover replica goes to ${describe(index, hosts[1]!)} in another failure domain, so a crash of ${hostChosen} waits for a new replica to sync (spread policy keep)`,
      },
    };
  }
  const hosts = pinReplicas(hostChosen, replicaCount, index, { ...options, failoverTiers: tiers });
  const tier = tierOf(tiers, hosts[1]!)!;
  const instance = podInstanceName(pod.podType, pod.index);
  const kept = pod.constraints.length === 0 ? 'no constraints' : pod.constraints.map(formatConstraint).join(', ');
  const shared = tier === STABLE_BUSY || tier === CURRENT_BUSY ? " (sharing a sibling's replica holder, no other being free)" : '';
  if (tier === CURRENT || tier === CURRENT_BUSY) {
    // Legal now, but outside the pod's own domain: a sibling placed later may take it.
    return {
      hosts,
      failover: {
        host: hosts[1]!,
        keepsConstraints: false,
        reason:
          `no other host shares ${hostChosen}'s domain for ${kept}: the failover replica goes to ${describe(index, hosts[1]!)}${shared}, ` +
          `where ${instance} could run if ${hostChosen} died only with the siblings placed so far; should a sibling take that domain, a crash of ${hostChosen} waits for a new replica to sync (spread policy keep)`,
      },
    };
  }
  return {
    hosts,
    failover: {
      host: hosts[1]!,
      keepsConstraints: true,
      reason: `failover replica on ${describe(index, hosts[1]!)}${shared}: ${instance} could run there if ${hostChosen} died, keeping ${kept}`,
    },
  };
}

/** Candidate hosts for the failover replica with their tier; size 0 when none keeps the constraints. */
function failoverTiers(hostChosen: string, index: PlacementIndex, pod: FailoverPod, avoid: ReadonlySet<string>): FailoverTiers {
  const hosts = index.storageUpHosts();
  const tiers = new Int8Array(hosts.length).fill(-1);
  let size = 0;
  const home = index.agentByHostname(hostChosen);
  const instance = podInstanceName(pod.podType, pod.index);
  const own = index.locationOf(instance);
  const ownAgent = own ? index.agentByHostname(own.hostname) : undefined;
  // The pod's host has died: the pod is judged as if placed anew, its siblings where they are.
  if (own) index.removePlacement(instance);
  try {
    const constraints = compileConstraints(pod.constraints, pod.podType, index);
    const pinning = constraints.filter(pinsDomain);
    const homeValues = home ? pinning.map((c) => fieldValue(home, c.field)) : [];
    for (let i = 0; i < hosts.length; i++) {
      const host = hosts[i]!;
      if (host === hostChosen) continue;
      const agent = index.agentByHostname(host);
      // A storage-only node holds data but runs no pod: it is no failover holder.
      if (!agent || !allHold(constraints, agent, pod.podType, index)) continue;
      const stable = !home || sameValues(pinning, agent, homeValues);
      const busy = avoid.has(host) || index.count(pod.podType, 'hostname', host) > 0;
      tiers[i] = stable ? (busy ? STABLE_BUSY : STABLE) : busy ? CURRENT_BUSY : CURRENT;
      size++;
    }
  } finally {
    if (own && ownAgent) index.recordPlacement(own.podType, instance, ownAgent);
  }
  return { hosts, tiers, size };
}

/** Loops, not closures: this runs for every host for every volume planned. */
function allHold(constraints: readonly CompiledConstraint[], agent: AgentLike, podType: string, index: PlacementIndex): boolean {
  for (let i = 0; i < constraints.length; i++) if (!constraintHolds(constraints[i]!, agent, podType, index)) return false;
  return true;
}

function sameValues(constraints: readonly CompiledConstraint[], agent: AgentLike, values: readonly (string | undefined)[]): boolean {
  for (let i = 0; i < constraints.length; i++) if (fieldValue(agent, constraints[i]!.field) !== values[i]) return false;
  return true;
}

/**
 * A constraint whose verdict on another value of its field may change as siblings are placed
 * later, while the pod's own value stays allowed once the pod leaves it.
 */
function pinsDomain(c: CompiledConstraint): boolean {
  if (c.field === 'hostname') return false;
  if (c.operator === 'GROUP_BY') return true;
  if (c.operator === 'CLUSTER') return c.value === undefined;
  return c.operator === 'UNIQUE' || c.operator === 'MAX_PER';
}

function describe(index: PlacementIndex, host: string): string {
  const d = index.domainOf(host);
  const where = [d?.zone, d?.rack].filter((x): x is string => x !== undefined);
  return where.length ? `${host} (${where.join(', ')})` : host;
}
