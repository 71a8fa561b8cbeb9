import { PxfwError } from '../../../errors';
import type { Topology } from './types';

/** No set of nodes can hold the requested replicas. */
export class PlacementError extends PxfwError {
  readonly code = 'PX_SIM_PLACEMENT';
  // Capacity or nodes may come back (a node comes up, a volume is deleted).
  readonly retryable = true;
}

export interface PlacementCandidate {
  id: string;
  topology: Topology;
  online: boolean;
  freeBytes: number;
}

export interface PlacementRequest {
  nodes: readonly PlacementCandidate[];
  /** Total replicas wanted (ha_level). */
  count: number;
  sizeBytes: number;
  /** Node ids the caller pinned (`replica_set.nodes`). */
  pinned?: readonly string[];
  /** Node ids already holding a replica (when ha_level grows). */
  existing?: readonly string[];
}

/**
 * Choose nodes for the replicas still missing: pinned nodes first, then the node that adds a new
 * rack, else a new zone, else a new region, then the one with the most free space. Never two
 * replicas on one node. Returns only the newly chosen node ids, in placement order.
 */
export function placeReplicas(req: PlacementRequest): string[] {
  const byId = new Map(req.nodes.map((n) => [n.id, n]));
  const chosen: PlacementCandidate[] = [];
  for (const id of req.existing ?? []) {
    const node = byId.get(id);
    if (node) chosen.push(node);
  }
  const pinned = req.pinned ?? [];
  if (pinned.length > req.count) {
    throw new PlacementError(`replica_set.nodes lists ${pinned.length} nodes but ha_level is ${req.count}`);
  }
  const added: string[] = [];
  for (const id of pinned) {
    if (chosen.some((c) => c.id === id)) continue;
    const node = byId.get(id);
    if (!node) throw new PlacementError(`replica_set.nodes: node ${id} is not part of this cluster`);
    if (!node.online) throw new PlacementError(`replica_set.nodes: node ${id} is offline`);
    if (node.freeBytes < req.sizeBytes) {
      throw new PlacementError(
        `replica_set.nodes: node ${id} has ${node.freeBytes} bytes free in its pool, ${req.sizeBytes} needed`,
      );
    }
    chosen.push(node);
    added.push(id);
  }
  while (chosen.length < req.count) {
    const next = bestCandidate(req.nodes, chosen, req.sizeBytes);
    if (!next) throw notEnoughNodes(req, chosen.length);
    chosen.push(next);
    added.push(next.id);
  }
  return added;
}

function bestCandidate(
  nodes: readonly PlacementCandidate[],
  chosen: readonly PlacementCandidate[],
  sizeBytes: number,
): PlacementCandidate | undefined {
  const used = (key: keyof Topology) => new Set(chosen.map((c) => c.topology[key]));
  const racks = used('rack');
  const zones = used('zone');
  const regions = used('region');
  let best: PlacementCandidate | undefined;
  let bestScore: number[] = [];
  for (const node of nodes) {
    if (!node.online || node.freeBytes < sizeBytes || chosen.some((c) => c.id === node.id)) continue;
    const score = [
      racks.has(node.topology.rack) ? 0 : 1,
      zones.has(node.topology.zone) ? 0 : 1,
      regions.has(node.topology.region) ? 0 : 1,
      node.freeBytes,
    ];
    if (!best || compareScores(score, bestScore) > 0) {
      best = node;
      bestScore = score;
    }
  }
  return best;
}

function compareScores(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function notEnoughNodes(req: PlacementRequest, placed: number): PlacementError {
  const online = req.nodes.filter((n) => n.online);
  const roomy = online.filter((n) => n.freeBytes >= req.sizeBytes);
  return new PlacementError(
    `Could not find enough nodes to provision volume: ${req.count} replicas requested, ${placed} placed; ` +
      `${req.nodes.length - online.length} of ${req.nodes.length} nodes are offline and ` +
      `${online.length - roomy.length} online nodes have less than ${req.sizeBytes} bytes free in their pools`,
  );
}
