import { PortworxAlreadyExistsError, PortworxNotFoundError, PortworxProtocolError } from './errors';
import type { SdkTransport } from './http';
import {
  createVolumeInput,
  toWireSpec,
  updateVolumeInput,
  requireId,
  validateInput,
  volumeFiltersInput,
  type CreateVolumeInput,
  type UpdateVolumeInput,
  type VolumeFilters,
} from './inputs';
import { responses, volumeInspectionSchema } from './schemas';
import type { VolumeInspection, VolumeSpec } from './types';

const enc = encodeURIComponent;

/**
 * Create a volume, idempotently by name. The SDK answers ALREADY_EXISTS for a name in use; then
 * the existing volume is inspected and its id returned when its spec agrees with the request,
 * so a re-run after a crash or a lost answer converges. A real disagreement surfaces as
 * PortworxAlreadyExistsError naming the fields.
 */
export async function createVolume(t: SdkTransport, input: CreateVolumeInput): Promise<string> {
  const v = validateInput(createVolumeInput, input, 'createVolume input');
  const spec = toWireSpec(v.spec);
  const body = { name: v.name, ...(v.labels ? { labels: v.labels } : {}), spec };
  try {
    const res = await t.call({ method: 'POST', path: '/v1/volumes', body, idempotent: true }, responses.volumeCreate);
    return res.volume_id;
  } catch (err) {
    if (!(err instanceof PortworxAlreadyExistsError)) throw err;
    const existing = await findVolumeByName(t, v.name);
    if (!existing) throw err;
    const id = existing.volume.id;
    if (!id) throw new PortworxProtocolError(`volume '${v.name}' was inspected without an id`, ctxOf(err));
    const mismatches = specMismatches(spec, existing.volume.spec ?? {});
    if (mismatches.length > 0) {
      throw new PortworxAlreadyExistsError(
        `volume '${v.name}' already exists as ${id} with a different spec: ${mismatches.join(', ')}`,
        { ...ctxOf(err), cause: err },
      );
    }
    return id;
  }
}

/**
 * Fields compared when a name is already taken: those fixed at creation. ha_level and labels
 * are left out on purpose: they change through updateVolume, and the caller reconciles them.
 */
const COMPARED_FIELDS = ['size', 'format', 'shared', 'sharedv4', 'encrypted'] as const;

function specMismatches(wanted: VolumeSpec, actual: VolumeSpec): string[] {
  const out: string[] = [];
  for (const field of COMPARED_FIELDS) {
    const w = wanted[field];
    if (w === undefined) continue;
    const a = actual[field];
    // Zero values are omitted on the wire: a missing boolean is false.
    const same = typeof w === 'boolean' ? w === (a ?? false) : w === a;
    if (!same) out.push(`${field} ${JSON.stringify(a ?? null)} (wanted ${JSON.stringify(w)})`);
  }
  return out;
}

function ctxOf(err: PortworxAlreadyExistsError) {
  return { method: err.method, path: err.path, httpStatus: err.httpStatus, grpcCode: err.grpcCode };
}

export async function inspectVolume(t: SdkTransport, volumeId: string): Promise<VolumeInspection> {
  const id = requireId(volumeId, 'volumeId');
  return t.call({ method: 'GET', path: `/v1/volumes/inspect/${enc(id)}`, idempotent: true }, volumeInspectionSchema);
}

export async function inspectVolumeWithFilters(t: SdkTransport, filters: VolumeFilters): Promise<VolumeInspection[]> {
  const body = validateInput(volumeFiltersInput, filters, 'volume filters');
  return t.call(
    { method: 'POST', path: '/v1/volumes/inspectwithfilters', body, idempotent: true },
    responses.volumeInspectWithFilters,
  );
}

/** The volume with exactly this name, or undefined. */
export async function findVolumeByName(t: SdkTransport, name: string): Promise<VolumeInspection | undefined> {
  const found = await inspectVolumeWithFilters(t, { name });
  return found.find((v) => (v.name || v.volume.locator?.name) === name);
}

export async function updateVolume(t: SdkTransport, volumeId: string, update: UpdateVolumeInput): Promise<void> {
  const id = requireId(volumeId, 'volumeId');
  const u = validateInput(updateVolumeInput, update, 'updateVolume input');
  const body = {
    volume_id: id,
    ...(u.labels ? { labels: u.labels } : {}),
    ...(u.spec ? { spec: toWireSpec(u.spec) } : {}),
  };
  await t.call({ method: 'PUT', path: `/v1/volumes/${enc(id)}`, body, idempotent: false }, responses.empty);
}

/** Delete a volume (or snapshot). NOT_FOUND means it is already gone, which is success. */
export async function deleteVolume(t: SdkTransport, volumeId: string): Promise<{ alreadyGone: boolean }> {
  const id = requireId(volumeId, 'volumeId');
  try {
    await t.call({ method: 'DELETE', path: `/v1/volumes/${enc(id)}`, idempotent: true }, responses.empty);
    return { alreadyGone: false };
  } catch (err) {
    if (err instanceof PortworxNotFoundError) return { alreadyGone: true };
    throw err;
  }
}

/** Volume ids, all of them or those matching name/labels/ownership. */
export async function enumerateVolumes(t: SdkTransport, filters: VolumeFilters = {}): Promise<string[]> {
  const body = validateInput(volumeFiltersInput, filters, 'volume filters');
  if (Object.keys(body).length === 0) {
    return t.call({ method: 'GET', path: '/v1/volumes', idempotent: true }, responses.volumeIds);
  }
  return t.call({ method: 'POST', path: '/v1/volumes/filters', body, idempotent: true }, responses.volumeIds);
}
