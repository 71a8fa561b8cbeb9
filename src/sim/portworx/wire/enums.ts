/** Enum value names of the OpenStorage SDK (openstorage-sdk.openapi.json, SDK 0.186.0). */
export const FS_TYPES = [
  'FS_TYPE_NONE', 'FS_TYPE_BTRFS', 'FS_TYPE_EXT4', 'FS_TYPE_FUSE', 'FS_TYPE_NFS',
  'FS_TYPE_VFS', 'FS_TYPE_XFS', 'FS_TYPE_ZFS', 'FS_TYPE_XFSv2',
] as const;
export const COS_TYPES = ['NONE', 'LOW', 'MEDIUM', 'HIGH'] as const;
export const IO_PROFILES = [
  'IO_PROFILE_SEQUENTIAL', 'IO_PROFILE_RANDOM', 'IO_PROFILE_DB', 'IO_PROFILE_DB_REMOTE', 'IO_PROFILE_CMS',
  'IO_PROFILE_SYNC_SHARED', 'IO_PROFILE_AUTO', 'IO_PROFILE_NONE', 'IO_PROFILE_JOURNAL', 'IO_PROFILE_AUTO_JOURNAL',
] as const;
export const RESOURCE_TYPES = [
  'RESOURCE_TYPE_NONE', 'RESOURCE_TYPE_VOLUME', 'RESOURCE_TYPE_NODE',
  'RESOURCE_TYPE_CLUSTER', 'RESOURCE_TYPE_DRIVE', 'RESOURCE_TYPE_POOL',
] as const;
export const SEVERITY_TYPES = ['SEVERITY_TYPE_NONE', 'SEVERITY_TYPE_ALARM', 'SEVERITY_TYPE_WARNING', 'SEVERITY_TYPE_NOTIFY'] as const;

/** Every VolumeSpec field name; the simulator applies some and accepts (and ignores) the rest. */
export const VOLUME_SPEC_FIELDS = new Set([
  'aggregation_level', 'auto_fstrim', 'block_size', 'cascaded', 'checksum_clone_id', 'checksummed', 'compressed',
  'cos', 'dedupe', 'encrypted', 'ephemeral', 'export_spec', 'fa_create_options', 'force_unsupported_fs_type',
  'format', 'fp_preference', 'group', 'group_enforced', 'ha_level', 'io_profile', 'io_strategy', 'io_throttle',
  'journal', 'mount_options', 'near_sync', 'near_sync_replication_strategy', 'nodiscard', 'number_of_chunks',
  'ownership', 'passphrase', 'placement_strategy', 'proxy_spec', 'proxy_write', 'queue_depth', 'readahead',
  'replica_set', 'scale', 'scan_policy', 'shared', 'sharedv4', 'sharedv4_mount_options', 'sharedv4_service_spec',
  'sharedv4_spec', 'size', 'snapshot_interval', 'snapshot_schedule', 'sticky', 'storage_policy',
  'topology_requirement', 'volume_labels', 'winshare', 'xattr',
]);

/** Every VolumeSpecUpdate field name. */
export const VOLUME_SPEC_UPDATE_FIELDS = new Set([
  'auto_fstrim', 'checksummed', 'cos', 'dedupe', 'export_spec', 'fastpath', 'group', 'ha_level', 'io_profile',
  'io_strategy', 'io_throttle', 'journal', 'mount_opt_spec', 'near_sync_replication_strategy', 'nodiscard',
  'ownership', 'passphrase', 'proxy_spec', 'proxy_write', 'pure_nfs_endpoint', 'queue_depth', 'readahead',
  'replica_set', 'scale', 'scan_policy', 'shared', 'sharedv4', 'sharedv4_mount_opt_spec', 'sharedv4_service_spec',
  'sharedv4_spec', 'size', 'snapshot_interval', 'snapshot_schedule', 'sticky', 'winshare', 'xattr',
]);
