import { randomInt } from 'node:crypto';
import { LegacyApiError, internal, invalidArgument, notFound } from '../errors';
import type { ClusterModel } from './cluster';
import { filterVolumes } from './volume-ops';
import type { SimVolume } from './types';

/** Label every snapshot of one group snapshot carries, naming the group. */
export const GROUP_SNAPSHOT_LABEL = 'group_snap_id';

interface CaptureOptions {
  tick: number;
  ctime: Date;
}

function capture(model: ClusterModel, parent: SimVolume, name: string, labels: Record<string, string>, at: CaptureOptions): SimVolume {
  const snap: SimVolume = {
    id: model.newVolumeId(),
    name,
    labels: { ...labels },
    spec: { ...parent.spec, pinnedNodes: [], volumeLabels: {} },
    ctime: at.ctime,
    // Copy-on-write: a snapshot lives on its parent's replica nodes and uses no space yet.
    replicaNodes: [...parent.replicaNodes],
    replicaPools: [...parent.replicaPools],
    parentId: parent.id,
    readonly: true,
    attachedOn: [],
    attachPaths: [],
    marker: parent.marker,
    capturedAtTick: at.tick,
  };
  model.volumes.set(snap.id, snap);
  return snap;
}

export function createSnapshot(model: ClusterModel, volumeId: string, name: string, labels: Record<string, string>): string {
  if (!volumeId) throw invalidArgument('Must supply volume id');
  if (!name) throw invalidArgument('Must supply a name');
  const parent = model.volumes.get(volumeId);
  if (!parent) throw notFound(`Id ${volumeId} not found`);
  const tick = model.advance();
  return capture(model, parent, name, labels, { tick, ctime: new Date() }).id;
}

/** Snapshot ids of `volumeId` (all snapshots when empty) whose labels include `labels`. */
export function enumerateSnapshots(model: ClusterModel, volumeId: string | undefined, labels: Record<string, string> = {}): string[] {
  return [...model.volumes.values()]
    .filter(
      (v) =>
        v.parentId !== undefined &&
        (!volumeId || v.parentId === volumeId) &&
        Object.entries(labels).every(([k, val]) => v.labels[k] === val),
    )
    .sort((a, b) => a.ctime.getTime() - b.ctime.getTime())
    .map((v) => v.id);
}

export function restoreSnapshot(model: ClusterModel, volumeId: string, snapshotId: string): void {
  if (!volumeId) throw invalidArgument('Must supply volume id');
  if (!snapshotId) throw invalidArgument('Must supply snapshot id');
  const v = model.volumes.get(volumeId);
  const snap = model.volumes.get(snapshotId);
  if (!v || !snap) throw notFound(`Id ${volumeId} or ${snapshotId} not found`);
  const fail = (why: string) => internal(`Failed to restore volume ${volumeId} to snapshot ${snapshotId}: ${why}`);
  if (snap.parentId !== v.id) throw fail(`${snapshotId} is not a snapshot of volume ${volumeId}`);
  if (v.attachedOn.length > 0) throw fail('Volume is attached');
  v.marker = snap.marker;
  model.advance();
}

export interface GroupSelector {
  groupId?: string;
  labels?: Record<string, string>;
  volumeIds?: string[];
}

/**
 * The legacy group snapshot: every selected volume is captured at one logical tick with one ctime,
 * and every snapshot carries the group's id label. All or nothing: no snapshot is kept on failure.
 */
export function groupSnapshot(model: ClusterModel, sel: GroupSelector): Map<string, string> {
  const volumes = selectGroup(model, sel);
  const groupSnapId = String(randomInt(1, 2 ** 47));
  const at = { tick: model.advance(), ctime: new Date() };
  const out = new Map<string, string>();
  for (const v of volumes) {
    const labels = { ...(sel.labels ?? {}), [GROUP_SNAPSHOT_LABEL]: groupSnapId };
    out.set(v.id, capture(model, v, `group_snap_${groupSnapId}_${v.id}`, labels, at).id);
  }
  return out;
}

function selectGroup(model: ClusterModel, sel: GroupSelector): SimVolume[] {
  const ids = sel.volumeIds ?? [];
  const hasLabels = Object.keys(sel.labels ?? {}).length > 0;
  if (ids.length === 0 && !sel.groupId && !hasLabels) {
    throw new LegacyApiError('group snapshot needs volume_ids, a group id or Labels to select volumes');
  }
  if (ids.length > 0) {
    const missing = ids.filter((id) => !model.volumes.get(id) || model.volumes.get(id)!.parentId);
    if (missing.length > 0) throw new LegacyApiError(`Volume(s) ${missing.join(', ')} not found`);
    return [...new Set(ids)].map((id) => model.volumes.get(id)!);
  }
  const matched = filterVolumes(model, { groupId: sel.groupId, labels: sel.labels });
  if (matched.length === 0) throw new LegacyApiError('no volumes match the group snapshot selector');
  return matched;
}
