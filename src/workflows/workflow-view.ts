import { allSteps, stepsStatus, type WorkflowPlan } from '../../machines/workflow.types';
import type { PlanStatusValue, PlanView } from '../api/operations';

/**
 * `plan status <name>` of a workflow plan: COMPLETE with no phases when there is none. Every phase
 * says whether it is paused itself (a phase-level pause leaves the plan unpaused).
 */
export function workflowPlanView(name: string, plan: WorkflowPlan | undefined): PlanView {
  if (!plan) return { name, status: 'COMPLETE', paused: false, phases: [], errors: [] };
  const phases = plan.phases.map((p) => ({
    name: p.name,
    strategy: p.strategy,
    status: stepsStatus(p.steps) as PlanStatusValue,
    paused: p.paused === true,
    steps: p.steps.map((s) => ({ name: s.name, status: s.status, ...(s.message ? { message: s.message } : {}) })),
  }));
  const steps = allSteps(plan);
  const status: PlanStatusValue = steps.length === 0 ? 'COMPLETE' : stepsStatus(steps);
  return { name, status, paused: plan.paused, phases, errors: plan.error ? [plan.error] : [] };
}
