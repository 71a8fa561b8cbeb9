import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildPlan,
  emptyDecommissionPlan,
  nextSteps,
  phaseStatus,
  planStatus,
  type Phase,
  type Plan,
  type PlanSpec,
  type PlanTarget,
  type PodProgress,
  type Step,
  type StepRef,
  type StepStatus,
} from '../../machines/plan';
import {
  addCounted,
  appendDecommissionCounted,
  counted,
  countPlan,
  forceCompleteCounted,
  markCounted,
  nextStepsOf,
  pauseCounted,
  phaseStatusOf,
  planStatusOf,
  progressCounted,
  removeCounted,
  restartCounted,
  resumeCounted,
  type CountedPlan,
} from '../../machines/plan-counts';

/*
 * The model: the plan operations as they were before the counters (every phase and step rebuilt
 * per call, statuses rescanned). The counted operations must give the same plan, keep every
 * phase and step they do not change, and keep counters equal to a full rescan.
 */
const same = (a: StepRef, b: StepRef) => a.podType === b.podType && a.index === b.index;
const mapSteps = (plan: Plan, fn: (s: Step, ph: Phase) => Step): Plan => ({ ...plan, phases: plan.phases.map((ph) => ({ ...ph, steps: ph.steps.map((s) => fn(s, ph)) })) });
const held = (plan: Plan, ph: Phase): StepStatus => (plan.paused || ph.paused ? 'WAITING' : 'PENDING');
const inTarget = (s: Step, ph: Phase, t: PlanTarget) => (t.phase === undefined || ph.name === t.phase) && (t.step === undefined || s.name === t.step);
const model = {
  mark: (plan: Plan, refs: StepRef[], status: StepStatus) => mapSteps(plan, (s) => (refs.some((r) => same(r, s)) ? { ...s, status } : s)),
  progress: (plan: Plan, ref: StepRef, progress: PodProgress, doneWhen: PodProgress) =>
    mapSteps(plan, (s) => {
      if (!same(s, ref) || s.status === 'COMPLETE' || s.status === 'PENDING' || s.status === 'WAITING') return s;
      return { ...s, status: progress === doneWhen ? 'COMPLETE' : progress === 'blocked' ? 'ERROR' : 'STARTING' };
    }),
  pause: (plan: Plan, phase?: string): Plan => {
    const hold = (s: Step): Step => (s.status === 'PENDING' ? { ...s, status: 'WAITING' } : s);
    if (phase !== undefined) return { ...plan, phases: plan.phases.map((ph) => (ph.name !== phase ? ph : { ...ph, paused: true, steps: ph.steps.map(hold) })) };
    return { ...mapSteps(plan, hold), paused: true };
  },
  resume: (plan: Plan, phase?: string): Plan => {
    const release = (ph: Phase): Phase => {
      const { paused: _paused, ...rest } = ph;
      const steps = plan.paused && phase !== undefined ? ph.steps : ph.steps.map((s) => (s.status === 'WAITING' ? { ...s, status: 'PENDING' as const } : s));
      return { ...rest, steps };
    };
    if (phase !== undefined) return { ...plan, phases: plan.phases.map((ph) => (ph.name === phase ? release(ph) : ph)) };
    return { ...plan, paused: false, phases: plan.phases.map(release) };
  },
  force: (plan: Plan, t: PlanTarget) => mapSteps(plan, (s, ph) => (inTarget(s, ph, t) ? { ...s, status: 'COMPLETE' } : s)),
  restart: (plan: Plan, t: PlanTarget) => mapSteps(plan, (s, ph) => (inTarget(s, ph, t) ? { ...s, status: held(plan, ph) } : s)),
  add: (plan: Plan, refs: StepRef[]): Plan => ({
    ...plan,
    phases: plan.phases.map((ph) => {
      const extra = refs.filter((r) => r.podType === ph.podType && !ph.steps.some((s) => same(s, r))).map((r) => ({ ...r, name: `${r.podType}-${r.index}`, status: held(plan, ph) }));
      return extra.length === 0 ? ph : { ...ph, steps: [...ph.steps, ...extra].sort((a, b) => a.index - b.index) };
    }),
  }),
  remove: (plan: Plan, refs: StepRef[]): Plan => ({ ...plan, phases: plan.phases.map((ph) => ({ ...ph, steps: ph.steps.filter((s) => !refs.some((r) => same(r, s))) })) }),
  append: (plan: Plan, refs: StepRef[]): Plan => {
    const phase = plan.phases[0]!;
    const kept = phase.steps.filter((s) => !(s.status === 'COMPLETE' && refs.some((r) => same(s, r))));
    const fresh = [...refs]
      .sort((a, b) => b.index - a.index)
      .filter((r) => !kept.some((s) => same(s, r)))
      .map((r) => ({ ...r, name: `${r.podType}-${r.index}`, status: (plan.paused ? 'WAITING' : 'PENDING') as StepStatus }));
    return { ...plan, phases: [{ ...phase, steps: [...kept, ...fresh] }, ...plan.phases.slice(1)] };
  },
};

const TYPES = ['a', 'b', 'c'] as const;
const STATUSES: StepStatus[] = ['PENDING', 'STARTING', 'COMPLETE', 'ERROR', 'WAITING'];
const refArb = fc.record({ podType: fc.constantFrom(...TYPES), index: fc.integer({ min: 0, max: 6 }) });
const refsArb = fc.uniqueArray(refArb, { maxLength: 5, selector: (r) => `${r.podType}-${r.index}` });
const phaseArb = fc.option(fc.constantFrom('a', 'b', 'c', 'decommission', 'nope'), { nil: undefined });
const targetArb = fc.record({ phase: phaseArb, step: fc.option(fc.constantFrom('a-0', 'a-1', 'b-2', 'c-3', 'x-0'), { nil: undefined }) });

type Op =
  | { op: 'mark'; refs: StepRef[]; status: StepStatus }
  | { op: 'progress'; ref: StepRef; progress: PodProgress; done: PodProgress }
  | { op: 'pause' | 'resume'; phase: string | undefined }
  | { op: 'force' | 'restart'; target: PlanTarget }
  | { op: 'add' | 'remove' | 'append'; refs: StepRef[] }
  | { op: 'advance' };

const opArb: fc.Arbitrary<{ plan: 'deploy' | 'decommission'; op: Op }> = fc.record({
  plan: fc.constantFrom('deploy' as const, 'decommission' as const),
  op: fc.oneof(
    fc.record({ op: fc.constant('mark' as const), refs: refsArb, status: fc.constantFrom(...STATUSES) }),
    fc.record({ op: fc.constant('progress' as const), ref: refArb, progress: fc.constantFrom<PodProgress>('running', 'decommissioned', 'blocked', 'busy'), done: fc.constantFrom<PodProgress>('running', 'decommissioned') }),
    fc.record({ op: fc.constantFrom('pause' as const, 'resume' as const), phase: phaseArb }),
    fc.record({ op: fc.constantFrom('force' as const, 'restart' as const), target: targetArb }),
    fc.record({ op: fc.constantFrom('add' as const, 'remove' as const, 'append' as const), refs: refsArb }),
    fc.constant({ op: 'advance' as const }),
  ),
});

const specArb: fc.Arbitrary<{ spec: PlanSpec; pods: StepRef[] }> = fc
  .record({
    strategy: fc.constantFrom('serial' as const, 'parallel' as const),
    phases: fc.uniqueArray(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 3 }),
    strategies: fc.array(fc.constantFrom('serial' as const, 'parallel' as const), { minLength: 3, maxLength: 3 }),
    deps: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    pods: refsArb,
  })
  .map(({ strategy, phases, strategies, deps, pods }) => ({
    spec: { strategy, phases: phases.map((t, i) => ({ name: t, podType: t, strategy: strategies[i], dependsOn: i > 0 && deps[i] ? [phases[i - 1]!] : [] })) },
    pods,
  }));

function applyCounted(t: CountedPlan, op: Op, kind: 'deploy' | 'decommission'): CountedPlan {
  switch (op.op) {
    case 'mark': return markCounted(t, op.refs, op.status);
    case 'progress': return progressCounted(t, op.ref, op.progress, op.done);
    case 'pause': return pauseCounted(t, op.phase);
    case 'resume': return resumeCounted(t, op.phase);
    case 'force': return forceCompleteCounted(t, op.target);
    case 'restart': return restartCounted(t, op.target);
    case 'add': return kind === 'deploy' ? addCounted(t, op.refs) : t;
    case 'remove': return removeCounted(t, op.refs);
    case 'append': return kind === 'decommission' ? appendDecommissionCounted(t, op.refs) : t;
    case 'advance': return markCounted(t, nextStepsOf(t), 'STARTING');
  }
}

function applyModel(plan: Plan, op: Op, kind: 'deploy' | 'decommission'): Plan {
  switch (op.op) {
    case 'mark': return model.mark(plan, op.refs, op.status);
    case 'progress': return model.progress(plan, op.ref, op.progress, op.done);
    case 'pause': return model.pause(plan, op.phase);
    case 'resume': return model.resume(plan, op.phase);
    case 'force': return model.force(plan, op.target);
    case 'restart': return model.restart(plan, op.target);
    case 'add': return kind === 'deploy' ? model.add(plan, op.refs) : plan;
    case 'remove': return model.remove(plan, op.refs);
    case 'append': return kind === 'decommission' ? model.append(plan, op.refs) : plan;
    case 'advance': return model.mark(plan, nextSteps(plan), 'STARTING');
  }
}

const json = (v: unknown) => JSON.stringify(v);

/** Derived figures from the counters equal the rescan's. */
function expectCountersTrue(t: CountedPlan): void {
  expect(t.counts).toEqual(countPlan(t.plan));
  expect(planStatusOf(t)).toBe(planStatus(t.plan));
  t.plan.phases.forEach((ph, i) => expect(phaseStatusOf(t.counts[i]!)).toBe(phaseStatus(ph)));
  expect(nextStepsOf(t)).toEqual(nextSteps(t.plan));
}

/** What did not change keeps its object: phases equal to before, and steps with the same status. */
function expectShared(before: Plan, after: Plan): void {
  after.phases.forEach((ph, i) => {
    const old = before.phases[i]!;
    if (json(old) === json(ph)) expect(ph).toBe(old);
    const oldSteps = new Map(old.steps.map((s) => [s.name, s]));
    for (const s of ph.steps) {
      const o = oldSteps.get(s.name);
      if (o && o.status === s.status) expect(s).toBe(o);
    }
  });
}

describe('plan counters (model-based)', () => {
  it('random step transitions, pauses, restarts, scale and decommission: the same plans as the model, counters equal to a rescan, untouched parts shared', () => {
    fc.assert(
      fc.property(specArb, fc.array(opArb, { maxLength: 40 }), ({ spec, pods }, ops) => {
        let deploy = counted(buildPlan('deploy', spec, pods));
        let decommission = counted(emptyDecommissionPlan());
        let deployModel = deploy.plan;
        let decoModel = decommission.plan;
        for (const { plan, op } of ops) {
          if (plan === 'deploy') {
            const next = applyCounted(deploy, op, 'deploy');
            deployModel = applyModel(deployModel, op, 'deploy');
            expect(json(next.plan)).toBe(json(deployModel));
            expectShared(deploy.plan, next.plan);
            deploy = next;
          } else {
            const next = applyCounted(decommission, op, 'decommission');
            decoModel = applyModel(decoModel, op, 'decommission');
            expect(json(next.plan)).toBe(json(decoModel));
            expectShared(decommission.plan, next.plan);
            decommission = next;
          }
          expectCountersTrue(deploy);
          expectCountersTrue(decommission);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('an operation that changes nothing returns the plan as it was (nothing to write)', () => {
    const plan = counted(buildPlan('deploy', { phases: [{ name: 'a', podType: 'a', strategy: 'parallel' }] }, [{ podType: 'a', index: 0 }]));
    const started = markCounted(plan, [{ podType: 'a', index: 0 }], 'STARTING');
    expect(progressCounted(started, { podType: 'a', index: 0 }, 'busy', 'running')).toBe(started);
    expect(progressCounted(started, { podType: 'b', index: 0 }, 'running', 'running')).toBe(started);
    expect(markCounted(started, [{ podType: 'a', index: 0 }], 'STARTING')).toBe(started);
    expect(markCounted(started, [], 'COMPLETE')).toBe(started);
  });

  it('a step change copies one phase: the other phases keep their objects', () => {
    const spec: PlanSpec = { phases: [{ name: 'a', podType: 'a' }, { name: 'b', podType: 'b' }] };
    const plan = counted(buildPlan('deploy', spec, [{ podType: 'a', index: 0 }, { podType: 'b', index: 0 }, { podType: 'b', index: 1 }]));
    const next = markCounted(plan, [{ podType: 'b', index: 1 }], 'STARTING');
    expect(next.plan.phases[0]).toBe(plan.plan.phases[0]);
    expect(next.counts[0]).toBe(plan.counts[0]);
    expect(next.plan.phases[1]!.steps[0]).toBe(plan.plan.phases[1]!.steps[0]);
    expect(next.counts[1]).toEqual({ PENDING: 1, STARTING: 1, COMPLETE: 0, ERROR: 0, WAITING: 0, firstPending: 0 });
  });

  it('finds a step in a phase whose list is not in index order (a scan after the binary search)', () => {
    const step = (index: number): Step => ({ podType: 'a', index, name: `a-${index}`, status: 'STARTING' });
    const plan: Plan = { name: 'deploy', strategy: 'serial', paused: false, phases: [{ name: 'a', podType: 'a', strategy: 'parallel', dependsOn: [], steps: [step(2), step(0), step(1)] }] };
    const next = progressCounted(counted(plan), { podType: 'a', index: 0 }, 'running', 'running');
    expect(next.plan.phases[0]!.steps.map((s) => s.status)).toEqual(['STARTING', 'COMPLETE', 'STARTING']);
    expect(next.counts).toEqual(countPlan(next.plan));
  });
});
