import type { PlanStatusValue, PlanView, StepStatus, StepView } from '../api/operations';
import type { GovernorStatus } from './replacement-governor';

export const RECOVERY_PLAN = 'recovery';

/** Where one pod is in its recovery, as the runtime reads it off the pod machine. */
export type RecoveryStage = 'probation' | 'relaunching' | 'waiting' | 'replacing';

export interface RecoveringPod {
  name: string;
  stage: RecoveryStage;
  /** The pod machine's own reason (shown as the step's message). */
  reason: string;
}

const STEP_STATUS: Record<RecoveryStage, StepStatus> = {
  probation: 'PENDING',
  waiting: 'WAITING',
  relaunching: 'STARTING',
  replacing: 'STARTING',
};

/**
 * The recovery plan in the dcos-commons sense: one step per pod being recovered right now
 * (on probation, relaunching in place, waiting for a replacement slot, or being replaced). It is
 * COMPLETE when nothing is being recovered, WAITING while automatic replacement is paused (the
 * reason is its error line, so `plan status recovery` says why nothing moves).
 */
export function recoveryPlanView(pods: RecoveringPod[], governor: GovernorStatus): PlanView {
  const steps: StepView[] = [...pods]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((p) => {
      const queued = p.stage === 'waiting' && governor.queued.includes(p.name);
      const message = queued && governor.paused ? `${p.reason}; ${governor.reason}` : p.reason;
      return { name: p.name, status: STEP_STATUS[p.stage], message };
    });
  const status: PlanStatusValue =
    steps.length === 0 ? 'COMPLETE' : governor.paused && steps.every((s) => s.status !== 'STARTING') ? 'WAITING' : 'IN_PROGRESS';
  return {
    name: RECOVERY_PLAN,
    status,
    paused: false,
    phases: [{ name: 'recovery', strategy: 'parallel', status, steps }],
    errors: governor.paused && governor.reason ? [governor.reason] : [],
  };
}
