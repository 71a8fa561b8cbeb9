import { planComplete, type WorkflowPlan } from '../../machines/workflow.types';
import { OperationConflictError, UnknownPlanError } from '../api/errors';
import type { PlanView } from '../api/operations';
import type { Logger } from '../log/logger';
import { WorkflowRunner, type PlanStore, type StepEffects } from '../workflows/workflow-runner';
import { workflowPlanView } from '../workflows/workflow-view';
import { runCommandEffect, type SidecarCommandDeps } from './run-command-effect';
import { buildSidecarPlan, resolveParameters, RUN_COMMAND, type SidecarPlanSpec } from './sidecar-plan';

export interface SidecarPlansDeps extends SidecarCommandDeps {
  store: PlanStore;
  logger: Logger;
  /** The sidecar plans of the target spec (by name). */
  specs(): Record<string, SidecarPlanSpec>;
  /** The pod instances there are now, by pod type, in index order. */
  podsByType(): Record<string, string[]>;
  now?: () => Date;
}

/**
 * `plan start|stop PLAN -p KEY=VALUE` and their progress: each sidecar plan a persisted workflow
 * (KV `plans.<name>`) whose steps run the phase's command in each pod (`runCommand`).
 */
export class SidecarPlans {
  private readonly runners = new Map<string, WorkflowRunner>();

  constructor(private readonly deps: SidecarPlansDeps) {}

  /** Is `name` a sidecar plan of the spec? */
  has(name: string): boolean {
    return name in this.deps.specs();
  }

  names(): string[] {
    return Object.keys(this.deps.specs()).sort();
  }

  private spec(name: string): SidecarPlanSpec {
    const spec = this.deps.specs()[name];
    if (!spec) throw new UnknownPlanError(`no sidecar plan '${name}' in the spec (sidecar plans: ${this.names().join(', ') || 'none'})`);
    return spec;
  }

  /** The runner of a declared sidecar plan (pause/resume, whole or per phase). */
  runnerOf(name: string): WorkflowRunner {
    this.spec(name);
    return this.runner(name);
  }

  private runner(name: string): WorkflowRunner {
    let r = this.runners.get(name);
    if (!r) {
      const effects: StepEffects = { [RUN_COMMAND]: runCommandEffect(this.deps) };
      r = new WorkflowRunner(name, { store: this.deps.store, logger: this.deps.logger, effects });
      this.runners.set(name, r);
    }
    return r;
  }

  private async current(name: string): Promise<WorkflowPlan | undefined> {
    const r = this.runner(name);
    return r.running ? r.current : (r.current ?? (await r.load()));
  }

  /** A new run with these parameters; refused while a run is under way (stop it first). */
  async start(name: string, given: Record<string, string>): Promise<PlanView> {
    const spec = this.spec(name);
    const parameters = resolveParameters(spec, given);
    const now = await this.current(name);
    if (now && !planComplete(now) && !now.paused && !now.error) {
      throw new OperationConflictError(`plan ${name} is running (${now.id}): pxfw <service> plan stop ${name} first`);
    }
    this.runner(name).run(buildSidecarPlan(spec, parameters, this.deps.podsByType(), this.deps.now?.() ?? new Date()));
    return this.view(name);
  }

  /** Stop a run: its in-flight commands are abandoned, and it stays paused (a start begins anew). */
  async stop(name: string): Promise<PlanView> {
    this.spec(name);
    const plan = await this.current(name);
    if (!plan) throw new UnknownPlanError(`plan ${name} was never started (pxfw <service> plan start ${name})`);
    const r = this.runner(name);
    r.stop();
    if (!planComplete(plan)) await r.write({ ...(r.current ?? plan), paused: true });
    return this.view(name);
  }

  /** The last run (COMPLETE with no phases: never started). */
  view(name: string): PlanView {
    return workflowPlanView(name, this.runner(name).current);
  }

  /** On becoming the active leader: resume the runs a previous scheduler left under way. */
  async resumeStored(): Promise<void> {
    for (const name of this.names()) {
      const plan = await this.runner(name).load();
      if (plan && !planComplete(plan) && !plan.paused && !plan.error) this.runner(name).run();
    }
  }

  stopAll(): void {
    for (const r of this.runners.values()) r.stop();
  }
}
