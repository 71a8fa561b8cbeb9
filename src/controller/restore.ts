import type { SnapshotView } from '../api/operations';
import type { Runtime } from './runtime';
import { RestoreWorkflow } from '../workflows/restore-workflow';
import { onActiveLeader } from '../workflows/leadership';
import { podIsReady, podConfigId, type WorkflowPodView } from '../workflows/pod-view';
import { POD_TAGS } from '../../machines/pod-instance.logic';

/**
 * `snapshot restore` on the live runtime: the persisted `restore` plan (src/workflows) over the
 * pods that use the snapshot's volumes, resumed from KV whenever this scheduler becomes the
 * active leader (a restore a crash interrupted finishes: its pods are started again).
 */
export class SnapshotRestores {
  readonly workflow: RestoreWorkflow;

  constructor(private readonly rt: Runtime) {
    this.workflow = new RestoreWorkflow({
      store: rt.store,
      logger: rt.logger.child({ module: 'restore-plan' }),
      timeScale: rt.opts.timeScale ?? 1,
      ready: () => activeLeader(rt),
      pods: () => podViews(rt),
      onPodChange: (listener) => rt.transitions.subscribe((t) => t.actor.startsWith('pod/') && listener()),
      stop: (pod) => send(rt, pod, 'STOP'),
      start: (pod) => send(rt, pod, 'START'),
      px: rt.px,
    });
  }

  /** Resume a stored restore each time this scheduler becomes the active leader. */
  watch(): void {
    onActiveLeader(
      { subscribe: (o) => ({ unsubscribe: this.rt.onFramework({ next: () => o.next(), error: () => undefined, complete: () => o.complete() }) }), activeLeader: () => activeLeader(this.rt) },
      () => void this.workflow.resumeStored().catch((err: unknown) => this.rt.logger.warn({ err }, 'could not resume the restore plan')),
      () => this.workflow.stop(),
    );
  }

  /** Stop the pods using the snapshot's volumes, restore every volume, start the pods; resolves when done. */
  async restore(snap: SnapshotView): Promise<void> {
    const volumeIds = new Set(snap.volumes.map((v) => v.volumeId));
    const pods = this.rt.registry.all().filter((e) => this.rt.registry.context(e).volumes.some((v) => v.id && volumeIds.has(v.id)));
    await this.workflow.restore(snap, pods.map((e) => e.name));
  }
}

function activeLeader(rt: Runtime): boolean {
  return rt.leading && rt.frameworkIs('active');
}

function send(rt: Runtime, pod: string, type: 'STOP' | 'START'): void {
  const e = rt.registry.get(pod);
  if (e) rt.registry.send(e, { type });
}

export function podViews(rt: Runtime): WorkflowPodView[] {
  return rt.registry.all().map((e) => {
    const ctx = rt.registry.context(e);
    const snap = e.actor.getSnapshot();
    return {
      name: e.name,
      podType: e.podType,
      state: e.state,
      taskId: ctx.task?.taskId ?? null,
      hostname: ctx.task?.hostname ?? null,
      ready: podIsReady(snap),
      blocked: snap.hasTag(POD_TAGS.blocked),
      stopped: snap.hasTag(POD_TAGS.stopped),
      configId: podConfigId(ctx),
      volumes: ctx.volumes.map((v) => ({ name: v.name, id: v.id })),
    };
  });
}
