import type { ClusterModel } from '../model/cluster';
import { getMarker, setMarker, setNodeState, snapshotState } from '../model/control';
import { groupSnapshot } from '../model/snapshot-ops';
import { renderNode } from '../wire/render';
import { groupSnapSchema, lowerKeys, markerSchema, parseBody } from '../wire/requests';
import { ok, type Route } from './router';

/** The legacy REST group snapshot (Portworx port 9001), served here on the SDK port too. */
export function legacyRoutes(model: ClusterModel): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/v1/osd-snapshot/snapshotgroup',
      kind: 'legacy',
      handle: (c) => {
        const r = parseBody(groupSnapSchema, lowerKeys(c.body), 'GroupSnapCreateRequest');
        const snaps = groupSnapshot(model, { groupId: r.id || undefined, labels: r.labels, volumeIds: r.volume_ids });
        const snapshots: Record<string, unknown> = {};
        for (const [volumeId, snapId] of snaps) snapshots[volumeId] = { volume_create_response: { id: snapId } };
        return ok({ snapshots });
      },
    },
  ];
}

function sim(method: string, pattern: string, handle: Route['handle']): Route {
  return { method, pattern, kind: 'sim', handle };
}

export function simRoutes(model: ClusterModel): Route[] {
  return [
    sim('GET', '/sim/v1/state', () => ok(snapshotState(model))),
    sim('POST', '/sim/v1/nodes/{host}/down', (c) => ok({ node: renderNode(setNodeState(model, c.params.host ?? '', false)) })),
    sim('POST', '/sim/v1/nodes/{host}/up', (c) => ok({ node: renderNode(setNodeState(model, c.params.host ?? '', true)) })),
    sim('GET', '/sim/v1/volumes/{volume_id}/marker', (c) => ok({ marker: getMarker(model, c.params.volume_id ?? '') })),
    sim('PUT', '/sim/v1/volumes/{volume_id}/marker', (c) => {
      const r = parseBody(markerSchema, c.body, 'marker request');
      setMarker(model, c.params.volume_id ?? '', r.marker);
      return ok({});
    }),
  ];
}
