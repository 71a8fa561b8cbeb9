import { UNINSTALL_STEPS, type FrameworkContext } from '../../machines/framework.types';
import type { FrameworkStateCheck } from './state-names';
import type { WorkflowPlan, WorkflowStep, WorkflowStepStatus } from '../../machines/workflow.types';
import { UNINSTALL_EFFECT, UNINSTALL_PLAN } from '../workflows/uninstall-workflow';
import type { PlanView } from '../api/operations';
import { workflowPlanView } from '../workflows/workflow-view';

export { UNINSTALL_PLAN };

/**
 * The uninstall progress as a workflow plan (one serial phase, one step per uninstall step, the
 * same model and view as `update` and `restore`), so `plan status uninstall` and `uninstall
 * --wait` follow it like any other plan. The plan itself runs in src/workflows/uninstall-workflow.ts;
 * the supervisor mirrors its stored progress (`ctx.uninstall.done`, persisted with it and then in
 * the tombstone, which outlives `plans.uninstall`), read here on any scheduler, leading or not.
 * Once the supervisor is `uninstalled` every step is complete.
 */
export function uninstallWorkflowPlan(ctx: FrameworkContext, is: (state: FrameworkStateCheck) => boolean): WorkflowPlan | null {
  const gone = is('uninstalled');
  if (!ctx.uninstall && !gone) return null;
  const done = new Set(ctx.uninstall?.done ?? []);
  const current = gone ? undefined : UNINSTALL_STEPS.find((s) => !done.has(s));
  const blocked = is('uninstallBlocked');
  const steps: WorkflowStep[] = UNINSTALL_STEPS.map((name) => {
    const status: WorkflowStepStatus = gone || done.has(name) ? 'COMPLETE' : name !== current ? 'PENDING' : blocked ? 'ERROR' : 'STARTING';
    const message = name === current && ctx.lastError ? ctx.lastError.message : undefined;
    return { name, effect: UNINSTALL_EFFECT[name], status, params: {}, ...(message ? { message } : {}) };
  });
  const error = blocked && ctx.lastError ? ctx.lastError.message : null;
  return { name: UNINSTALL_PLAN, id: UNINSTALL_PLAN, params: {}, paused: false, error, phases: [{ name: UNINSTALL_PLAN, strategy: 'serial', steps }] };
}

export function uninstallPlanView(ctx: FrameworkContext, is: (state: FrameworkStateCheck) => boolean): PlanView | null {
  const plan = uninstallWorkflowPlan(ctx, is);
  return plan ? workflowPlanView(UNINSTALL_PLAN, plan) : null;
}
