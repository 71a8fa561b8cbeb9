import { describe, expect, it } from 'vitest';
import { pauseWorkflow, resumedPlan, resumeWorkflow, stepsToStart, type WorkflowPlan } from '../../machines/workflow.types';

const step = (name: string, status: 'PENDING' | 'COMPLETE' | 'ERROR' | 'WAITING' = 'PENDING') => ({ name, effect: 'runCommand' as const, status, params: {} });
function plan(): WorkflowPlan {
  return {
    name: 'repair',
    id: 'repair@t',
    params: {},
    paused: false,
    error: null,
    phases: [
      { name: 'seeds', strategy: 'serial', steps: [step('seed-0'), step('seed-1')] },
      { name: 'nodes', strategy: 'parallel', steps: [step('node-0'), step('node-1')] },
    ],
  };
}
const names = (p: WorkflowPlan) => stepsToStart(p).map((s) => s.name);

describe('workflow plans: phase-level pause and resume', () => {
  it('a paused phase starts nothing, nor do the phases after it; the plan itself is not paused', () => {
    const p = pauseWorkflow(plan(), 'seeds');
    expect(p.paused).toBe(false);
    expect(p.phases[0]).toMatchObject({ paused: true, steps: [{ status: 'WAITING' }, { status: 'WAITING' }] });
    expect(names(p)).toEqual([]);
    expect(names(resumeWorkflow(p, [], 'seeds'))).toEqual(['seed-0']);
  });

  it('pausing a later phase lets the current one run, then holds', () => {
    let p = pauseWorkflow(plan(), 'nodes');
    expect(names(p)).toEqual(['seed-0']);
    p = { ...p, phases: [{ ...p.phases[0]!, steps: [step('seed-0', 'COMPLETE'), step('seed-1', 'COMPLETE')] }, p.phases[1]!] };
    expect(names(p)).toEqual([]);
    expect(names(resumeWorkflow(p, []))).toEqual(['node-0', 'node-1']);
  });

  it('a paused phase stays held when the plan is read back from KV', () => {
    const p = resumedPlan(pauseWorkflow(plan(), 'nodes'));
    expect(p.phases[1]!.steps.map((s) => s.status)).toEqual(['WAITING', 'WAITING']);
    expect(p.phases[0]!.steps.map((s) => s.status)).toEqual(['PENDING', 'PENDING']);
  });

  it('resuming one phase retries its failed step, and keeps the plan error when another phase still failed', () => {
    const failed: WorkflowPlan = { ...plan(), error: 'stopped at step seed-0: boom', phases: [{ ...plan().phases[0]!, steps: [step('seed-0', 'ERROR'), step('seed-1')] }, plan().phases[1]!] };
    const again = resumeWorkflow(failed, [], 'seeds');
    expect(again.error).toBeNull();
    expect(again.phases[0]!.steps[0]).toMatchObject({ status: 'PENDING', message: 'retrying' });
    expect(resumeWorkflow(failed, [], 'nodes').error).toBe('stopped at step seed-0: boom');
  });
});
