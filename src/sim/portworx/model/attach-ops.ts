import { SdkStatusError, alreadyExists, internal, invalidArgument, notFound, unavailable } from '../errors';
import { SimAlertType } from './alert-store';
import type { ClusterModel } from './cluster';
import { answers, traits } from './node-status';
import type { SimNode, SimVolume } from './types';

export interface DetachOptions {
  force?: boolean;
  unmountBeforeDetach?: boolean;
}

export function devicePath(v: SimVolume): string {
  return `/dev/pxd/pxd${v.id}`;
}

function isShared(v: SimVolume): boolean {
  return v.spec.shared || v.spec.sharedv4;
}

/** Attach on `node` (the node serving the request), as the SDK's Attach does. */
export function attachVolume(model: ClusterModel, volumeId: string, node: SimNode): string {
  const v = model.requireVolume(volumeId);
  if (v.attachedOn.includes(node.id)) return devicePath(v);
  if (!traits(node).takesAttach) {
    throw attachFailure(model, v, node, unavailable(`failed to attach volume ${v.id}: node ${node.hostname} is in maintenance mode`));
  }
  if (v.attachedOn.length > 0 && !isShared(v)) {
    // The SDK maps volume.ErrVolAttachedOnRemoteNode to AlreadyExists with the driver's text.
    throw attachFailure(model, v, node, alreadyExists('Volume is attached on another node'));
  }
  if (model.health(v) === 'VOLUME_STATUS_DOWN') {
    throw attachFailure(
      model,
      v,
      node,
      internal(`failed  to attach volume: Volume ${v.id} is down: none of its ${v.replicaNodes.length} replicas is online`),
    );
  }
  v.attachedOn.push(node.id);
  v.attachTime = new Date();
  model.advance();
  return devicePath(v);
}

function attachFailure(model: ClusterModel, v: SimVolume, node: SimNode, err: SdkStatusError): SdkStatusError {
  const where = v.attachedOn.map((id) => model.nodes.get(id)?.hostname ?? id).join(', ');
  model.alerts.raise({
    alertType: SimAlertType.VolumeOperationFailureAlarm,
    severity: 'SEVERITY_TYPE_ALARM',
    resource: 'RESOURCE_TYPE_VOLUME',
    resourceId: v.id,
    uniqueTag: `attach-failed-${node.id}`,
    message:
      `Failed to attach volume ${v.name} (${v.id}) on node ${node.hostname}: ${err.message}` +
      (where ? ` (attached on ${where})` : ''),
  });
  return err;
}

/** Detach from wherever the volume is attached (the SDK redirects detach to that node). */
export function detachVolume(model: ClusterModel, volumeId: string, opts: DetachOptions): void {
  const v = model.volumes.get(volumeId);
  if (!v || v.attachedOn.length === 0) return;
  if (!opts.force) {
    // The detach is redirected to the node the volume is attached on, which must answer.
    const down = v.attachedOn.map((id) => model.nodes.get(id)).filter((n) => n && !answers(n));
    if (down.length > 0) {
      const n = down[0]!;
      throw internal(
        `Failed to detach volume ${v.id}: node ${n.hostname} (${n.id}) where the volume is attached is ` +
          `${n.hostDown ? 'unreachable' : 'offline'}; detach with options.force to fence it`,
      );
    }
    if (v.attachPaths.length > 0 && !opts.unmountBeforeDetach) {
      throw internal(`Failed to detach volume ${v.id}: Volume is mounted at ${v.attachPaths.join(', ')}`);
    }
  }
  v.attachedOn = [];
  v.attachPaths = [];
  v.detachTime = new Date();
  model.advance();
}

export function mountVolume(model: ClusterModel, volumeId: string, node: SimNode, mountPath: string): void {
  if (!mountPath) throw invalidArgument('Invalid Mount Path');
  const v = model.volumes.get(volumeId);
  if (!v) throw notFound(`Volume id ${volumeId} not found`);
  if (v.attachedOn.length === 0) throw internal(`Failed to mount volume ${v.id}: Volume is detached`);
  if (!v.attachedOn.includes(node.id)) {
    throw internal(`Failed to mount volume ${v.id}: Volume is attached on another node`);
  }
  if (!v.attachPaths.includes(mountPath)) v.attachPaths.push(mountPath);
}

export function unmountVolume(model: ClusterModel, volumeId: string, node: SimNode, mountPath: string): void {
  if (!mountPath) throw invalidArgument('Invalid Mount Path');
  const v = model.volumes.get(volumeId);
  if (!v) throw internal(`Failed to unmount volume ${volumeId}: Volume does not exist.`);
  if (v.attachedOn.length > 0 && !v.attachedOn.includes(node.id)) {
    throw internal(`Failed to unmount volume ${v.id}: Volume is attached on another node`);
  }
  if (!v.attachPaths.includes(mountPath)) {
    throw internal(`Failed to unmount volume ${v.id}: Device ${v.id} not mounted at ${mountPath}`);
  }
  v.attachPaths = v.attachPaths.filter((p) => p !== mountPath);
}
