import { createActor, fromPromise, type Actor } from 'xstate';
import { workflowMachine } from '../../machines/workflow.machine';
import { stepEffect, type StepRun } from '../../machines/workflow.effects';
import { pauseWorkflow, resumeWorkflow, WORKFLOW_TAGS, type StepEffect, type WorkflowPlan } from '../../machines/workflow.types';
import type { Logger } from '../log/logger';

/** KV with compare-and-set (ServiceStateStore, or a fake): the state-store port of a workflow. */
export interface PlanStore {
  get<T>(key: string): Promise<{ value: T; revision: number } | undefined>;
  put<T>(key: string, value: T, expectedRevision: number): Promise<number>;
}

export type StepEffects = Partial<Record<StepEffect, StepRun>>;

export interface WorkflowRunnerDeps {
  store: PlanStore;
  effects: StepEffects;
  logger: Logger;
  /** Wait before writing the plan again after a failed write (not a conflict). */
  persistRetryMs?: number;
  /** Migrates an older stored record (e.g. the update plan of version 1) to a plan. */
  migrate?: (stored: unknown) => WorkflowPlan | undefined;
}

export type WorkflowActor = Actor<typeof workflowMachine>;

export function planKey(name: string): string {
  return `plans.${name}`;
}

/**
 * One persisted plan (`plans.<name>`) and the actor that runs it. The actor exists only while this
 * scheduler leads: `stop` drops it (stepping down, stopping), `load` + `run` bring it back from KV
 * at the exact step, which is also what happens after a SIGKILL.
 */
export class WorkflowRunner {
  private actor: WorkflowActor | undefined;
  private stored: WorkflowPlan | undefined;
  private revision = 0;
  /** One write in flight, in order; each compare-and-set against the previous. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly deps: WorkflowRunnerDeps,
  ) {}

  get key(): string {
    return planKey(this.name);
  }

  /** The plan as the actor has it (or as last read from KV when no actor runs). */
  get current(): WorkflowPlan | undefined {
    return this.actor?.getSnapshot().context.plan ?? this.stored;
  }

  get running(): WorkflowActor | undefined {
    return this.actor;
  }

  /** An actor drives a plan that is neither complete nor superseded. */
  get active(): boolean {
    const snap = this.actor?.getSnapshot();
    return !!snap && !snap.hasTag(WORKFLOW_TAGS.complete) && !snap.hasTag(WORKFLOW_TAGS.superseded);
  }

  /** Read the stored plan (drops the actor: call `run` to drive it). */
  async load(): Promise<WorkflowPlan | undefined> {
    this.stop();
    await this.writes; // a write of the dropped actor lands first: we read it back, no conflict
    const got = await this.deps.store.get<unknown>(this.key);
    this.revision = got?.revision ?? 0;
    this.stored = got ? (this.deps.migrate?.(got.value) ?? (got.value as WorkflowPlan)) : undefined;
    return this.stored;
  }

  /** Drive `plan` (a new one, stored first by the actor) or the one loaded. */
  run(plan?: WorkflowPlan): WorkflowActor | undefined {
    this.stop();
    const next = plan ?? this.stored;
    if (!next) return undefined;
    this.stored = next;
    const machine = workflowMachine.provide({
      actors: { persistPlan: fromPromise<void, { plan: WorkflowPlan }>(({ input }) => this.save(input.plan)), ...this.effectActors() },
      delays: { persistRetry: this.deps.persistRetryMs ?? 1000 },
    });
    const actor = createActor(machine, { input: { plan: next } });
    actor.subscribe({ error: (err) => this.deps.logger.error({ err, plan: this.name }, 'workflow actor failed') });
    this.actor = actor;
    actor.start();
    return actor;
  }

  /** Store a plan without running it (the caller runs it once the rest of its intent is stored). */
  async write(plan: WorkflowPlan): Promise<void> {
    this.stop();
    await this.save(plan);
    this.stored = plan;
  }

  /** Drop the actor and its in-flight effects (the plan stays as stored). */
  stop(): void {
    const actor = this.actor;
    if (!actor) return;
    this.stored = actor.getSnapshot().context.plan;
    this.actor = undefined;
    actor.stop();
  }

  /** PAUSE the actor (or one phase of it); with none (not the active leader yet), pause the stored plan. */
  pause(phase?: string): void {
    if (this.actor) this.actor.send({ type: 'PAUSE', ...(phase !== undefined ? { phase } : {}) });
    else this.changeStored((p) => pauseWorkflow(p, phase));
  }

  /** RESUME the actor or one phase (a failed step is tried again); with none, resume the stored plan. */
  resume(phase?: string): void {
    if (this.actor) this.actor.send({ type: 'RESUME', ...(phase !== undefined ? { phase } : {}) });
    else this.changeStored((p) => resumeWorkflow(p, [], phase));
  }

  private changeStored(fn: (p: WorkflowPlan) => WorkflowPlan): void {
    if (!this.stored) return;
    this.stored = fn(this.stored);
    this.save(this.stored).catch((err: unknown) => this.deps.logger.warn({ err, plan: this.name }, 'could not store the plan command'));
  }

  private effectActors() {
    const out: Partial<Record<StepEffect, ReturnType<typeof stepEffect>>> = {};
    for (const [name, run] of Object.entries(this.deps.effects) as [StepEffect, StepRun][]) out[name] = stepEffect(run);
    return out;
  }

  /** Compare-and-set against the last revision; a conflict (another writer) rejects with its code. */
  private save(plan: WorkflowPlan): Promise<void> {
    const write = this.writes.then(async () => {
      this.revision = await this.deps.store.put(this.key, plan, this.revision);
    });
    this.writes = write.catch(() => undefined);
    return write;
  }
}
