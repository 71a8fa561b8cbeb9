import type { SdkTransport } from './http';
import {
  attachInput,
  detachInput,
  mountPath as mountPathSchema,
  nodeOption,
  requireId,
  unmountInput,
  validateInput,
  type AttachInput,
  type DetachInput,
  type UnmountInput,
} from './inputs';
import { responses } from './schemas';

/*
 * OpenStorageMountAttach acts on "the node receiving this request". `node` (a Portworx node id
 * or hostname) picks that node: the request goes to `nodeEndpoint(node)` when the client has a
 * resolver, and always carries the `x-pxfw-node` header (see NODE_HEADER in http.ts).
 * Attach and mount are not retried automatically: a lost answer could hide a success, and the
 * caller's reconcile loop (inspect, then act) is the safe place to repeat them. Detach and
 * unmount converge to the same end state and are retried.
 */

/** Attach on the chosen node; returns the device path the node exported. */
export async function attach(t: SdkTransport, volumeId: string, opts: AttachInput = {}): Promise<{ devicePath: string }> {
  const id = requireId(volumeId, 'volumeId');
  const o = validateInput(attachInput, opts, 'attach options');
  const body = {
    volume_id: id,
    ...(o.options ? { options: o.options } : {}),
    ...(o.driverOptions ? { driver_options: o.driverOptions } : {}),
  };
  const res = await t.call(
    { method: 'POST', path: '/v1/mountattach/attach', body, idempotent: false, ...nodeOf(o.node) },
    responses.attach,
  );
  return { devicePath: res.device_path ?? '' };
}

/** Detach; `force` fences a node that is gone, `unmountBeforeDetach` unmounts first. */
export async function detach(t: SdkTransport, volumeId: string, opts: DetachInput = {}): Promise<void> {
  const id = requireId(volumeId, 'volumeId');
  const o = validateInput(detachInput, opts, 'detach options');
  const options: Record<string, boolean> = {};
  if (o.force) options.force = true;
  if (o.unmountBeforeDetach) options.unmount_before_detach = true;
  if (o.redirect) options.redirect = true;
  const body = { volume_id: id, ...(Object.keys(options).length ? { options } : {}) };
  await t.call(
    { method: 'POST', path: '/v1/mountattach/detach', body, idempotent: true, ...nodeOf(o.node) },
    responses.empty,
  );
}

export async function mount(
  t: SdkTransport,
  volumeId: string,
  mountPath: string,
  opts: { node?: string } = {},
): Promise<void> {
  const id = requireId(volumeId, 'volumeId');
  const path = validateInput(mountPathSchema, mountPath, 'mount path');
  const o = validateInput(nodeOption, opts, 'mount options');
  await t.call(
    {
      method: 'POST',
      path: '/v1/mountattach/mount',
      body: { volume_id: id, mount_path: path },
      idempotent: false,
      ...nodeOf(o.node),
    },
    responses.empty,
  );
}

export async function unmount(t: SdkTransport, volumeId: string, mountPath: string, opts: UnmountInput = {}): Promise<void> {
  const id = requireId(volumeId, 'volumeId');
  const path = validateInput(mountPathSchema, mountPath, 'mount path');
  const o = validateInput(unmountInput, opts, 'unmount options');
  const body = {
    volume_id: id,
    mount_path: path,
    ...(o.deleteMountPath ? { options: { delete_mount_path: true } } : {}),
  };
  await t.call(
    { method: 'POST', path: '/v1/mountattach/unmount', body, idempotent: true, ...nodeOf(o.node) },
    responses.empty,
  );
}

function nodeOf(node: string | undefined): { node?: string } {
  return node === undefined ? {} : { node };
}
