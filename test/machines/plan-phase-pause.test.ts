import { describe, expect, it } from 'vitest';
import { addSteps, buildPlan, markSteps, nextSteps, pausePlan, planStatus, restartPlan, resumePlan, type PlanSpec, type StepRef } from '../../machines/plan';

/** Two independent phases (a parallel plan), so pausing one shows the other carrying on. */
const SPEC: PlanSpec = {
  strategy: 'parallel',
  phases: [
    { name: 'seeds', podType: 'seed', strategy: 'serial' },
    { name: 'nodes', podType: 'node', strategy: 'serial' },
  ],
};
const pods = (type: string, n: number): StepRef[] => Array.from({ length: n }, (_, index) => ({ podType: type, index }));
const names = (refs: StepRef[]) => refs.map((r) => `${r.podType}-${r.index}`);

describe('phase-level pause and resume (plan pause|resume PLAN --phase PHASE)', () => {
  it('holds the steps of that phase only; the other phase goes on', () => {
    const plan = pausePlan(buildPlan('deploy', SPEC, [...pods('seed', 2), ...pods('node', 2)]), 'nodes');
    expect(names(nextSteps(plan))).toEqual(['seed-0']);
    expect(plan.paused).toBe(false);
    expect(plan.phases[1]).toMatchObject({ paused: true, steps: [{ status: 'WAITING' }, { status: 'WAITING' }] });
    expect(planStatus(plan)).toBe('PENDING');
  });

  it('lets a step already starting finish; new and restarted steps of the phase wait', () => {
    let plan = buildPlan('deploy', SPEC, [...pods('seed', 1), ...pods('node', 2)]);
    plan = markSteps(plan, [{ podType: 'node', index: 0 }], 'STARTING');
    plan = pausePlan(plan, 'nodes');
    expect(plan.phases[1]!.steps.map((s) => s.status)).toEqual(['STARTING', 'WAITING']);
    plan = addSteps(plan, [{ podType: 'node', index: 2 }]);
    expect(plan.phases[1]!.steps[2]!.status).toBe('WAITING');
    plan = restartPlan(plan, { phase: 'seeds' });
    expect(plan.phases[0]!.steps[0]!.status).toBe('PENDING');
  });

  it('resume of the phase releases it; a plan-wide resume releases every paused phase', () => {
    const base = buildPlan('deploy', SPEC, [...pods('seed', 1), ...pods('node', 1)]);
    const resumed = resumePlan(pausePlan(base, 'nodes'), 'nodes');
    expect(resumed.phases[1]!.paused).toBeUndefined();
    expect(names(nextSteps(resumed))).toEqual(['seed-0', 'node-0']);
    const both = pausePlan(pausePlan(base, 'nodes'), 'seeds');
    expect(nextSteps(both)).toEqual([]);
    expect(names(nextSteps(resumePlan(both)))).toEqual(['seed-0', 'node-0']);
  });

  it('a phase resumed while the whole plan is paused stays held until the plan resumes', () => {
    const plan = resumePlan(pausePlan(pausePlan(buildPlan('deploy', SPEC, pods('node', 1)), 'nodes')), 'nodes');
    expect(nextSteps(plan)).toEqual([]);
    expect(names(nextSteps(resumePlan(plan)))).toEqual(['node-0']);
  });
});
