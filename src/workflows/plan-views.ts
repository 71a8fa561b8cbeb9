import { phaseStatus, planStatus, type Plan } from '../../machines/plan';
import type { PhaseView, PlanStatusValue, PlanView } from '../api/operations';
import { OperationError } from '../api/errors';

/**
 * A plan is in ERROR (a step's pod is parked and needs an operator): a new scale would only queue
 * behind it and never happen, so it is refused, naming the plan, the steps and why.
 */
export class PlanInErrorError extends OperationError {
  readonly code = 'PLAN_IN_ERROR';
  readonly retryable = false;
  readonly status = 409;
  constructor(
    readonly plan: string,
    readonly steps: { name: string; reason: string }[],
    message: string,
  ) {
    super(message);
  }
}

/** A phase of a plan view, with its own operator pause (`plan pause PLAN --phase P`) always said. */
export type PhasePauseView = PhaseView & { paused: boolean };

/**
 * `plan status` of the deploy or decommission plan. Every phase says whether it is paused itself:
 * a phase-level pause leaves the plan unpaused, so without it the view showed WAITING steps and
 * no reason.
 */
export function planView(plan: Plan, errors: string[] = []): Omit<PlanView, 'phases'> & { phases: PhasePauseView[] } {
  return {
    name: plan.name,
    status: plan.phases.length === 0 ? 'COMPLETE' : (planStatus(plan) as PlanStatusValue),
    paused: plan.paused,
    phases: plan.phases.map((p) => ({
      name: p.name,
      strategy: p.strategy,
      status: (phaseStatus(p) === 'STARTING' ? 'IN_PROGRESS' : phaseStatus(p)) as PlanStatusValue,
      paused: p.paused === true,
      steps: p.steps.map((s) => ({ name: s.name, status: s.status })),
    })),
    errors,
  };
}
