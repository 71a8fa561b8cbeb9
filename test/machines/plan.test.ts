import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addSteps,
  appendDecommissionSteps,
  applyPodProgress,
  buildPlan,
  emptyDecommissionPlan,
  forceComplete,
  markSteps,
  nextSteps,
  pausePlan,
  phaseStatus,
  planSpecProblems,
  planStatus,
  removeSteps,
  restartPlan,
  resumePlan,
  targetExists,
  type Plan,
  type PlanSpec,
  type StepRef,
} from '../../machines/plan';

const HDFS: PlanSpec = {
  strategy: 'serial',
  phases: [
    { name: 'journal', podType: 'journal', strategy: 'parallel' },
    { name: 'name', podType: 'name', strategy: 'serial', dependsOn: ['journal'] },
    { name: 'data', podType: 'data', strategy: 'parallel', dependsOn: ['name'] },
  ],
};
const pods = (type: string, n: number): StepRef[] => Array.from({ length: n }, (_, index) => ({ podType: type, index }));
const HDFS_PODS = [...pods('data', 3), ...pods('journal', 3), ...pods('name', 2)];
const names = (refs: StepRef[]) => refs.map((r) => `${r.podType}-${r.index}`);

/** Start everything the plan allows, then report every started pod running. */
function runRound(plan: Plan): { plan: Plan; started: string[] } {
  const next = nextSteps(plan);
  let p = markSteps(plan, next, 'STARTING');
  for (const r of next) p = applyPodProgress(p, r, 'running', 'running');
  return { plan: p, started: names(next) };
}

describe('plan bookkeeping', () => {
  it('builds one step per pod instance, in index order, under the phase of its pod type', () => {
    const plan = buildPlan('deploy', HDFS, HDFS_PODS);
    expect(plan.phases.map((p) => [p.name, p.steps.map((s) => s.name)])).toEqual([
      ['journal', ['journal-0', 'journal-1', 'journal-2']],
      ['name', ['name-0', 'name-1']],
      ['data', ['data-0', 'data-1', 'data-2']],
    ]);
    expect(planStatus(plan)).toBe('PENDING');
  });

  it('deploys HDFS in dependency order: all journals, then names one by one, then all data nodes', () => {
    let plan = buildPlan('deploy', { ...HDFS, strategy: 'parallel' }, HDFS_PODS);
    const rounds: string[][] = [];
    while (planStatus(plan) !== 'COMPLETE') {
      const r = runRound(plan);
      rounds.push(r.started);
      plan = r.plan;
    }
    expect(rounds).toEqual([['journal-0', 'journal-1', 'journal-2'], ['name-0'], ['name-1'], ['data-0', 'data-1', 'data-2']]);
  });

  it('runs phases of a serial plan one after the other even without declared dependencies', () => {
    const spec: PlanSpec = { strategy: 'serial', phases: [{ name: 'a', podType: 'a', strategy: 'parallel' }, { name: 'b', podType: 'b', strategy: 'parallel' }] };
    let plan = buildPlan('deploy', spec, [...pods('a', 2), ...pods('b', 2)]);
    expect(names(nextSteps(plan))).toEqual(['a-0', 'a-1']);
    plan = runRound(plan).plan;
    expect(names(nextSteps(plan))).toEqual(['b-0', 'b-1']);
  });

  it('runs independent phases of a parallel plan together', () => {
    const spec: PlanSpec = { strategy: 'parallel', phases: [{ name: 'a', podType: 'a' }, { name: 'b', podType: 'b' }] };
    expect(names(nextSteps(buildPlan('deploy', spec, [...pods('a', 2), ...pods('b', 2)])))).toEqual(['a-0', 'b-0']);
  });

  it('holds a serial phase on a step in flight or in error', () => {
    let plan = buildPlan('deploy', { phases: [{ name: 'n', podType: 'n' }] }, pods('n', 3));
    plan = markSteps(plan, nextSteps(plan), 'STARTING');
    expect(nextSteps(plan)).toEqual([]);
    plan = applyPodProgress(plan, { podType: 'n', index: 0 }, 'blocked', 'running');
    expect(phaseStatus(plan.phases[0]!)).toBe('ERROR');
    expect(planStatus(plan)).toBe('ERROR');
    expect(nextSteps(plan)).toEqual([]);
    plan = applyPodProgress(plan, { podType: 'n', index: 0 }, 'busy', 'running');
    expect(plan.phases[0]!.steps[0]!.status).toBe('STARTING');
    plan = applyPodProgress(plan, { podType: 'n', index: 0 }, 'running', 'running');
    expect(planStatus(plan)).toBe('IN_PROGRESS');
    expect(names(nextSteps(plan))).toEqual(['n-1']);
  });

  it('keeps a completed step complete and ignores progress for steps it has not started', () => {
    let plan = buildPlan('deploy', { phases: [{ name: 'n', podType: 'n' }] }, pods('n', 2));
    plan = runRound(plan).plan;
    plan = applyPodProgress(plan, { podType: 'n', index: 0 }, 'blocked', 'running');
    plan = applyPodProgress(plan, { podType: 'n', index: 1 }, 'running', 'running');
    expect(plan.phases[0]!.steps.map((s) => s.status)).toEqual(['COMPLETE', 'PENDING']);
  });

  it('pauses (pending steps wait), resumes, force-completes and restarts by phase or step', () => {
    let plan = buildPlan('deploy', HDFS, HDFS_PODS);
    plan = pausePlan(plan);
    expect(planStatus(plan)).toBe('WAITING');
    expect(nextSteps(plan)).toEqual([]);
    expect(phaseStatus(plan.phases[0]!)).toBe('WAITING');
    expect(restartPlan(plan, {}).phases[0]!.steps[0]!.status).toBe('WAITING');
    plan = resumePlan(plan);
    expect(names(nextSteps(plan))).toEqual(['journal-0', 'journal-1', 'journal-2']);
    plan = forceComplete(plan, { phase: 'journal' });
    expect(names(nextSteps(plan))).toEqual(['name-0']);
    plan = forceComplete(plan, { step: 'name-0' });
    expect(names(nextSteps(plan))).toEqual(['name-1']);
    plan = restartPlan(plan, { phase: 'journal' });
    expect(names(nextSteps(plan))).toEqual(['journal-0', 'journal-1', 'journal-2']);
    plan = forceComplete(plan, {});
    expect(planStatus(plan)).toBe('COMPLETE');
  });

  it('knows which phases and steps exist', () => {
    const plan = buildPlan('deploy', HDFS, HDFS_PODS);
    expect(targetExists(plan, {})).toBe(true);
    expect(targetExists(plan, { phase: 'name' })).toBe(true);
    expect(targetExists(plan, { phase: 'name', step: 'name-1' })).toBe(true);
    expect(targetExists(plan, { phase: 'name', step: 'data-1' })).toBe(false);
    expect(targetExists(plan, { step: 'nope-0' })).toBe(false);
  });

  it('adds steps for new pod instances and removes steps of removed ones', () => {
    let plan = buildPlan('deploy', HDFS, HDFS_PODS);
    plan = addSteps(plan, [{ podType: 'data', index: 3 }, { podType: 'unknown', index: 0 }]);
    expect(plan.phases[2]!.steps.map((s) => s.name)).toEqual(['data-0', 'data-1', 'data-2', 'data-3']);
    expect(addSteps(pausePlan(plan), [{ podType: 'data', index: 4 }]).phases[2]!.steps[4]!.status).toBe('WAITING');
    plan = removeSteps(plan, [{ podType: 'data', index: 0 }]);
    expect(plan.phases[2]!.steps.map((s) => s.name)).toEqual(['data-1', 'data-2', 'data-3']);
  });

  it('adds one step for an instance a single call names twice', () => {
    const plan = addSteps(buildPlan('deploy', HDFS, HDFS_PODS), [{ podType: 'data', index: 3 }, { podType: 'data', index: 3 }]);
    expect(plan.phases[2]!.steps.map((s) => s.name)).toEqual(['data-0', 'data-1', 'data-2', 'data-3']);
  });

  it('decommissions highest index first, one at a time', () => {
    let plan = appendDecommissionSteps(emptyDecommissionPlan(), [{ podType: 'data', index: 1 }, { podType: 'data', index: 3 }, { podType: 'data', index: 2 }]);
    plan = appendDecommissionSteps(plan, [{ podType: 'data', index: 3 }]);
    expect(plan.phases[0]!.steps.map((s) => s.name)).toEqual(['data-3', 'data-2', 'data-1']);
    const order: string[] = [];
    while (planStatus(plan) !== 'COMPLETE') {
      const next = nextSteps(plan);
      expect(next.length).toBe(1);
      order.push(...names(next));
      plan = applyPodProgress(markSteps(plan, next, 'STARTING'), next[0]!, 'decommissioned', 'decommissioned');
    }
    expect(order).toEqual(['data-3', 'data-2', 'data-1']);
  });

  it('reports unknown dependencies and cycles with the field path', () => {
    expect(planSpecProblems(HDFS)).toEqual([]);
    expect(
      planSpecProblems({ phases: [{ name: 'a', podType: 'a', dependsOn: ['b'] }, { name: 'b', podType: 'b', dependsOn: ['a', 'zz'] }] }),
    ).toEqual(['phases.b.dependsOn: unknown phase "zz"', 'phases.a.dependsOn: dependency cycle']);
  });

  it('never starts a step before the phases it depends on are complete (property)', () => {
    const arb = fc.record({
      counts: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }),
      strategies: fc.array(fc.constantFrom('serial' as const, 'parallel' as const), { minLength: 4, maxLength: 4 }),
      failures: fc.array(fc.boolean(), { maxLength: 20 }),
    });
    fc.assert(
      fc.property(arb, ({ counts, strategies, failures }) => {
        const spec: PlanSpec = {
          strategy: strategies[0]!,
          phases: HDFS.phases.map((p, i) => ({ ...p, strategy: strategies[i + 1]! })),
        };
        let plan = buildPlan('deploy', spec, [...pods('journal', counts[0]!), ...pods('name', counts[1]!), ...pods('data', counts[2]!)]);
        let guard = 0;
        while (planStatus(plan) !== 'COMPLETE' && guard++ < 50) {
          const next = nextSteps(plan);
          for (const ref of next) {
            const phase = plan.phases.find((p) => p.podType === ref.podType)!;
            for (const dep of phase.dependsOn) expect(phaseStatus(plan.phases.find((p) => p.name === dep)!)).toBe('COMPLETE');
            const serialBusy = phase.strategy === 'serial' && phase.steps.some((s) => s.status === 'STARTING');
            expect(serialBusy).toBe(false);
          }
          plan = markSteps(plan, next, 'STARTING');
          for (const ref of next) plan = applyPodProgress(plan, ref, failures[guard % Math.max(1, failures.length)] ? 'busy' : 'running', 'running');
          for (const s of plan.phases.flatMap((p) => p.steps)) if (s.status === 'STARTING') plan = applyPodProgress(plan, s, 'running', 'running');
        }
        expect(planStatus(plan)).toBe('COMPLETE');
      }),
    );
  });
});
