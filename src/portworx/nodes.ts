import { GrpcCode, PortworxError } from './errors';
import type { SdkTransport } from './http';
import { nodeOption, requireId, validateInput } from './inputs';
import { responses, storageNodeSchema } from './schemas';
import type { StorageCluster, StorageNode } from './types';

/**
 * Every storage node with its details. Uses OpenStorageNode.EnumerateWithFilters
 * (GET /v1/nodes/filters), which returns whole StorageNode messages in one call. A server
 * without that route (UNIMPLEMENTED, or NOT_FOUND from the gateway's router) gets the older
 * way: enumerate the ids, then inspect each. The list (2,000 nodes: megabytes, every storage
 * refresh) is parsed and checked in slices (`callList`).
 */
export async function enumerateNodes(t: SdkTransport): Promise<StorageNode[]> {
  try {
    return await t.callList({ method: 'GET', path: '/v1/nodes/filters', idempotent: true }, 'nodes', storageNodeSchema);
  } catch (err) {
    const missingRoute =
      err instanceof PortworxError && (err.grpcCode === GrpcCode.UNIMPLEMENTED || err.grpcCode === GrpcCode.NOT_FOUND);
    if (!missingRoute) throw err;
  }
  const ids = await t.call({ method: 'GET', path: '/v1/nodes', idempotent: true }, responses.nodeIds);
  const nodes: StorageNode[] = [];
  for (const id of ids) nodes.push(await inspectNode(t, id));
  return nodes;
}

export async function inspectNode(t: SdkTransport, nodeId: string): Promise<StorageNode> {
  const id = requireId(nodeId, 'nodeId');
  return t.call(
    { method: 'GET', path: `/v1/nodes/inspect/${encodeURIComponent(id)}`, idempotent: true },
    responses.nodeInspect,
  );
}

/** The node serving the request; `node` routes it like a mount/attach call. */
export async function inspectCurrentNode(t: SdkTransport, opts: { node?: string } = {}): Promise<StorageNode> {
  const o = validateInput(nodeOption, opts, 'inspectCurrentNode options');
  return t.call(
    { method: 'GET', path: '/v1/nodes/inspectcurrent', idempotent: true, ...(o.node !== undefined ? { node: o.node } : {}) },
    responses.nodeInspect,
  );
}

export async function inspectCluster(t: SdkTransport, opts: { signal?: AbortSignal } = {}): Promise<StorageCluster> {
  return t.call(
    { method: 'GET', path: '/v1/clusters/inspectcurrent', idempotent: true, ...(opts.signal ? { signal: opts.signal } : {}) },
    responses.clusterInspect,
  );
}
