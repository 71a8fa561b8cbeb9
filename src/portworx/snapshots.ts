import { randomUUID } from 'node:crypto';
import { PortworxGroupSnapshotError } from './errors';
import type { SdkTransport } from './http';
import {
  groupSnapshotInput,
  requireId,
  snapshotFiltersInput,
  validateInput,
  type GroupSnapshotInput,
  type SnapshotFilters,
} from './inputs';
import { groupSnapCreateResponseSchema, responses } from './schemas';
import { inspectVolume } from './volumes';
import type { GroupSnapshotResult, Labels } from './types';

const enc = encodeURIComponent;

/** Take a snapshot of one volume. Not retried: a repeat would make a second snapshot. */
export async function createSnapshot(t: SdkTransport, volumeId: string, name: string, labels?: Labels): Promise<string> {
  const id = requireId(volumeId, 'volumeId');
  const snapName = requireId(name, 'name');
  const body = { volume_id: id, name: snapName, ...(labels && Object.keys(labels).length ? { labels } : {}) };
  const res = await t.call(
    { method: 'POST', path: '/v1/volumes/snapshots', body, idempotent: false },
    responses.snapshotCreate,
  );
  return res.snapshot_id;
}

/**
 * Snapshot ids. With a volume id the SDK filters by volume and labels server side
 * (POST /v1/volumes/snapshots/filters/{volume_id}). Without one the SDK route needs a volume
 * id in its path, so all snapshots are listed (GET /v1/volumes/snapshots) and, when labels
 * are asked for, each is inspected and filtered here.
 */
export async function enumerateSnapshots(t: SdkTransport, filters: SnapshotFilters = {}): Promise<string[]> {
  const f = validateInput(snapshotFiltersInput, filters, 'snapshot filters');
  if (f.volumeId) {
    const body = { volume_id: f.volumeId, ...(f.labels ? { labels: f.labels } : {}) };
    return t.call(
      { method: 'POST', path: `/v1/volumes/snapshots/filters/${enc(f.volumeId)}`, body, idempotent: true },
      responses.snapshotIds,
    );
  }
  const all = await t.call({ method: 'GET', path: '/v1/volumes/snapshots', idempotent: true }, responses.snapshotIds);
  const wanted = f.labels;
  if (!wanted || Object.keys(wanted).length === 0) return all;
  const out: string[] = [];
  for (const snapId of all) {
    const snap = await inspectVolume(t, snapId);
    const have = { ...snap.volume.locator?.volume_labels, ...snap.labels };
    if (Object.entries(wanted).every(([k, v]) => have[k] === v)) out.push(snapId);
  }
  return out;
}

/** Restore a volume to a snapshot. Not retried automatically: it rewrites the volume's data. */
export async function restoreSnapshot(t: SdkTransport, volumeId: string, snapshotId: string): Promise<void> {
  const body = { volume_id: requireId(volumeId, 'volumeId'), snapshot_id: requireId(snapshotId, 'snapshotId') };
  await t.call({ method: 'POST', path: '/v1/volumes/snapshots/restore', body, idempotent: false }, responses.empty);
}

/**
 * Consistency-group snapshot through the legacy REST (the SDK has no such call):
 * POST {legacyUrl}/v1/osd-snapshot/snapshotgroup with `{id, Labels, volume_ids, delete_on_failure}`.
 * The answer maps each source volume id to a SnapCreateResponse; any error, whole or per
 * volume, fails the call with every failure listed. Not retried: it creates snapshots.
 */
export async function createGroupSnapshot(t: SdkTransport, input: GroupSnapshotInput): Promise<GroupSnapshotResult> {
  const v = validateInput(groupSnapshotInput, input, 'group snapshot input');
  const groupId = v.groupId ?? randomUUID();
  const body: Record<string, unknown> = { id: groupId, volume_ids: v.volumeIds };
  if (v.labels && Object.keys(v.labels).length) body.Labels = v.labels;
  if (v.deleteOnFailure) body.delete_on_failure = true;
  const path = '/v1/osd-snapshot/snapshotgroup';
  const ctx = { method: 'POST', path };
  const res = await t.call({ method: 'POST', path, body, idempotent: false, legacy: true }, groupSnapCreateResponseSchema);
  const failures: Record<string, string> = {};
  const snapshots: Record<string, string> = {};
  for (const [volumeId, snap] of Object.entries(res.snapshots ?? {})) {
    const created = snap.volume_create_response;
    const error = created?.volume_response?.error;
    if (error) failures[volumeId] = error;
    else if (created?.id) snapshots[volumeId] = created.id;
    else failures[volumeId] = 'no snapshot id in the answer';
  }
  for (const volumeId of v.volumeIds) {
    if (!(volumeId in snapshots) && !(volumeId in failures)) failures[volumeId] = 'volume missing from the answer';
  }
  if (res.error || Object.keys(failures).length > 0) {
    const detail = Object.entries(failures).map(([vol, e]) => `${vol}: ${e}`);
    const message = [res.error, ...detail].filter(Boolean).join('; ');
    throw new PortworxGroupSnapshotError(`group snapshot ${groupId} failed: ${message}`, failures, {
      ...ctx,
      httpStatus: 200,
    });
  }
  return { groupId, snapshots };
}
