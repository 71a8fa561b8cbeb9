import type { Volume } from './types';

/**
 * How far a volume's replicas are from being in sync, read from an inspection.
 *
 * - `replica_sets[].nodes`: every node holding a replica, a replica being resynced included.
 * - `status`: VOLUME_STATUS_UP when every replica serves I/O; DEGRADED while one does not (a
 *   node down, or a new replica still resyncing).
 * - `runtime_state`: driver-specific name/value maps (the SDK's `RuntimeStateMap`). Portworx
 *   reports the replication state as `RuntimeState` (`clean` when in sync, `resync` while a
 *   replica catches up); the simulator also sets `ResyncNodes` and `ResyncProgress` (percent).
 *   Keys other than these are ignored; a volume without `runtime_state` is judged by `status`.
 */
export interface ReplicaHealth {
  replicas: number;
  resyncing: boolean;
  resyncNodes: string[];
  /** Percent, when the driver reports it. */
  progress?: number;
}

export function replicaHealth(v: Volume): ReplicaHealth {
  const replicas = new Set((v.replica_sets ?? []).flatMap((r) => r.nodes ?? [])).size;
  const states = (v.runtime_state ?? []).map((r) => r.runtime_state ?? {});
  const resync = states.find((s) => /resync/i.test(s.RuntimeState ?? ''));
  if (!resync) return { replicas, resyncing: false, resyncNodes: [] };
  const progress = resync.ResyncProgress !== undefined ? Number(resync.ResyncProgress) : undefined;
  return {
    replicas,
    resyncing: true,
    resyncNodes: (resync.ResyncNodes ?? '').split(',').filter(Boolean),
    ...(progress !== undefined && Number.isFinite(progress) ? { progress } : {}),
  };
}
