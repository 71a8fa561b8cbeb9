import { createActor, fromPromise, waitFor, type Actor } from 'xstate';
import { workflowMachine } from '../../machines/workflow.machine';
import { stepEffect, type StepRun } from '../../machines/workflow.effects';
import { WORKFLOW_TAGS, type StepEffect, type WorkflowPlan, type WorkflowStep } from '../../machines/workflow.types';

/** A KV key with compare-and-set, kept apart from the actor: what survives a SIGKILL. */
export class FakePlanKv {
  value: WorkflowPlan | undefined;
  revision = 0;
  writes = 0;
  /** Called after every stored write (a test may kill the scheduler there). */
  onWrite: (plan: WorkflowPlan) => void = () => undefined;
  async put(plan: WorkflowPlan): Promise<void> {
    await Promise.resolve();
    this.value = structuredClone(plan);
    this.revision += 1;
    this.writes += 1;
    this.onWrite(this.value);
  }
}

export type Effects = Partial<Record<StepEffect, StepRun>>;

export function startWorkflow(plan: WorkflowPlan, kv: FakePlanKv, effects: Effects): Actor<typeof workflowMachine> {
  const actors = Object.fromEntries(Object.entries(effects).map(([k, run]) => [k, stepEffect(run)]));
  const machine = workflowMachine.provide({
    actors: { persistPlan: fromPromise<void, { plan: WorkflowPlan }>(({ input }) => kv.put(input.plan)), ...actors },
    delays: { persistRetry: 5 },
  });
  const actor = createActor(machine, { input: { plan } });
  actor.start();
  return actor;
}

export function settled(actor: Actor<typeof workflowMachine>, ms = 5000) {
  return waitFor(actor, (s) => [WORKFLOW_TAGS.complete, WORKFLOW_TAGS.error, WORKFLOW_TAGS.paused].some((t) => s.hasTag(t)), { timeout: ms });
}

export function step(name: string, effect: StepEffect, params: WorkflowStep['params'] = {}): WorkflowStep {
  return { name, effect, status: 'PENDING', params };
}

export function plan(name: string, phases: WorkflowPlan['phases'], params: WorkflowPlan['params'] = {}): WorkflowPlan {
  return { name, id: `${name}-1`, params, paused: false, error: null, phases };
}

export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await tick(1);
  }
}
