import type { z } from 'zod';
import type { VolumeSpecUpdateModel } from '../model/volume-ops';
import type { VolumeSpecModel } from '../model/types';
import type { volumeSpecSchema, volumeSpecUpdateSchema } from './requests';

type SpecIn = z.output<typeof volumeSpecSchema>;
type SpecUpdateIn = z.output<typeof volumeSpecUpdateSchema>;

/** The model of a VolumeSpec given on create. Portworx formats volumes ext4 unless told otherwise. */
export function specFromWire(s: SpecIn): VolumeSpecModel {
  return {
    size: s.size ?? 0,
    haLevel: s.ha_level ?? 0,
    format: s.format && s.format !== 'FS_TYPE_NONE' ? s.format : 'FS_TYPE_EXT4',
    shared: s.shared ?? false,
    sharedv4: s.sharedv4 ?? false,
    sticky: s.sticky ?? false,
    journal: s.journal ?? false,
    encrypted: s.encrypted ?? false,
    nodiscard: s.nodiscard ?? false,
    cos: s.cos,
    ioProfile: s.io_profile,
    groupId: s.group?.id || undefined,
    pinnedNodes: (s.replica_set?.nodes ?? []).filter((n) => n !== ''),
    volumeLabels: s.volume_labels ?? {},
    snapshotSchedule: s.snapshot_schedule,
    snapshotInterval: s.snapshot_interval,
    scale: s.scale,
    queueDepth: s.queue_depth,
    aggregationLevel: s.aggregation_level,
    blockSize: s.block_size === undefined ? undefined : String(s.block_size),
  };
}

export function specUpdateFromWire(s: SpecUpdateIn | undefined): VolumeSpecUpdateModel {
  if (!s) return {};
  return {
    size: s.size,
    haLevel: s.ha_level,
    shared: s.shared,
    sharedv4: s.sharedv4,
    sticky: s.sticky,
    journal: s.journal,
    nodiscard: s.nodiscard,
    cos: s.cos,
    ioProfile: s.io_profile,
    groupId: s.group?.id,
    scale: s.scale,
    queueDepth: s.queue_depth,
    snapshotSchedule: s.snapshot_schedule,
    snapshotInterval: s.snapshot_interval,
  };
}
