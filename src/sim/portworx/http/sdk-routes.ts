import { invalidArgument, notFound } from '../errors';
import { filterAlerts } from '../model/alert-filter';
import { attachVolume, detachVolume, mountVolume, unmountVolume } from '../model/attach-ops';
import type { ClusterModel } from '../model/cluster';
import { createSnapshot, enumerateSnapshots, restoreSnapshot } from '../model/snapshot-ops';
import { createVolume, deleteVolume, filterVolumes, fsResizeRequired, hadResync, resyncState, updateVolume } from '../model/volume-ops';
import type { SimVolume } from '../model/types';
import { omitZero, renderAlert, renderInspect, renderNode } from '../wire/render';
import {
  alertsFilterSchema,
  attachSchema,
  detachSchema,
  mountSchema,
  parseBody,
  snapshotCreateSchema,
  snapshotFilterSchema,
  snapshotRestoreSchema,
  unmountSchema,
  volumeCreateSchema,
  volumeFilterSchema,
  volumeUpdateSchema,
} from '../wire/requests';
import { specFromWire, specUpdateFromWire } from '../wire/spec';
import { ok as okRaw, type Route, type RouteContext, type RouteResult } from './router';

/** A unary reply; empty lists and other zero values are left out, as the gateway does. */
const ok = (body: Record<string, unknown>): RouteResult => okRaw(omitZero(body));

/** Alerts per streamed message; the stream ends once every stored match is sent. */
const ALERTS_PER_MESSAGE = 100;

/** The SDK the simulator implements (openstorage-sdk.openapi.json `info.version`). */
export const SIM_SDK_VERSION = { major: 0, minor: 186, patch: 0, version: '0.186.0' } as const;
/** What the simulated storage system says it is (OpenStorageIdentity.Version `version`). */
export const SIM_STORAGE_VERSION = { driver: 'pxd', version: '2.13.0-pxfw-sim' } as const;

function sdk(method: string, pattern: string, handle: Route['handle']): Route {
  return { method, pattern, kind: 'sdk', handle };
}

export function sdkRoutes(model: ClusterModel): Route[] {
  return [...clusterRoutes(model), ...volumeRoutes(model), ...mountAttachRoutes(model), ...snapshotRoutes(model), alertsRoute(model)];
}

function clusterRoutes(model: ClusterModel): Route[] {
  const nodeById = (id: string) => {
    if (!id) throw invalidArgument('Node id must be provided');
    const n = model.nodes.get(id);
    if (!n) throw notFound(`Id ${id} not found`);
    return n;
  };
  return [
    // OpenStorageIdentity.Version: what pxfw's startup check reads (src/mesos/version-check.ts).
    sdk('GET', '/v1/identities/version', () => ok({ sdk_version: { ...SIM_SDK_VERSION }, version: { ...SIM_STORAGE_VERSION } })),
    sdk('GET', '/v1/clusters/inspectcurrent', () =>
      ok({ cluster: { id: model.clusterId, name: model.clusterId, status: 'STATUS_OK' } }),
    ),
    sdk('GET', '/v1/nodes', () => ok({ node_ids: [...model.nodes.keys()] })),
    sdk('GET', '/v1/nodes/filters', () => ok({ nodes: [...model.nodes.values()].map(renderNode) })),
    sdk('GET', '/v1/nodes/inspect/{node_id}', (c) => ok({ node: renderNode(nodeById(c.params.node_id ?? '')) })),
    sdk('GET', '/v1/nodes/inspectcurrent', (c) => ok({ node: renderNode(c.node) })),
  ];
}

/**
 * SdkVolumeInspectResponse plus what a volume update leaves behind: while a replica added by an
 * ha_level increase resyncs, the volume is VOLUME_STATUS_DEGRADED and its `runtime_state` says
 * `RuntimeState: resync` (then `clean`); a volume grown while detached has `fs_resize_required`.
 */
function inspectJson(model: ClusterModel, v: SimVolume): Record<string, unknown> {
  const out = renderInspect(model, v);
  const volume = { ...(out.volume as Record<string, unknown>) };
  const resync = resyncState(v);
  if (resync && volume.status === 'VOLUME_STATUS_UP') volume.status = 'VOLUME_STATUS_DEGRADED';
  // Only volumes that went through a resync carry it, so other inspections stay as they were.
  if (hadResync(v)) volume.runtime_state = [
    {
      runtime_state: {
        ID: '0',
        RuntimeState: resync ? 'resync' : 'clean',
        ReplicaSetCurr: `[${v.replicaNodes.join(' ')}]`,
        ...(resync ? { ResyncNodes: resync.nodes.join(','), ResyncProgress: `${Math.floor(resync.progress * 100)}` } : {}),
      },
    },
  ];
  if (fsResizeRequired(v)) volume.fs_resize_required = true;
  return { ...out, volume };
}

function volumeRoutes(model: ClusterModel): Route[] {
  const filtered = (c: RouteContext) => {
    const f = parseBody(volumeFilterSchema, c.body, 'volume filter');
    return filterVolumes(model, { name: f.name, labels: f.labels, groupId: f.group?.id });
  };
  return [
    sdk('POST', '/v1/volumes', (c) => {
      const r = parseBody(volumeCreateSchema, c.body, 'SdkVolumeCreateRequest');
      if (!r.name) throw invalidArgument('Must supply a unique name');
      if (!r.spec) throw invalidArgument('Must supply spec object');
      return ok({ volume_id: createVolume(model, r.name, r.labels ?? {}, specFromWire(r.spec)) });
    }),
    sdk('GET', '/v1/volumes', () => ok({ volume_ids: filterVolumes(model, {}).map((v) => v.id) })),
    sdk('POST', '/v1/volumes/filters', (c) => ok({ volume_ids: filtered(c).map((v) => v.id) })),
    sdk('POST', '/v1/volumes/inspectwithfilters', (c) => ok({ volumes: filtered(c).map((v) => inspectJson(model, v)) })),
    sdk('GET', '/v1/volumes/inspect/{volume_id}', (c) => {
      const id = c.params.volume_id ?? '';
      if (!id) throw invalidArgument('Must supply volume id');
      return ok(inspectJson(model, model.requireVolume(id)));
    }),
    sdk('PUT', '/v1/volumes/{volume_id}', (c) => {
      const r = parseBody(volumeUpdateSchema, c.body, 'SdkVolumeUpdateRequest');
      const id = c.params.volume_id || r.volume_id || '';
      if (!id) throw invalidArgument('Must supply volume id');
      const replicaSet = (r.spec?.replica_set?.nodes ?? []).filter((n) => n !== '');
      updateVolume(model, id, r.labels, { ...specUpdateFromWire(r.spec), ...(replicaSet.length > 0 ? { replicaSet } : {}) });
      return ok({});
    }),
    sdk('DELETE', '/v1/volumes/{volume_id}', (c) => {
      if (!c.params.volume_id) throw invalidArgument('Must supply volume id');
      deleteVolume(model, c.params.volume_id);
      return ok({});
    }),
  ];
}

function mountAttachRoutes(model: ClusterModel): Route[] {
  const need = (id: string | undefined) => {
    if (!id) throw invalidArgument('Must supply volume id');
    return id;
  };
  return [
    sdk('POST', '/v1/mountattach/attach', (c) => {
      const r = parseBody(attachSchema, c.body, 'SdkVolumeAttachRequest');
      return ok({ device_path: attachVolume(model, need(r.volume_id), c.node) });
    }),
    sdk('POST', '/v1/mountattach/detach', (c) => {
      const r = parseBody(detachSchema, c.body, 'SdkVolumeDetachRequest');
      detachVolume(model, need(r.volume_id), { force: r.options?.force, unmountBeforeDetach: r.options?.unmount_before_detach });
      return ok({});
    }),
    sdk('POST', '/v1/mountattach/mount', (c) => {
      const r = parseBody(mountSchema, c.body, 'SdkVolumeMountRequest');
      mountVolume(model, need(r.volume_id), c.node, r.mount_path ?? '');
      return ok({});
    }),
    sdk('POST', '/v1/mountattach/unmount', (c) => {
      const r = parseBody(unmountSchema, c.body, 'SdkVolumeUnmountRequest');
      unmountVolume(model, need(r.volume_id), c.node, r.mount_path ?? '');
      return ok({});
    }),
  ];
}

function snapshotRoutes(model: ClusterModel): Route[] {
  return [
    sdk('POST', '/v1/volumes/snapshots', (c) => {
      const r = parseBody(snapshotCreateSchema, c.body, 'SdkVolumeSnapshotCreateRequest');
      return ok({ snapshot_id: createSnapshot(model, r.volume_id ?? '', r.name ?? '', r.labels ?? {}) });
    }),
    // Without volume_id the SDK lists every snapshot (SnapshotEnumerate delegates to
    // SnapshotEnumerateWithFilters, which treats an empty volume id as "all volumes").
    sdk('GET', '/v1/volumes/snapshots', (c) => {
      const id = c.query.get('volume_id') || undefined;
      return ok({ volume_snapshot_ids: enumerateSnapshots(model, id) });
    }),
    sdk('POST', '/v1/volumes/snapshots/filters/{volume_id}', (c) => {
      const r = parseBody(snapshotFilterSchema, c.body, 'SdkVolumeSnapshotEnumerateWithFiltersRequest');
      const id = c.params.volume_id || r.volume_id || undefined;
      return ok({ volume_snapshot_ids: enumerateSnapshots(model, id, r.labels) });
    }),
    sdk('POST', '/v1/volumes/snapshots/restore', (c) => {
      const r = parseBody(snapshotRestoreSchema, c.body, 'SdkVolumeSnapshotRestoreRequest');
      restoreSnapshot(model, r.volume_id ?? '', r.snapshot_id ?? '');
      return ok({});
    }),
  ];
}

/** A server stream: every stored match, in batches, then the stream ends (the RPC returns). */
function alertsRoute(model: ClusterModel): Route {
  return sdk('POST', '/v1/alerts/filters', (c) => {
    const r = parseBody(alertsFilterSchema, c.body, 'SdkAlertsEnumerateWithFiltersRequest');
    if (!r.queries || r.queries.length === 0) throw invalidArgument('Must provide at least one query');
    const alerts = filterAlerts(model.alerts.list(), r.queries).map(renderAlert);
    const lines: unknown[] = [];
    for (let i = 0; i < alerts.length; i += ALERTS_PER_MESSAGE) {
      lines.push({ result: { alerts: alerts.slice(i, i + ALERTS_PER_MESSAGE) } });
    }
    if (lines.length === 0) lines.push({ result: {} });
    return { kind: 'stream', lines };
  });
}
