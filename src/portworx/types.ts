/**
 * OpenStorage SDK messages used by pxfw, as they appear on the REST gateway (SDK 0.186.0,
 * shared/spec/openstorage-sdk.openapi.json). Wire rules: snake_case names, int64/uint64 as
 * decimal strings, enums as names, zero values omitted — hence every field is optional.
 */

export const FS_TYPES = [
  'FS_TYPE_NONE',
  'FS_TYPE_BTRFS',
  'FS_TYPE_EXT4',
  'FS_TYPE_FUSE',
  'FS_TYPE_NFS',
  'FS_TYPE_VFS',
  'FS_TYPE_XFS',
  'FS_TYPE_ZFS',
  'FS_TYPE_XFSv2',
] as const;
export type FsType = (typeof FS_TYPES)[number];

export const COS_TYPES = ['NONE', 'LOW', 'MEDIUM', 'HIGH'] as const;
export type CosType = (typeof COS_TYPES)[number];

export const IO_PROFILES = [
  'IO_PROFILE_SEQUENTIAL',
  'IO_PROFILE_RANDOM',
  'IO_PROFILE_DB',
  'IO_PROFILE_DB_REMOTE',
  'IO_PROFILE_CMS',
  'IO_PROFILE_SYNC_SHARED',
  'IO_PROFILE_AUTO',
  'IO_PROFILE_NONE',
  'IO_PROFILE_JOURNAL',
  'IO_PROFILE_AUTO_JOURNAL',
] as const;
export type IoProfile = (typeof IO_PROFILES)[number];

export const VOLUME_STATES = [
  'VOLUME_STATE_NONE',
  'VOLUME_STATE_PENDING',
  'VOLUME_STATE_AVAILABLE',
  'VOLUME_STATE_ATTACHED',
  'VOLUME_STATE_DETACHED',
  'VOLUME_STATE_DETATCHING',
  'VOLUME_STATE_ERROR',
  'VOLUME_STATE_DELETED',
  'VOLUME_STATE_TRY_DETACHING',
  'VOLUME_STATE_RESTORE',
] as const;
export type VolumeState = (typeof VOLUME_STATES)[number];

export const VOLUME_STATUSES = [
  'VOLUME_STATUS_NONE',
  'VOLUME_STATUS_NOT_PRESENT',
  'VOLUME_STATUS_UP',
  'VOLUME_STATUS_DOWN',
  'VOLUME_STATUS_DEGRADED',
] as const;
export type VolumeStatus = (typeof VOLUME_STATUSES)[number];

export const ATTACH_STATES = ['ATTACH_STATE_EXTERNAL', 'ATTACH_STATE_INTERNAL', 'ATTACH_STATE_INTERNAL_SWITCH'] as const;
export type AttachState = (typeof ATTACH_STATES)[number];

/** openstorageapiStatus: the status of a node or of the cluster. */
export const NODE_STATUSES = [
  'STATUS_NONE',
  'STATUS_INIT',
  'STATUS_OK',
  'STATUS_OFFLINE',
  'STATUS_ERROR',
  'STATUS_NOT_IN_QUORUM',
  'STATUS_DECOMMISSION',
  'STATUS_MAINTENANCE',
  'STATUS_STORAGE_DOWN',
  'STATUS_STORAGE_DEGRADED',
  'STATUS_NEEDS_REBOOT',
  'STATUS_STORAGE_REBALANCE',
  'STATUS_STORAGE_DRIVE_REPLACE',
  'STATUS_NOT_IN_QUORUM_NO_STORAGE',
  'STATUS_POOLMAINTENANCE',
  'STATUS_MAX',
] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

export const SEVERITY_TYPES = [
  'SEVERITY_TYPE_NONE',
  'SEVERITY_TYPE_ALARM',
  'SEVERITY_TYPE_WARNING',
  'SEVERITY_TYPE_NOTIFY',
] as const;
export type SeverityType = (typeof SEVERITY_TYPES)[number];

export const RESOURCE_TYPES = [
  'RESOURCE_TYPE_NONE',
  'RESOURCE_TYPE_VOLUME',
  'RESOURCE_TYPE_NODE',
  'RESOURCE_TYPE_CLUSTER',
  'RESOURCE_TYPE_DRIVE',
  'RESOURCE_TYPE_POOL',
] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export const HARDWARE_TYPES = ['UnknownMachine', 'VirtualMachine', 'BareMetalMachine'] as const;
export type HardwareType = (typeof HARDWARE_TYPES)[number];

export const SECURITY_STATUSES = ['UNSPECIFIED', 'UNSECURED', 'SECURED', 'SECURED_ALLOW_SECURITY_REMOVAL'] as const;
export type SecurityStatus = (typeof SECURITY_STATUSES)[number];

/** A decimal integer carried as a JSON string (int64/uint64 on the gateway). */
export type Int64String = string;
export type Labels = Record<string, string>;

export interface ReplicaSet {
  id?: Int64String;
  /** Storage node ids (not hostnames) holding one replica each. */
  nodes?: string[];
  pool_uuids?: string[];
}

export interface Group {
  id?: string;
}

export interface Ownership {
  owner?: string;
  acls?: Record<string, unknown>;
}

export interface VolumeLocator {
  name?: string;
  volume_labels?: Labels;
  group?: Group;
  ownership?: Ownership;
  volume_ids?: string[];
}

/** The VolumeSpec fields pxfw sets or reads; others pass through untyped. */
export interface VolumeSpec {
  size?: Int64String;
  format?: FsType;
  block_size?: Int64String;
  ha_level?: Int64String;
  cos?: CosType;
  io_profile?: IoProfile;
  shared?: boolean;
  sharedv4?: boolean;
  encrypted?: boolean;
  passphrase?: string;
  sticky?: boolean;
  journal?: boolean;
  group?: Group;
  replica_set?: ReplicaSet;
  snapshot_interval?: Int64String;
  snapshot_schedule?: string;
  topology_requirement?: { labels?: Labels };
  [field: string]: unknown;
}

export interface VolumeSource {
  parent?: string;
  seed?: string;
}

export interface Volume {
  id?: string;
  source?: VolumeSource;
  group?: Group;
  readonly?: boolean;
  locator?: VolumeLocator;
  ctime?: string;
  spec?: VolumeSpec;
  usage?: Int64String;
  format?: FsType;
  status?: VolumeStatus;
  state?: VolumeState;
  /** Node id the volume is attached on; empty when detached. */
  attached_on?: string;
  attached_state?: AttachState;
  device_path?: string;
  attach_path?: string[];
  attach_info?: Labels;
  replica_sets?: ReplicaSet[];
  error?: string;
  attach_time?: string;
  detach_time?: string;
  in_trashcan?: boolean;
  /** Driver-specific runtime information (Portworx: `RuntimeState` is `clean` or `resync`). */
  runtime_state?: { runtime_state?: Record<string, string> }[];
  /** The volume grew but its filesystem has not yet (it grows at the next attach). */
  fs_resize_required?: boolean;
  [field: string]: unknown;
}

/** SdkVolumeInspectResponse. */
export interface VolumeInspection {
  volume: Volume;
  name: string;
  labels: Labels;
}

export interface SchedulerTopology {
  /** Topology labels, e.g. topology.portworx.io/rack, topology.kubernetes.io/zone. */
  labels?: Labels;
}

export interface StorageNode {
  id?: string;
  status?: NodeStatus;
  hostname?: string;
  mgmt_ip?: string;
  data_ip?: string;
  /** The name of this node in the scheduler (a Mesos agent's hostname). */
  scheduler_node_name?: string;
  scheduler_topology?: SchedulerTopology;
  node_labels?: Labels;
  cluster_domain?: string;
  cpu?: number;
  cpu_cores?: Int64String;
  mem_total?: Int64String;
  mem_used?: Int64String;
  mem_free?: Int64String;
  avg_load?: Int64String;
  non_quorum_member?: boolean;
  HWType?: HardwareType;
  security_status?: SecurityStatus;
  pools?: Record<string, unknown>[];
  disks?: Record<string, Record<string, unknown>>;
  [field: string]: unknown;
}

export interface StorageCluster {
  id?: string;
  name?: string;
  status?: NodeStatus;
}

export interface Alert {
  id?: Int64String;
  severity?: SeverityType;
  alert_type?: Int64String;
  message?: string;
  timestamp?: string;
  resource_id?: string;
  resource?: ResourceType;
  cleared?: boolean;
  ttl?: Int64String;
  unique_tag?: string;
  count?: Int64String;
  first_seen?: string;
}

/** SdkAlertsQuery: exactly one of the three queries, plus AND-ed options. */
export interface AlertsQuery {
  resource_type_query?: { resource_type?: ResourceType };
  alert_type_query?: { resource_type?: ResourceType; alert_type?: Int64String };
  resource_id_query?: { resource_type?: ResourceType; alert_type?: Int64String; resource_id?: string };
  opts?: AlertsOption[];
}

export interface AlertsOption {
  min_severity_type?: SeverityType;
  is_cleared?: boolean;
  time_span?: { start_time?: string; end_time?: string };
  count_span?: { min_count?: Int64String; max_count?: Int64String };
}

/** The result of a legacy consistency-group snapshot. */
export interface GroupSnapshotResult {
  groupId: string;
  /** Source volume id → snapshot id. */
  snapshots: Record<string, string>;
}
