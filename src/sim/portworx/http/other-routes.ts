import type { ClusterModel } from '../model/cluster';
import { groupSnapshot } from '../model/snapshot-ops';
import { groupSnapSchema, lowerKeys, parseBody } from '../wire/requests';
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
