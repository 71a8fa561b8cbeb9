import type { ClusterModel } from '../model/cluster';
import { devicePath } from '../model/attach-ops';
import type { SimAlert, SimNode, SimVolume, VolumeSpecModel } from '../model/types';

/**
 * SDK JSON as the grpc-gateway writes it: snake_case field names, int64 as strings, enums by
 * name, timestamps in RFC 3339, and zero values (false, 0, "", empty lists and maps) left out.
 */
type Json = Record<string, unknown>;

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

/** Drop zero-valued fields, as proto3 JSON does when defaults are not emitted. */
export function omitZero(obj: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) if (!isZero(v)) out[k] = v;
  return out;
}

const int64 = (n: number | undefined): string | undefined => (n ? String(n) : undefined);

export function renderSpec(spec: VolumeSpecModel, replicaNodes: string[], replicaPools: string[]): Json {
  return omitZero({
    size: int64(spec.size),
    ha_level: int64(spec.haLevel),
    format: spec.format === 'FS_TYPE_NONE' ? undefined : spec.format,
    shared: spec.shared,
    sharedv4: spec.sharedv4,
    sticky: spec.sticky,
    journal: spec.journal,
    encrypted: spec.encrypted,
    nodiscard: spec.nodiscard,
    cos: spec.cos === 'NONE' ? undefined : spec.cos,
    io_profile: spec.ioProfile === 'IO_PROFILE_SEQUENTIAL' ? undefined : spec.ioProfile,
    group: spec.groupId ? { id: spec.groupId } : undefined,
    replica_set: omitZero({ nodes: replicaNodes, pool_uuids: replicaPools }),
    volume_labels: spec.volumeLabels,
    snapshot_schedule: spec.snapshotSchedule,
    snapshot_interval: spec.snapshotInterval,
    scale: spec.scale,
    queue_depth: spec.queueDepth,
    aggregation_level: spec.aggregationLevel,
    block_size: spec.blockSize === '0' ? undefined : spec.blockSize,
  });
}

export function renderVolume(model: ClusterModel, v: SimVolume): Json {
  const attached = v.attachedOn.map((id) => model.nodes.get(id)).filter((n): n is SimNode => !!n);
  return omitZero({
    id: v.id,
    source: v.parentId ? { parent: v.parentId } : undefined,
    group: v.spec.groupId ? { id: v.spec.groupId } : undefined,
    readonly: v.readonly,
    locator: omitZero({ name: v.name, volume_labels: v.labels, group: v.spec.groupId ? { id: v.spec.groupId } : undefined }),
    ctime: v.ctime.toISOString(),
    spec: renderSpec(v.spec, v.replicaNodes, v.replicaPools),
    format: v.spec.format,
    state: attached.length > 0 ? 'VOLUME_STATE_ATTACHED' : 'VOLUME_STATE_DETACHED',
    status: model.health(v),
    // Portworx reports the attached node by its management IP.
    attached_on: attached[0]?.mgmtIp,
    device_path: attached.length > 0 ? devicePath(v) : undefined,
    attach_path: v.attachPaths,
    attach_time: v.attachTime?.toISOString(),
    detach_time: v.detachTime?.toISOString(),
    replica_sets: [omitZero({ nodes: v.replicaNodes, pool_uuids: v.replicaPools })],
  });
}

/** SdkVolumeInspectResponse. */
export function renderInspect(model: ClusterModel, v: SimVolume): Json {
  return omitZero({ volume: renderVolume(model, v), name: v.name, labels: v.labels });
}

export function renderNode(n: SimNode): Json {
  const topo = n.topology;
  return omitZero({
    id: n.id,
    hostname: n.hostname,
    scheduler_node_name: n.hostname,
    mgmt_ip: n.mgmtIp,
    data_ip: n.mgmtIp,
    // STATUS_NONE is the enum's zero value: the gateway leaves the field out.
    status: n.status === 'STATUS_NONE' ? undefined : n.status,
    cpu_cores: '4',
    mem_total: String(16 * 1024 ** 3),
    HWType: 'VirtualMachine',
    node_labels: { rack: topo.rack, zone: topo.zone, region: topo.region },
    scheduler_topology: {
      labels: {
        'topology.portworx.io/rack': topo.rack,
        'topology.portworx.io/zone': topo.zone,
        'topology.portworx.io/region': topo.region,
      },
    },
    pools: [
      omitZero({
        uuid: n.pool.uuid,
        Cos: 'HIGH',
        Medium: 'STORAGE_MEDIUM_SSD',
        TotalSize: int64(n.pool.totalBytes),
        Used: int64(n.pool.usedBytes),
        labels: { medium: 'STORAGE_MEDIUM_SSD', iopriority: 'HIGH' },
      }),
    ],
  });
}

export function renderAlert(a: SimAlert): Json {
  return omitZero({
    id: a.id,
    severity: a.severity,
    alert_type: int64(a.alertType),
    message: a.message,
    timestamp: a.timestamp.toISOString(),
    resource_id: a.resourceId,
    resource: a.resource,
    cleared: a.cleared,
    unique_tag: a.uniqueTag,
    count: int64(a.count),
    first_seen: a.firstSeen.toISOString(),
  });
}
