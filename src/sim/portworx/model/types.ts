/** In-memory model of a simulated Portworx cluster. Wire rendering lives in ../wire. */

export interface Topology {
  rack: string;
  zone: string;
  region: string;
}

export interface SimPool {
  uuid: string;
  totalBytes: number;
  usedBytes: number;
}

/**
 * The node statuses the simulator models, by their SDK enum names (`openstorageapiStatus`); what
 * each means for replicas, attach and alerts is in ./node-status.ts.
 */
export const SIM_NODE_STATUSES = [
  'STATUS_OK',
  'STATUS_OFFLINE',
  'STATUS_MAINTENANCE',
  'STATUS_STORAGE_DOWN',
  'STATUS_NONE',
] as const;
export type SimNodeStatus = (typeof SIM_NODE_STATUSES)[number];

export interface SimNode {
  id: string;
  hostname: string;
  /** Where the node's SDK would listen; data only, the simulator serves every node on one port. */
  mgmtIp: string;
  topology: Topology;
  /** What the cluster reports for the node (StorageNode.status). */
  status: SimNodeStatus;
  /**
   * The host itself is dead (crashHost): its own endpoint does not answer, whatever the cluster
   * still reports during the detection delay.
   */
  hostDown: boolean;
  /** A stale entry left by an earlier install of the same host (addDuplicateNode). */
  stale: boolean;
  pool: SimPool;
}

/** The VolumeSpec fields the simulator understands, normalised to their SDK JSON types. */
export interface VolumeSpecModel {
  size: number;
  haLevel: number;
  format: string;
  shared: boolean;
  sharedv4: boolean;
  sticky: boolean;
  journal: boolean;
  encrypted: boolean;
  nodiscard: boolean;
  cos?: string;
  ioProfile?: string;
  groupId?: string;
  /** Node ids the caller pinned replicas to (`replica_set.nodes`). */
  pinnedNodes: string[];
  volumeLabels: Record<string, string>;
  snapshotSchedule?: string;
  snapshotInterval?: number;
  scale?: number;
  queueDepth?: number;
  aggregationLevel?: number;
  blockSize?: string;
}

export interface SimVolume {
  id: string;
  name: string;
  labels: Record<string, string>;
  spec: VolumeSpecModel;
  ctime: Date;
  /** Replica holders, in placement order; same length as replicaPools. */
  replicaNodes: string[];
  replicaPools: string[];
  /** Set for snapshots: the volume it was taken from. */
  parentId?: string;
  readonly: boolean;
  /** Node ids the volume is attached on (one unless shared). */
  attachedOn: string[];
  attachPaths: string[];
  attachTime?: Date;
  detachTime?: Date;
  /** Opaque stand-in for the volume's data. */
  marker: string;
  /** Logical clock tick at which a snapshot captured its parent. */
  capturedAtTick?: number;
}

export type VolumeHealth = 'VOLUME_STATUS_UP' | 'VOLUME_STATUS_DEGRADED' | 'VOLUME_STATUS_DOWN';

export type ResourceTypeName =
  | 'RESOURCE_TYPE_NONE'
  | 'RESOURCE_TYPE_VOLUME'
  | 'RESOURCE_TYPE_NODE'
  | 'RESOURCE_TYPE_CLUSTER'
  | 'RESOURCE_TYPE_DRIVE'
  | 'RESOURCE_TYPE_POOL';

export type SeverityName = 'SEVERITY_TYPE_NONE' | 'SEVERITY_TYPE_ALARM' | 'SEVERITY_TYPE_WARNING' | 'SEVERITY_TYPE_NOTIFY';

export interface SimAlert {
  id: string;
  alertType: number;
  severity: SeverityName;
  resource: ResourceTypeName;
  resourceId: string;
  uniqueTag: string;
  message: string;
  firstSeen: Date;
  timestamp: Date;
  count: number;
  cleared: boolean;
}
