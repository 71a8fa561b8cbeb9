import { PxfwError } from '../errors';
import type { SpreadPolicy } from '../placement';
import { replicaHealth, type PortworxClient, type Volume } from '../portworx';
import type { ServiceSpec } from '../service-spec';
import type { TransitionLog } from '../observe/transition-log';
import type { ClusterState } from './cluster-view';
import type { PodRegistry } from './pod-registry';

/** Portworx keeps at most three replicas of a volume (ha_level 1..3). */
export const MAX_HA_LEVEL = 3;

/** A replica could not be added or removed through VolumeUpdate (retried on the next pass). */
export class ReplicaUpdateError extends PxfwError {
  readonly code = 'REPLICA_UPDATE_FAILED';
  readonly retryable = true;
}

/**
 * The spread policy of a pod type: what a replacement does when no replica holder keeps every
 * hard constraint (`failure_policy.spread`, overridden per pod type by `pods.<type>.spread`).
 */
export function spreadPolicy(spec: ServiceSpec, podType: string): SpreadPolicy {
  // A spec object built in code (a test fixture, an older record) may lack the field: keep.
  return (spec.failurePolicy.spread as Record<string, SpreadPolicy> | undefined)?.[podType] === 'break' ? 'break' : 'keep';
}

/** The `repl` of a pod's volume by its deterministic name, from the spec (undefined: not in the spec). */
export function desiredRepl(spec: ServiceSpec, podType: string, index: number, volumeName: string): number | undefined {
  const pod = spec.pods[podType];
  return pod?.volumes.find((v) => `${spec.name}-${podType}-${index}-${v.name}` === volumeName)?.repl;
}

export function replicaNodes(v: Volume): string[] {
  return [...new Set((v.replica_sets ?? []).flatMap((rs) => rs.nodes ?? []))];
}

export function haLevel(v: Volume): number {
  const n = Number(v.spec?.ha_level ?? 0);
  return n > 0 ? n : replicaNodes(v).length;
}

/** Portworx still copying data to a replica (`runtime_state` RuntimeState `resync`: replicaHealth). */
export function resyncing(v: Volume): boolean {
  return replicaHealth(v).resyncing;
}

/**
 * Add one replica on `nodeId`: ha_level + 1 with `replica_set.nodes` the wanted replica set, the
 * current nodes plus the new one (SDK VolumeUpdate; Portworx `pxctl volume ha-update --repl N+1
 * --node X`). Portworx then resyncs the new replica in the background.
 */
export async function addReplica(px: PortworxClient, v: Volume, nodeId: string): Promise<void> {
  const level = haLevel(v);
  if (level >= MAX_HA_LEVEL) throw new ReplicaUpdateError(`volume ${v.locator?.name ?? v.id} already has ha_level ${level}, the maximum`);
  await px.updateVolume(v.id!, { spec: { ha_level: level + 1, replica_set: { nodes: [...replicaNodes(v), nodeId] } } });
}

/** Drop the replica on `nodeId`: ha_level - 1 with `replica_set.nodes` the replicas to keep. */
export async function removeReplica(px: PortworxClient, v: Volume, nodeId: string): Promise<void> {
  const level = haLevel(v);
  const keep = replicaNodes(v).filter((n) => n !== nodeId);
  if (level <= 1 || keep.length === 0) throw new ReplicaUpdateError(`volume ${v.locator?.name ?? v.id} has a single replica; it cannot drop one`);
  await px.updateVolume(v.id!, { spec: { ha_level: level - 1, replica_set: { nodes: keep } } });
}

/** A host that may take a new replica: its Portworx node is up and its agent is known, reachable and not gone. */
export function healthyHost(cluster: ClusterState, hostname: string): boolean {
  const agent = cluster.agentByHost(hostname);
  return cluster.storageNode(hostname)?.health === 'up' && !!agent && !agent.gone && !agent.unreachable;
}

type EmitFn = TransitionLog['emit'];

/**
 * The service's transition log, where spread decisions are published as events (NATS
 * `pxfw.<service>.events.transition`, `/v1/events`, the recording), bound for passing around.
 */
export function transitionsOf(given: { emit: EmitFn } | undefined): { emit: EmitFn } | undefined {
  return given ? { emit: given.emit.bind(given) } : undefined;
}
