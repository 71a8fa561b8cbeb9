import { SimControlError, SimUnknownNodeError } from '../errors';
import type { ClusterModel } from './cluster';
import { isSimNodeStatus } from './node-status';
import { SIM_NODE_STATUSES, type SimNode, type SimNodeStatus } from './types';

/** Operations of the simulator's control plane (the test's hand on the cluster), not of Portworx. */

export function requireNode(model: ClusterModel, ref: string): SimNode {
  const node = model.findNode(ref);
  if (!node) {
    const known = [...model.nodes.values()].map((n) => n.hostname).join(', ');
    throw new SimUnknownNodeError(`no node "${ref}" in the simulated cluster (nodes: ${known || 'none'})`);
  }
  return node;
}

/** Valid statuses for a control request, or a SimControlError naming the valid ones. */
export function parseNodeStatus(value: unknown): SimNodeStatus {
  if (isSimNodeStatus(value)) return value;
  throw new SimControlError(
    `"${String(value)}" is not a node status the simulator models; use one of ${SIM_NODE_STATUSES.join(', ')}`,
  );
}

export function setMarker(model: ClusterModel, volumeId: string, marker: string): void {
  const v = model.volumes.get(volumeId);
  if (!v) throw new SimControlError(`no volume ${volumeId} in the simulated cluster`);
  if (v.parentId) throw new SimControlError(`${volumeId} is a snapshot; snapshots are read-only`);
  v.marker = marker;
  model.advance();
}

export function getMarker(model: ClusterModel, volumeId: string): string {
  const v = model.volumes.get(volumeId);
  if (!v) throw new SimControlError(`no volume ${volumeId} in the simulated cluster`);
  return v.marker;
}

/** A readable picture of the whole cluster, for `GET /sim/v1/state` and debugging. */
export function snapshotState(model: ClusterModel): Record<string, unknown> {
  const host = (id: string) => model.nodes.get(id)?.hostname ?? id;
  return {
    cluster_id: model.clusterId,
    tick: model.tick,
    nodes: [...model.nodes.values()].map((n) => ({
      id: n.id,
      hostname: n.hostname,
      status: n.status,
      host_down: n.hostDown,
      stale: n.stale,
      topology: n.topology,
      pool: { uuid: n.pool.uuid, total_bytes: n.pool.totalBytes, used_bytes: n.pool.usedBytes },
    })),
    volumes: [...model.volumes.values()].map((v) => ({
      id: v.id,
      name: v.name,
      parent: v.parentId ?? null,
      size: v.spec.size,
      ha_level: v.spec.haLevel,
      labels: v.labels,
      replica_hosts: v.replicaNodes.map(host),
      attached_on: v.attachedOn.map(host),
      mounts: v.attachPaths,
      status: model.health(v),
      marker: v.marker,
      captured_at_tick: v.capturedAtTick ?? null,
    })),
    alerts: model.alerts.list().length,
  };
}
