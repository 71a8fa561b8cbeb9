import { UNINSTALL_STEPS, type FrameworkContext, type UninstallStep } from '../../machines/framework.types';
import type { StepEffect, WorkflowPlan, WorkflowStep, WorkflowStepStatus } from '../../machines/workflow.types';
import type { PlanView } from '../api/operations';
import { workflowPlanView } from '../workflows/workflow-view';

export const UNINSTALL_PLAN = 'uninstall';

const EFFECT: Record<UninstallStep, StepEffect> = {
  'kill-tasks': 'killTasks',
  'detach-volumes': 'detachVolumes',
  'dispose-volumes': 'disposeVolumes',
  teardown: 'teardown',
  'delete-state': 'deleteState',
  'remove-app': 'removeApp',
};

/**
 * The uninstall progress as a workflow plan (one serial phase, one step per uninstall step, the
 * same model and view as `update` and `restore`), so `plan status uninstall` and `uninstall
 * --wait` follow it like any other plan. The supervisor still drives the steps (its
 * `uninstalling` states, progress in `ctx.uninstall.done`, persisted with it and then the
 * tombstone). Once the supervisor is `uninstalled` every step is complete.
 */
export function uninstallWorkflowPlan(ctx: FrameworkContext, frameworkState: string): WorkflowPlan | null {
  const gone = frameworkState === 'uninstalled';
  if (!ctx.uninstall && !gone) return null;
  const done = new Set(ctx.uninstall?.done ?? []);
  const current = gone ? undefined : UNINSTALL_STEPS.find((s) => !done.has(s));
  const blocked = frameworkState === 'uninstalling.blocked';
  const steps: WorkflowStep[] = UNINSTALL_STEPS.map((name) => {
    const status: WorkflowStepStatus = gone || done.has(name) ? 'COMPLETE' : name !== current ? 'PENDING' : blocked ? 'ERROR' : 'STARTING';
    const message = name === current && ctx.lastError ? ctx.lastError.message : undefined;
    return { name, effect: EFFECT[name], status, params: {}, ...(message ? { message } : {}) };
  });
  const error = blocked && ctx.lastError ? ctx.lastError.message : null;
  return { name: UNINSTALL_PLAN, id: UNINSTALL_PLAN, params: {}, paused: false, error, phases: [{ name: UNINSTALL_PLAN, strategy: 'serial', steps }] };
}

export function uninstallPlanView(ctx: FrameworkContext, frameworkState: string): PlanView | null {
  const plan = uninstallWorkflowPlan(ctx, frameworkState);
  return plan ? workflowPlanView(UNINSTALL_PLAN, plan) : null;
}
