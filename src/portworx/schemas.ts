import { z } from 'zod';
import {
  ATTACH_STATES,
  COS_TYPES,
  FS_TYPES,
  HARDWARE_TYPES,
  IO_PROFILES,
  NODE_STATUSES,
  RESOURCE_TYPES,
  SECURITY_STATUSES,
  SEVERITY_TYPES,
  VOLUME_STATES,
  VOLUME_STATUSES,
  type Alert,
  type StorageCluster,
  type StorageNode,
  type Volume,
  type VolumeInspection,
} from './types';

/*
 * Response schemas. Objects are loose: a newer Portworx may add fields, and they must survive
 * to the caller rather than fail the call. Enums are strict: an unknown enum name means the
 * server speaks a different API than the one we were built against, and that must be visible.
 */

/** int64/uint64: the gateway sends strings; accept numbers too and normalise to a string. */
export const int64 = z
  .union([z.string().regex(/^-?\d+$/, 'expected a decimal integer string'), z.number().int(), z.bigint()])
  .transform((v) => String(v));

const labels = z.record(z.string(), z.string());
const timestamp = z.string();

export const replicaSetSchema = z.looseObject({
  id: int64.optional(),
  nodes: z.array(z.string()).optional(),
  pool_uuids: z.array(z.string()).optional(),
});

const groupSchema = z.looseObject({ id: z.string().optional() });

export const volumeSpecSchema = z.looseObject({
  size: int64.optional(),
  format: z.enum(FS_TYPES).optional(),
  block_size: int64.optional(),
  ha_level: int64.optional(),
  cos: z.enum(COS_TYPES).optional(),
  io_profile: z.enum(IO_PROFILES).optional(),
  shared: z.boolean().optional(),
  sharedv4: z.boolean().optional(),
  encrypted: z.boolean().optional(),
  passphrase: z.string().optional(),
  sticky: z.boolean().optional(),
  journal: z.boolean().optional(),
  group: groupSchema.optional(),
  replica_set: replicaSetSchema.optional(),
  snapshot_interval: int64.optional(),
  snapshot_schedule: z.string().optional(),
  topology_requirement: z.looseObject({ labels: labels.optional() }).optional(),
});

export const volumeSchema: z.ZodType<Volume> = z.looseObject({
  id: z.string().optional(),
  source: z.looseObject({ parent: z.string().optional(), seed: z.string().optional() }).optional(),
  group: groupSchema.optional(),
  readonly: z.boolean().optional(),
  locator: z
    .looseObject({
      name: z.string().optional(),
      volume_labels: labels.optional(),
      group: groupSchema.optional(),
      ownership: z.looseObject({ owner: z.string().optional() }).optional(),
      volume_ids: z.array(z.string()).optional(),
    })
    .optional(),
  ctime: timestamp.optional(),
  spec: volumeSpecSchema.optional(),
  usage: int64.optional(),
  format: z.enum(FS_TYPES).optional(),
  status: z.enum(VOLUME_STATUSES).optional(),
  state: z.enum(VOLUME_STATES).optional(),
  attached_on: z.string().optional(),
  attached_state: z.enum(ATTACH_STATES).optional(),
  device_path: z.string().optional(),
  attach_path: z.array(z.string()).optional(),
  attach_info: labels.optional(),
  replica_sets: z.array(replicaSetSchema).optional(),
  error: z.string().optional(),
  attach_time: timestamp.optional(),
  detach_time: timestamp.optional(),
  in_trashcan: z.boolean().optional(),
  runtime_state: z.array(z.looseObject({ runtime_state: z.record(z.string(), z.string()).optional() })).optional(),
  fs_resize_required: z.boolean().optional(),
});

export const volumeInspectionSchema: z.ZodType<VolumeInspection> = z
  .looseObject({ volume: volumeSchema.optional(), name: z.string().optional(), labels: labels.optional() })
  .transform((r) => ({ volume: r.volume ?? {}, name: r.name ?? '', labels: r.labels ?? {} }));

export const storageNodeSchema: z.ZodType<StorageNode> = z.looseObject({
  id: z.string().optional(),
  status: z.enum(NODE_STATUSES).optional(),
  hostname: z.string().optional(),
  mgmt_ip: z.string().optional(),
  data_ip: z.string().optional(),
  scheduler_node_name: z.string().optional(),
  scheduler_topology: z.looseObject({ labels: labels.optional() }).optional(),
  node_labels: labels.optional(),
  cluster_domain: z.string().optional(),
  cpu: z.number().optional(),
  cpu_cores: int64.optional(),
  mem_total: int64.optional(),
  mem_used: int64.optional(),
  mem_free: int64.optional(),
  avg_load: int64.optional(),
  non_quorum_member: z.boolean().optional(),
  HWType: z.enum(HARDWARE_TYPES).optional(),
  security_status: z.enum(SECURITY_STATUSES).optional(),
  pools: z.array(z.record(z.string(), z.unknown())).optional(),
  disks: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});

export const storageClusterSchema: z.ZodType<StorageCluster> = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  status: z.enum(NODE_STATUSES).optional(),
});

export const alertSchema: z.ZodType<Alert> = z.looseObject({
  id: int64.optional(),
  severity: z.enum(SEVERITY_TYPES).optional(),
  alert_type: int64.optional(),
  message: z.string().optional(),
  timestamp: timestamp.optional(),
  resource_id: z.string().optional(),
  resource: z.enum(RESOURCE_TYPES).optional(),
  cleared: z.boolean().optional(),
  ttl: int64.optional(),
  unique_tag: z.string().optional(),
  count: int64.optional(),
  first_seen: timestamp.optional(),
});

const ids = (field: string) =>
  z.looseObject({ [field]: z.array(z.string()).optional() }).transform((r) => (r[field] as string[] | undefined) ?? []);

export const responses = {
  volumeCreate: z.looseObject({ volume_id: z.string().min(1) }),
  volumeInspectWithFilters: z
    .looseObject({ volumes: z.array(volumeInspectionSchema).optional() })
    .transform((r) => r.volumes ?? []),
  volumeIds: ids('volume_ids'),
  snapshotIds: ids('volume_snapshot_ids'),
  snapshotCreate: z.looseObject({ snapshot_id: z.string().min(1) }),
  attach: z.looseObject({ device_path: z.string().optional() }),
  empty: z.looseObject({}),
  nodeIds: ids('node_ids'),
  nodesWithFilters: z.looseObject({ nodes: z.array(storageNodeSchema).optional() }).transform((r) => r.nodes ?? []),
  nodeInspect: z.looseObject({ node: storageNodeSchema.optional() }).transform((r) => r.node ?? {}),
  clusterInspect: z.looseObject({ cluster: storageClusterSchema.optional() }).transform((r) => r.cluster ?? {}),
  alertsResult: z.looseObject({ alerts: z.array(alertSchema).optional() }).transform((r) => r.alerts ?? []),
};

/**
 * Legacy GroupSnapCreateResponse (openstorage api.proto, Go encoding/json of the generated struct):
 * `{ snapshots: { <volume id>: { volume_create_response: { id, volume_response: { error } } } }, error }`.
 */
export const groupSnapCreateResponseSchema = z.looseObject({
  snapshots: z
    .record(
      z.string(),
      z.looseObject({
        volume_create_response: z
          .looseObject({
            id: z.string().optional(),
            volume_response: z.looseObject({ error: z.string().optional() }).optional(),
          })
          .optional(),
      }),
    )
    .optional(),
  error: z.string().optional(),
});

/** One line of a grpc-gateway server stream: `{"result": …}` or `{"error": …}`. */
export const streamLineSchema = z.looseObject({
  result: z.unknown().optional(),
  error: z
    .looseObject({
      grpc_code: z.number().int().optional(),
      code: z.number().int().optional(),
      http_code: z.number().int().optional(),
      http_status: z.string().optional(),
      message: z.string().optional(),
      details: z.array(z.unknown()).optional(),
    })
    .optional(),
});

/** The gateway's error body (runtimeError): `{error, code, message, details}`. */
export const errorBodySchema = z.looseObject({
  error: z.string().optional(),
  code: z.number().int().optional(),
  message: z.string().optional(),
  details: z.array(z.unknown()).optional(),
});
