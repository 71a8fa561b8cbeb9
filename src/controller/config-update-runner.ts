import type { Logger } from '../log/logger';
import type { WorkflowPlan } from '../../machines/workflow.types';
import { WorkflowRunner, type PlanStore, type WorkflowActor } from '../workflows/workflow-runner';
import { restartPodEffect } from '../workflows/restart-effect';
import { changeReplicationEffect, updateVolumeSpecEffect, type VolumeEffectDeps } from '../workflows/volume-effects';
import type { WorkflowPodView } from '../workflows/pod-view';
import { migrateUpdateRecord, planDone, UPDATE_PLAN, type UpdatePlanRecord } from './config-update-plan';

export type UpdatePodView = WorkflowPodView;

/** The narrow ports the update plan runs against: a state store, the pods, Portworx, a clock scale. */
export interface ConfigUpdateDeps extends Omit<VolumeEffectDeps, 'resyncTimeoutMs' | 'pollMs'> {
  store: PlanStore;
  /** Send RESTART to a pod (relaunch in place with the target spec). */
  restart(pod: string): void;
  maxUnavailable(podType: string): number;
  /** The scheduler is the active leader with its pods restored: the plan may run. */
  ready(): boolean;
  logger: Logger;
  /** Divides the timeouts and polling intervals (the sandbox runs time faster). */
  timeScale: number;
}

/** A restarted pod not ready after this long stops the plan (there is no "move on anyway"). */
const READY_TIMEOUT_S = 600;
const RESYNC_TIMEOUT_S = 6 * 3600;
const POLL_S = 5;

/**
 * The `update` plan (KV `plans.update`) run by the workflow machine: its steps are the volume
 * updates and the rolling restarts, each an effect bound here. Only the active leader runs it.
 */
export class ConfigUpdateRunner {
  private readonly workflow: WorkflowRunner;

  constructor(private readonly deps: ConfigUpdateDeps) {
    const ms = (s: number) => (s * 1000) / deps.timeScale;
    const volumes: VolumeEffectDeps = { ...deps, resyncTimeoutMs: ms(RESYNC_TIMEOUT_S), pollMs: ms(POLL_S) };
    this.workflow = new WorkflowRunner(UPDATE_PLAN, {
      store: deps.store,
      logger: deps.logger,
      migrate: migrateUpdateRecord,
      persistRetryMs: ms(1),
      effects: {
        updateVolumeSpec: updateVolumeSpecEffect(volumes),
        changeReplication: changeReplicationEffect(volumes),
        restartPod: restartPodEffect({ ...deps, readyTimeoutMs: ms(READY_TIMEOUT_S), pollMs: ms(POLL_S) }),
      },
    });
  }

  get current(): UpdatePlanRecord | undefined {
    return this.workflow.current;
  }

  /** The plan is neither complete nor stopped at a failed step. */
  get active(): boolean {
    const rec = this.current;
    return !!rec && !planDone(rec) && !rec.error;
  }

  /** An actor drives the plan here. */
  get busy(): boolean {
    return this.workflow.active;
  }

  get actor(): WorkflowActor | undefined {
    return this.workflow.running;
  }

  /** Read the stored plan (after a restart, or on leading again); no actor runs until `resume`. */
  load(): Promise<UpdatePlanRecord | undefined> {
    return this.workflow.load();
  }

  /** Store a new plan and run it (the actor writes it before any step starts). */
  async start(rec: WorkflowPlan): Promise<void> {
    this.workflow.run(rec);
  }

  /** Store a new plan without running it (`resume` runs it). */
  write(rec: WorkflowPlan): Promise<void> {
    return this.workflow.write(rec);
  }

  /** Drive the stored plan if there is one to drive and the scheduler may act. */
  resume(): void {
    const rec = this.current;
    if (this.workflow.running || !rec || planDone(rec) || !this.deps.ready()) return;
    this.workflow.run();
  }

  /** Not leading any more: drop the actor (the next leader resumes from KV). */
  stop(): void {
    this.workflow.stop();
  }

  pause(paused: boolean, phase?: string): void {
    if (paused) this.workflow.pause(phase);
    else this.workflow.resume(phase);
    this.resume();
  }

  /** `plan resume update` after a failed step: the failed step is tried again. */
  retry(): void {
    this.pause(false);
  }
}
