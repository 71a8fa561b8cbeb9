import { alreadyExists, internal, invalidArgument } from '../errors';
import type { ClusterModel } from './cluster';
import { replicasServeIo, traits } from './node-status';
import { PlacementError, placeReplicas, type PlacementCandidate } from './placement';
import type { SimNode, SimVolume, VolumeSpecModel } from './types';

/** Portworx keeps at most three replicas of a volume. */
export const MAX_HA_LEVEL = 3;

export interface VolumeFilter {
  name?: string;
  labels?: Record<string, string>;
  groupId?: string;
}

/** The VolumeSpecUpdate fields the simulator applies; absent means "leave as is". */
export interface VolumeSpecUpdateModel {
  size?: number;
  haLevel?: number;
  shared?: boolean;
  sharedv4?: boolean;
  sticky?: boolean;
  journal?: boolean;
  nodiscard?: boolean;
  cos?: string;
  ioProfile?: string;
  groupId?: string;
  scale?: number;
  queueDepth?: number;
  snapshotSchedule?: string;
  snapshotInterval?: number;
  /**
   * `replica_set.nodes` of the update: with a new ha_level, the node ids the caller wants as the
   * replica set (Portworx `pxctl volume ha-update --node`): a higher level adds the listed nodes
   * not yet holding a replica, a lower one keeps the listed nodes and drops the others.
   */
  replicaSet?: string[];
}

/**
 * A replica added by an ha_level increase starts empty and is resynced from the others: until
 * then the volume reports VOLUME_STATUS_DEGRADED and `runtime_state` `RuntimeState: resync`.
 * Wall-clock time, `minMs` or `msPerGiB` per GiB of the volume, whichever is longer.
 */
export interface ResyncTiming {
  minMs: number;
  msPerGiB: number;
}

const DEFAULT_RESYNC: ResyncTiming = { minMs: 3000, msPerGiB: 100 };
const resyncTimings = new WeakMap<ClusterModel, ResyncTiming>();
/** Replicas being resynced, per volume: added node ids and when the resync ends (ms since epoch). */
const resyncs = new WeakMap<SimVolume, { nodes: string[]; startedAt: number; endsAt: number }>();
/** Volumes grown while detached: Portworx grows their filesystem at the next attach. */
const fsResizePending = new WeakSet<SimVolume>();

/** True once a replica was ever added to the volume by an update (it then reports its runtime state). */
export function hadResync(v: SimVolume): boolean {
  return resyncs.has(v);
}

/** How long a resync takes in this cluster (the simulator divides simulated time by its speed). */
export function setResyncTiming(model: ClusterModel, timing: Partial<ResyncTiming>): void {
  resyncTimings.set(model, { ...(resyncTimings.get(model) ?? DEFAULT_RESYNC), ...timing });
}

export interface ResyncState {
  /** Node ids whose replica is still being resynced. */
  nodes: string[];
  /** 0…1 of the resync's duration elapsed. */
  progress: number;
}

/** The resync in progress on a volume, or undefined once every replica is in sync. */
export function resyncState(v: SimVolume, now = Date.now()): ResyncState | undefined {
  const r = resyncs.get(v);
  if (!r || now >= r.endsAt) return undefined;
  const nodes = r.nodes.filter((n) => v.replicaNodes.includes(n));
  if (nodes.length === 0) return undefined;
  return { nodes, progress: Math.min(1, (now - r.startedAt) / Math.max(1, r.endsAt - r.startedAt)) };
}

/**
 * True while a volume grown when detached still needs its filesystem grown (Volume.fs_resize_required).
 * An attached volume's filesystem is grown online by the resize itself, as Portworx does: its CSI
 * driver answers ControllerExpandVolume with NodeExpansionRequired false.
 */
export function fsResizeRequired(v: SimVolume): boolean {
  if (!fsResizePending.has(v)) return false;
  if (v.attachedOn.length > 0) {
    fsResizePending.delete(v); // grown when the volume was attached again
    return false;
  }
  return true;
}

export function candidates(model: ClusterModel): PlacementCandidate[] {
  // A stale duplicate entry is no place for data.
  return [...model.nodes.values()].filter((n) => !n.stale).map(candidateOf);
}

function candidateOf(n: SimNode): PlacementCandidate {
  return { id: n.id, topology: n.topology, online: traits(n).takesReplicas, freeBytes: n.pool.totalBytes - n.pool.usedBytes };
}

/**
 * The candidates placement can look at for a new volume: when the caller pinned a node for every
 * replica (as pxfw does), the placement reads only those (the same choice and the same errors),
 * not a candidate for each of the cluster's nodes per create.
 */
function candidatesFor(model: ClusterModel, haLevel: number, pinned: readonly string[] | undefined): PlacementCandidate[] {
  if (!pinned || new Set(pinned).size !== haLevel) return candidates(model);
  const out: PlacementCandidate[] = [];
  for (const id of pinned) {
    const n = model.nodes.get(id);
    if (n && !n.stale) out.push(candidateOf(n));
  }
  return out;
}

function matchesLabels(have: Record<string, string>, want: Record<string, string> | undefined): boolean {
  return Object.entries(want ?? {}).every(([k, v]) => have[k] === v);
}

/** Volumes (not snapshots) matching every given filter field. */
export function filterVolumes(model: ClusterModel, f: VolumeFilter): SimVolume[] {
  const from = f.name ? model.volumes.byName(f.name) : [...model.volumes.values()];
  return from.filter(
    (v) =>
      !v.parentId &&
      (!f.name || v.name === f.name) &&
      (!f.groupId || v.spec.groupId === f.groupId) &&
      matchesLabels(v.labels, f.labels),
  );
}

/** Create a volume; creating an existing name with the same spec returns the existing id. */
export function createVolume(
  model: ClusterModel,
  name: string,
  labels: Record<string, string>,
  spec: VolumeSpecModel,
): string {
  if (!name) throw invalidArgument('Must supply a unique name');
  const haLevel = spec.haLevel === 0 ? 1 : spec.haLevel;
  const existing = filterVolumes(model, { name })[0];
  if (existing) {
    assertSameSpec(existing, { ...spec, haLevel });
    return existing.id;
  }
  if (spec.size <= 0) throw internal('Failed to create volume: Volume size cannot be zero');
  if (haLevel > MAX_HA_LEVEL) {
    throw internal(`Failed to create volume: HA level ${haLevel} is not supported, the maximum is ${MAX_HA_LEVEL}`);
  }
  let replicaNodes: string[];
  try {
    replicaNodes = placeReplicas({ nodes: candidatesFor(model, haLevel, spec.pinnedNodes), count: haLevel, sizeBytes: spec.size, pinned: spec.pinnedNodes });
  } catch (err) {
    if (err instanceof PlacementError) throw internal(`Failed to create volume: ${err.message}`);
    throw err;
  }
  const volume: SimVolume = {
    id: model.newVolumeId(),
    name,
    labels: { ...labels, ...spec.volumeLabels },
    spec: { ...spec, haLevel },
    ctime: new Date(),
    replicaNodes,
    replicaPools: replicaNodes.map((id) => model.nodes.get(id)!.pool.uuid),
    readonly: false,
    attachedOn: [],
    attachPaths: [],
    marker: '',
  };
  for (const id of replicaNodes) model.nodes.get(id)!.pool.usedBytes += spec.size;
  model.volumes.set(volume.id, volume);
  model.advance();
  return volume.id;
}

function assertSameSpec(v: SimVolume, spec: VolumeSpecModel): void {
  if (v.spec.size !== spec.size) {
    throw alreadyExists(`Existing volume has a size of ${v.spec.size} which differs from requested size of ${spec.size}`);
  }
  if (v.spec.shared !== spec.shared) {
    throw alreadyExists(`Existing volume has shared=${v.spec.shared} while request is asking for shared=${spec.shared}`);
  }
  // The SDK compares only size, shared and the source parent: another ha_level (or any other
  // field) still answers the existing id; changing it is a volume update.
}

export function updateVolume(
  model: ClusterModel,
  id: string,
  labels: Record<string, string> | undefined,
  update: VolumeSpecUpdateModel,
): void {
  const v = model.requireVolume(id);
  if (update.size !== undefined && update.size !== v.spec.size) resize(model, v, update.size);
  if (update.haLevel !== undefined && update.haLevel !== v.spec.haLevel) changeHaLevel(model, v, update.haLevel, update.replicaSet ?? []);
  const { size: _size, haLevel: _ha, replicaSet: _rs, ...plain } = update;
  for (const [k, val] of Object.entries(plain)) {
    if (val !== undefined) (v.spec as unknown as Record<string, unknown>)[k] = val;
  }
  for (const [k, val] of Object.entries(labels ?? {})) {
    // An empty value deletes the label, as the OpenStorage API documents.
    if (val === '') delete v.labels[k];
    else v.labels[k] = val;
  }
  model.advance();
}

function resize(model: ClusterModel, v: SimVolume, size: number): void {
  if (size < v.spec.size) {
    throw internal(`Failed to update volume: new size ${size} is smaller than the current size ${v.spec.size}`);
  }
  const grow = size - v.spec.size;
  for (const nodeId of v.replicaNodes) {
    const pool = model.nodes.get(nodeId)!.pool;
    if (pool.totalBytes - pool.usedBytes < grow) {
      throw internal(
        `Failed to update volume: pool ${pool.uuid} on node ${nodeId} has ${pool.totalBytes - pool.usedBytes} ` +
          `bytes free, ${grow} needed to grow the volume`,
      );
    }
  }
  for (const nodeId of v.replicaNodes) model.nodes.get(nodeId)!.pool.usedBytes += grow;
  v.spec.size = size;
  if (v.attachedOn.length === 0) fsResizePending.add(v);
}

function changeHaLevel(model: ClusterModel, v: SimVolume, haLevel: number, replicaSet: string[]): void {
  if (haLevel < 1 || haLevel > MAX_HA_LEVEL) {
    throw internal(`Failed to update volume: HA level must be between 1 and ${MAX_HA_LEVEL}, got ${haLevel}`);
  }
  if (haLevel > v.replicaNodes.length) {
    let added: string[];
    try {
      added = placeReplicas({ nodes: candidates(model), count: haLevel, sizeBytes: v.spec.size, existing: v.replicaNodes, pinned: replicaSet });
    } catch (err) {
      if (err instanceof PlacementError) throw internal(`Failed to update volume: ${err.message}`);
      throw err;
    }
    for (const id of added) {
      const node = model.nodes.get(id)!;
      node.pool.usedBytes += v.spec.size;
      v.replicaNodes.push(id);
      v.replicaPools.push(node.pool.uuid);
    }
    const timing = resyncTimings.get(model) ?? DEFAULT_RESYNC;
    const startedAt = Date.now();
    const earlier = resyncState(v, startedAt)?.nodes ?? [];
    const durationMs = Math.max(timing.minMs, (v.spec.size / 1024 ** 3) * timing.msPerGiB);
    resyncs.set(v, { nodes: [...earlier, ...added], startedAt, endsAt: startedAt + durationMs });
  } else {
    // Drop replicas that serve no I/O first, then the most recently added.
    const up = (id: string) => {
      const n = model.nodes.get(id);
      return !!n && replicasServeIo(n);
    };
    const order = [...v.replicaNodes].sort(
      (a, b) => Number(up(a)) - Number(up(b)),
    );
    const listed = replicaSet.filter((id) => v.replicaNodes.includes(id));
    if (listed.length > haLevel) {
      throw internal(`Failed to update volume: replica_set.nodes lists ${listed.length} nodes but ha_level is ${haLevel}`);
    }
    // The nodes the caller listed stay; the others go, those serving no I/O first.
    order.sort((a, b) => Number(listed.includes(a)) - Number(listed.includes(b)));
    const drop = new Set(order.slice(0, v.replicaNodes.length - haLevel));
    for (const id of drop) model.nodes.get(id)!.pool.usedBytes -= v.spec.size;
    const keep = v.replicaNodes.map((id, i) => ({ id, pool: v.replicaPools[i]! })).filter((r) => !drop.has(r.id));
    v.replicaNodes = keep.map((r) => r.id);
    v.replicaPools = keep.map((r) => r.pool);
  }
  v.spec.haLevel = haLevel;
}

/** Delete a volume or snapshot; deleting an unknown id succeeds, as the SDK makes it idempotent. */
export function deleteVolume(model: ClusterModel, id: string): void {
  const v = model.volumes.get(id);
  if (!v) return;
  if (v.attachedOn.length > 0) throw internal(`Failed to delete volume ${id}: Volume is attached`);
  if (!v.parentId) {
    for (const nodeId of v.replicaNodes) {
      const node = model.nodes.get(nodeId);
      if (node) node.pool.usedBytes = Math.max(0, node.pool.usedBytes - v.spec.size);
    }
  }
  model.volumes.delete(id);
  model.advance();
}
