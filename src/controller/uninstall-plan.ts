import { UNINSTALL_STEPS, type FrameworkContext } from '../../machines/framework.types';
import type { PlanStatusValue, PlanView, StepStatus } from '../api/operations';

export const UNINSTALL_PLAN = 'uninstall';

/**
 * The uninstall progress as a plan (one serial phase, one step per uninstall step), so
 * `plan status uninstall` and `uninstall --wait` can follow it like any other plan. Once the
 * supervisor is `uninstalled` (the tombstone) every step is complete.
 */
export function uninstallPlanView(ctx: FrameworkContext, frameworkState: string): PlanView | null {
  const gone = frameworkState === 'uninstalled';
  if (!ctx.uninstall && !gone) return null;
  const done = new Set(ctx.uninstall?.done ?? []);
  const current = gone ? undefined : UNINSTALL_STEPS.find((s) => !done.has(s));
  const blocked = frameworkState === 'uninstalling.blocked';
  const steps = UNINSTALL_STEPS.map((name) => {
    const status: StepStatus = gone || done.has(name) ? 'COMPLETE' : name !== current ? 'PENDING' : blocked ? 'ERROR' : 'STARTING';
    const message = name === current && ctx.lastError ? ctx.lastError.message : undefined;
    return { name, status, ...(message ? { message } : {}) };
  });
  const status: PlanStatusValue = steps.every((s) => s.status === 'COMPLETE') ? 'COMPLETE' : blocked ? 'ERROR' : 'IN_PROGRESS';
  return {
    name: UNINSTALL_PLAN,
    status,
    paused: false,
    phases: [{ name: UNINSTALL_PLAN, strategy: 'serial', status, steps }],
    errors: blocked && ctx.lastError ? [ctx.lastError.message] : [],
  };
}
