import { waitFor } from 'xstate';
import { planComplete, WORKFLOW_TAGS, type WorkflowPlan, type WorkflowStep } from '../../machines/workflow.types';
import type { SnapshotView } from '../api/operations';
import type { Logger } from '../log/logger';
import { RestoreFailedError, RestoreInProgressError } from './errors';
import { restoreVolumeEffect, startPodEffect, stopPodEffect, type RestoreEffectDeps } from './restore-effects';
import { WorkflowRunner, type PlanStore } from './workflow-runner';
import { workflowPlanView } from './workflow-view';
import type { PlanView } from '../api/operations';

export const RESTORE_PLAN = 'restore';

export interface RestoreDeps extends Omit<RestoreEffectDeps, 'stopTimeoutMs' | 'readyTimeoutMs' | 'pollMs'> {
  store: PlanStore;
  logger: Logger;
  timeScale: number;
  /** The scheduler is the active leader with its pods restored: the plan may run. */
  ready(): boolean;
  now?: () => Date;
}

const STOP_TIMEOUT_S = 300;
const READY_TIMEOUT_S = 600;
const POLL_S = 5;

/**
 * `snapshot restore` as the persisted `restore` plan (KV `plans.restore`): stop the pods that use
 * the snapshot's volumes → restore each volume → start the pods, each pod step complete when its
 * pod is stopped / ready. A scheduler killed at any point resumes it at the exact step, so pods an
 * interrupted restore stopped are started again by the plan, not by a special case at start-up.
 */
export function buildRestorePlan(snap: SnapshotView, pods: string[], now: Date): WorkflowPlan {
  const podStep = (effect: 'stopPod' | 'startPod', pod: string): WorkflowStep => ({ name: `${effect === 'stopPod' ? 'stop' : 'start'}-${pod}`, effect, status: 'PENDING', params: { pod } });
  const volumes: WorkflowStep[] = snap.volumes.map((v) => ({
    name: `restore-${v.volumeName}`,
    effect: 'restoreVolume',
    status: 'PENDING',
    params: { volume: v.volumeName, volumeId: v.volumeId, snapshotId: v.snapshotId },
  }));
  return {
    name: RESTORE_PLAN,
    id: `${snap.name}@${now.toISOString()}`,
    params: { snapshot: snap.name, group: snap.id },
    paused: false,
    error: null,
    phases: [
      { name: 'stop-pods', strategy: 'parallel', steps: pods.map((p) => podStep('stopPod', p)) },
      { name: 'restore-volumes', strategy: 'serial', steps: volumes },
      { name: 'start-pods', strategy: 'parallel', steps: pods.map((p) => podStep('startPod', p)) },
    ],
  };
}

export class RestoreWorkflow {
  readonly runner: WorkflowRunner;

  constructor(private readonly deps: RestoreDeps) {
    const ms = (s: number) => (s * 1000) / deps.timeScale;
    const effects: RestoreEffectDeps = { ...deps, stopTimeoutMs: ms(STOP_TIMEOUT_S), readyTimeoutMs: ms(READY_TIMEOUT_S), pollMs: ms(POLL_S) };
    this.runner = new WorkflowRunner(RESTORE_PLAN, {
      store: deps.store,
      logger: deps.logger,
      persistRetryMs: ms(1),
      effects: { stopPod: stopPodEffect(effects), restoreVolume: restoreVolumeEffect(effects), startPod: startPodEffect(effects) },
    });
  }

  view(): PlanView | undefined {
    const plan = this.runner.current;
    return plan ? workflowPlanView(RESTORE_PLAN, plan) : undefined;
  }

  /** On becoming the active leader: resume a stored restore that is not complete. */
  async resumeStored(): Promise<void> {
    const plan = await this.runner.load();
    if (plan && !planComplete(plan) && this.deps.ready()) this.runner.run();
  }

  stop(): void {
    this.runner.stop();
  }

  /** Run a restore of `snap` over `pods` and answer once it is complete (or stopped at a step). */
  async restore(snap: SnapshotView, pods: string[]): Promise<WorkflowPlan> {
    const current = this.runner.running ? this.runner.current : await this.runner.load();
    if (current && !planComplete(current) && !current.error) {
      throw new RestoreInProgressError(`restore ${current.id} is under way (pxfw <service> plan status restore)`);
    }
    const actor = this.runner.run(buildRestorePlan(snap, pods, this.deps.now?.() ?? new Date()))!;
    const end = await waitFor(actor, (s) => [WORKFLOW_TAGS.complete, WORKFLOW_TAGS.error, WORKFLOW_TAGS.superseded].some((t) => s.hasTag(t)), { timeout: Infinity });
    const plan = end.context.plan;
    if (!end.hasTag(WORKFLOW_TAGS.complete)) {
      throw new RestoreFailedError(`restore from '${snap.name}' ${plan.error ?? 'was taken over by another scheduler'}; pods stay as they are: pxfw <service> plan resume restore tries the step again`);
    }
    return plan;
  }
}
