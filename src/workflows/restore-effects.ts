import type { StepRun } from '../../machines/workflow.effects';
import { StepAbortedError } from '../../machines/workflow.effects';
import type { VolumeInspection } from '../portworx';
import { RestoreStepFailedError } from './errors';
import { nextPodChange, type WorkflowPodView, type WorkflowPods } from './pod-view';

/** The volume label naming the restore that last restored it: a re-run after a crash skips it. */
export const RESTORED_BY_LABEL = 'pxfw/restored-by';

export interface RestoreEffectDeps extends WorkflowPods {
  /** Send STOP / START to a pod (both idempotent in the pod machine). */
  stop(pod: string): void;
  start(pod: string): void;
  px: {
    inspectVolume(id: string): Promise<VolumeInspection>;
    restoreSnapshot(volumeId: string, snapshotId: string): Promise<void>;
    updateVolume(id: string, update: { labels: Record<string, string> }): Promise<void>;
  };
  stopTimeoutMs: number;
  readyTimeoutMs: number;
  pollMs: number;
}

async function waitPod(deps: RestoreEffectDeps, pod: string, signal: AbortSignal, ms: number, done: (p: WorkflowPodView) => boolean, what: string): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    if (signal.aborted) throw new StepAbortedError(`${pod}: stopped`);
    const p = deps.pods().find((x) => x.name === pod);
    if (!p) return `${pod} no longer exists`;
    if (done(p)) return p.state;
    if (Date.now() > end) throw new RestoreStepFailedError(`${pod} not ${what} after ${Math.round(ms / 1000)} s (state ${p.state})`);
    await nextPodChange(deps, deps.pollMs, signal);
  }
}

/** Stop one pod (task killed, volumes released) and wait until it is stopped. */
export function stopPodEffect(deps: RestoreEffectDeps): StepRun {
  return async ({ step }, io) => {
    const pod = String(step.params.pod);
    if (deps.pods().find((p) => p.name === pod && !p.stopped)) deps.stop(pod);
    io.progress(`stopping ${pod}`);
    const state = await waitPod(deps, pod, io.signal, deps.stopTimeoutMs, (p) => p.stopped, 'stopped');
    return { message: state };
  };
}

/**
 * Restore one volume from its snapshot, once per restore: the volume is labelled with the
 * restore's id right after, and a step that finds its label (run again after a crash) does not
 * restore again. (The one window left, a crash between the restore and its label, repeats the
 * restore of a detached volume from the same snapshot: the same content.)
 */
export function restoreVolumeEffect(deps: RestoreEffectDeps): StepRun {
  return async ({ plan, step }, io) => {
    const volumeId = String(step.params.volumeId);
    const snapshotId = String(step.params.snapshotId);
    const inspected = await deps.px.inspectVolume(volumeId);
    const labels = { ...(inspected.labels ?? {}), ...(inspected.volume.locator?.volume_labels ?? {}) };
    if (labels[RESTORED_BY_LABEL] === plan.id) return { message: `already restored from ${snapshotId}` };
    io.progress(`restoring from ${snapshotId}`);
    await deps.px.restoreSnapshot(volumeId, snapshotId);
    await deps.px.updateVolume(volumeId, { labels: { ...labels, [RESTORED_BY_LABEL]: plan.id } });
    return { message: `restored from ${snapshotId}` };
  };
}

/** Start one pod again; complete once it is ready (its readiness check passed). */
export function startPodEffect(deps: RestoreEffectDeps): StepRun {
  return async ({ step }, io) => {
    const pod = String(step.params.pod);
    if (deps.pods().find((p) => p.name === pod && p.stopped)) deps.start(pod);
    io.progress(`starting ${pod}`);
    const state = await waitPod(deps, pod, io.signal, deps.readyTimeoutMs, (p) => p.ready, 'ready');
    return { message: `${state}, ready` };
  };
}
