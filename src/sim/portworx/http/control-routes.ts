import { z } from 'zod';
import type { ClusterModel } from '../model/cluster';
import { getMarker, parseNodeStatus, requireNode, setMarker, snapshotState } from '../model/control';
import type { SimNode } from '../model/types';
import type { NodeFaults } from '../node-faults';
import { renderNode } from '../wire/render';
import { markerSchema, parseBody } from '../wire/requests';
import { ok, type Route, type RouteContext } from './router';

const statusSchema = z.strictObject({ status: z.unknown() });
const flapSchema = z.strictObject({ period_ms: z.number().positive(), count: z.number().int().min(1) });
const duplicateSchema = z.strictObject({ status: z.unknown().optional(), same_ip: z.boolean().optional() });

function sim(method: string, pattern: string, handle: Route['handle']): Route {
  return { method, pattern, kind: 'sim', handle };
}

/** A node as the control routes answer it: the SDK rendering plus what the SDK does not show. */
function view(n: SimNode): Record<string, unknown> {
  // `status` is always present here, STATUS_NONE included (the SDK rendering leaves it out).
  return { ...renderNode(n), status: n.status, host_down: n.hostDown, stale: n.stale };
}

/**
 * The simulator's control plane (the test's hand on the cluster), not Portworx routes; never
 * recorded. Hosts are named by hostname (or node id).
 */
export function controlRoutes(model: ClusterModel, faults: NodeFaults): Route[] {
  const host = (c: RouteContext) => c.params.host ?? '';
  return [
    sim('GET', '/sim/v1/state', () => ok(snapshotState(model))),
    sim('GET', '/sim/v1/nodes/{host}', (c) => {
      const current = requireNode(model, host(c));
      return ok({ node: view(current), entries: model.entriesOfHost(current.hostname).map(view), pending: faults.pendingFor(current.hostname) ?? null });
    }),
    sim('POST', '/sim/v1/nodes/{host}/down', (c) => ok({ node: view(faults.setStatus(host(c), 'STATUS_OFFLINE')) })),
    sim('POST', '/sim/v1/nodes/{host}/up', (c) => ok({ node: view(faults.setStatus(host(c), 'STATUS_OK')) })),
    sim('POST', '/sim/v1/nodes/{host}/status', (c) => {
      const r = parseBody(statusSchema, c.body, 'node status request');
      return ok({ node: view(faults.setStatus(host(c), parseNodeStatus(r.status))) });
    }),
    sim('POST', '/sim/v1/nodes/{host}/flap', (c) => {
      const r = parseBody(flapSchema, c.body, 'flap request');
      return ok({ node: view(faults.flapNode(host(c), { periodMs: r.period_ms, count: r.count })) });
    }),
    sim('POST', '/sim/v1/nodes/{host}/duplicate', (c) => {
      const r = parseBody(duplicateSchema, c.body, 'duplicate request');
      const status = r.status === undefined ? undefined : parseNodeStatus(r.status);
      return ok({ node: view(faults.addDuplicateNode(host(c), { status, sameIp: r.same_ip })) });
    }),
    sim('DELETE', '/sim/v1/nodes/{host}/duplicate', (c) => ok({ removed: faults.removeDuplicateNode(host(c)) })),
    sim('POST', '/sim/v1/hosts/{host}/crash', (c) => {
      const r = faults.crashHost(host(c));
      return ok({ node: view(r.node), detect_in_ms: r.detectInMs });
    }),
    sim('POST', '/sim/v1/hosts/{host}/boot', (c) => {
      const r = faults.bootHost(host(c));
      return ok({ node: view(r.node), ready_in_ms: r.readyInMs });
    }),
    sim('GET', '/sim/v1/volumes/{volume_id}/marker', (c) => ok({ marker: getMarker(model, c.params.volume_id ?? '') })),
    sim('PUT', '/sim/v1/volumes/{volume_id}/marker', (c) => {
      const r = parseBody(markerSchema, c.body, 'marker request');
      setMarker(model, c.params.volume_id ?? '', r.marker);
      return ok({});
    }),
  ];
}
