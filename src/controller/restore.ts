import type { SnapshotView } from '../api/operations';
import { OperationFailedError } from '../api/errors';
import type { Runtime } from './runtime';

const STOP_TIMEOUT_MS = 5 * 60_000;

/**
 * Restore a group snapshot: stop the pods that use its volumes (tasks killed, volumes released),
 * restore every volume from its snapshot, then start the pods again. Each step checks state
 * first, so repeating a restore after a crash is safe.
 */
export async function restoreSnapshot(rt: Runtime, snap: SnapshotView): Promise<void> {
  const volumeIds = new Set(snap.volumes.map((v) => v.volumeId));
  const pods = rt.registry.all().filter((e) => rt.registry.context(e).volumes.some((v) => v.id && volumeIds.has(v.id)));
  for (const e of pods) if (e.state !== 'stopped') rt.registry.send(e, { type: 'STOP' });
  const end = Date.now() + STOP_TIMEOUT_MS;
  while (!pods.every((e) => e.state === 'stopped')) {
    if (Date.now() > end) {
      const busy = pods.filter((e) => e.state !== 'stopped').map((e) => `${e.name} (${e.state})`);
      for (const e of pods) rt.registry.send(e, { type: 'START' });
      throw new OperationFailedError(`pods did not stop for the restore, nothing restored: ${busy.join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    for (const v of snap.volumes) {
      if (!v.snapshotId) throw new OperationFailedError(`snapshot '${snap.name}' has no snapshot of ${v.volumeName}`);
      await rt.px.restoreSnapshot(v.volumeId, v.snapshotId);
      rt.logger.info({ volume: v.volumeName, snapshot: v.snapshotId }, 'volume restored');
    }
  } finally {
    // Even a failed restore must not leave the service down: the pods start on what they have.
    for (const e of pods) rt.registry.send(e, { type: 'START' });
  }
}
