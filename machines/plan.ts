/*
 * Plan / phase / step bookkeeping as pure functions over plain JSON, in the spirit of
 * dcos-commons plans: a plan has phases, a phase has steps, each step is one pod instance.
 * Phases run in order (serial plan) or together (parallel plan), and never before the phases
 * they depend on are complete; steps inside a phase run one at a time or all at once.
 */
import {
  addCounted,
  appendDecommissionCounted,
  counted,
  findStepIn,
  forceCompleteCounted,
  markCounted,
  pauseCounted,
  progressCounted,
  removeCounted,
  restartCounted,
  resumeCounted,
} from './plan-counts';

export type Strategy = 'serial' | 'parallel';
export type StepStatus = 'PENDING' | 'STARTING' | 'COMPLETE' | 'ERROR' | 'WAITING';
export type PlanStatus = 'PENDING' | 'IN_PROGRESS' | 'COMPLETE' | 'ERROR' | 'WAITING';

export interface StepRef {
  podType: string;
  index: number;
}

export interface Step extends StepRef {
  name: string;
  status: StepStatus;
}

export interface Phase {
  name: string;
  podType: string;
  strategy: Strategy;
  dependsOn: string[];
  steps: Step[];
  /** Operator PAUSE of this phase only (`plan pause PLAN --phase P`): its steps hold, later phases wait. */
  paused?: boolean;
}

export interface Plan {
  name: string;
  strategy: Strategy;
  /** Operator PAUSE: nothing new starts; steps already starting carry on. */
  paused: boolean;
  phases: Phase[];
}

export interface PhaseSpec {
  name: string;
  podType: string;
  strategy?: Strategy;
  dependsOn?: string[];
}

export interface PlanSpec {
  strategy?: Strategy;
  phases: PhaseSpec[];
}

/** A whole plan, a phase of it, or one step: the scope of FORCE_COMPLETE and RESTART. */
export interface PlanTarget {
  phase?: string;
  step?: string;
}

/** What a pod instance reports, reduced to what a step needs. */
export type PodProgress = 'running' | 'decommissioned' | 'blocked' | 'busy';

export function stepName(ref: StepRef): string {
  return `${ref.podType}-${ref.index}`;
}

export function buildPlan(name: string, spec: PlanSpec, pods: StepRef[]): Plan {
  return {
    name,
    strategy: spec.strategy ?? 'serial',
    paused: false,
    phases: spec.phases.map((p) => ({
      name: p.name,
      podType: p.podType,
      strategy: p.strategy ?? 'serial',
      dependsOn: [...(p.dependsOn ?? [])],
      steps: pods
        .filter((pod) => pod.podType === p.podType)
        .sort((a, b) => a.index - b.index)
        .map((pod) => ({ podType: pod.podType, index: pod.index, name: stepName(pod), status: 'PENDING' as const })),
    })),
  };
}

/** Phase names a plan spec refers to but does not define, or that depend on themselves in a cycle. */
export function planSpecProblems(spec: PlanSpec): string[] {
  const names = new Set(spec.phases.map((p) => p.name));
  const problems: string[] = [];
  for (const p of spec.phases) {
    for (const d of p.dependsOn ?? []) {
      if (!names.has(d)) problems.push(`phases.${p.name}.dependsOn: unknown phase "${d}"`);
    }
  }
  const deps = new Map(spec.phases.map((p) => [p.name, p.dependsOn ?? []]));
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (n: string): boolean => {
    if (done.has(n)) return false;
    if (visiting.has(n)) return true;
    visiting.add(n);
    const cyclic = (deps.get(n) ?? []).some(visit);
    visiting.delete(n);
    done.add(n);
    return cyclic;
  };
  for (const p of spec.phases) if (visit(p.name)) problems.push(`phases.${p.name}.dependsOn: dependency cycle`);
  return problems;
}

/*
 * phaseStatus, planStatus and nextSteps rescan every step: the reference the maintained counters
 * are tested against (plan-counts.ts: phaseStatusOf, planStatusOf, nextStepsOf), and what the
 * on-demand views (plan status, waitDeployed) read.
 */
export function phaseStatus(phase: Phase): StepStatus {
  const s = phase.steps.map((st) => st.status);
  if (s.every((x) => x === 'COMPLETE')) return 'COMPLETE';
  if (s.includes('ERROR')) return 'ERROR';
  if (s.includes('STARTING')) return 'STARTING';
  if (s.includes('WAITING')) return 'WAITING';
  return s.includes('COMPLETE') ? 'STARTING' : 'PENDING';
}

export function planStatus(plan: Plan): PlanStatus {
  const steps = plan.phases.flatMap((p) => p.steps);
  if (steps.every((s) => s.status === 'COMPLETE')) return 'COMPLETE';
  if (steps.some((s) => s.status === 'ERROR')) return 'ERROR';
  if (plan.paused) return 'WAITING';
  return steps.some((s) => s.status === 'STARTING' || s.status === 'COMPLETE') ? 'IN_PROGRESS' : 'PENDING';
}

function phaseReady(plan: Plan, i: number): boolean {
  const phase = plan.phases[i];
  if (phase === undefined) return false;
  const complete = (name: string) => plan.phases.some((p) => p.name === name && phaseStatus(p) === 'COMPLETE');
  if (!phase.dependsOn.every(complete)) return false;
  if (plan.strategy === 'serial') return plan.phases.slice(0, i).every((p) => phaseStatus(p) === 'COMPLETE');
  return true;
}

/** Steps that may start now: PENDING steps of ready phases, one per serial phase. */
export function nextSteps(plan: Plan): StepRef[] {
  if (plan.paused) return [];
  const out: StepRef[] = [];
  plan.phases.forEach((phase, i) => {
    if (!phaseReady(plan, i)) return;
    if (phase.strategy === 'parallel') {
      for (const s of phase.steps) if (s.status === 'PENDING') out.push({ podType: s.podType, index: s.index });
      return;
    }
    // Serial: a step in flight or in error holds the rest of the phase.
    if (phase.steps.some((s) => s.status === 'STARTING' || s.status === 'ERROR')) return;
    const first = phase.steps.find((s) => s.status === 'PENDING');
    if (first) out.push({ podType: first.podType, index: first.index });
  });
  return out;
}

/*
 * The operations below change only the phase(s) they touch and keep every other phase, step and
 * counter object (src/state/framework-layout.ts finds what to write by reference). Each is the
 * counted operation of plan-counts.ts on a plan counted afresh; the supervisor keeps the counters
 * in its context and calls the counted ones (no rescan per event).
 */

export function markSteps(plan: Plan, refs: StepRef[], status: StepStatus): Plan {
  return markCounted(counted(plan), refs, status).plan;
}

export function findStep(plan: Plan, ref: StepRef): Step | undefined {
  return findStepIn(plan, ref);
}

/**
 * Advance a step from its pod's progress. A COMPLETE step stays complete (later failures are the
 * pod's own recovery, not the plan's); a PENDING step is untouched (the plan has not started it).
 */
export function applyPodProgress(plan: Plan, ref: StepRef, progress: PodProgress, doneWhen: PodProgress): Plan {
  return progressCounted(counted(plan), ref, progress, doneWhen).plan;
}

/**
 * Pause the plan, or with `phase` that phase only: its PENDING steps hold (WAITING), steps already
 * starting carry on, and the phases after it wait for it as they wait for any unfinished phase.
 */
export function pausePlan(plan: Plan, phase?: string): Plan {
  return pauseCounted(counted(plan), phase).plan;
}

/** Resume the plan (and every paused phase), or with `phase` that phase only (the plan stays as it is). */
export function resumePlan(plan: Plan, phase?: string): Plan {
  return resumeCounted(counted(plan), phase).plan;
}

export function targetExists(plan: Plan, target: PlanTarget): boolean {
  return plan.phases.some(
    (ph) =>
      (target.phase === undefined || ph.name === target.phase) &&
      (target.step === undefined || ph.steps.some((s) => s.name === target.step)),
  );
}

export function forceComplete(plan: Plan, target: PlanTarget): Plan {
  return forceCompleteCounted(counted(plan), target).plan;
}

export function restartPlan(plan: Plan, target: PlanTarget): Plan {
  return restartCounted(counted(plan), target).plan;
}

/** Add steps for new pod instances to the phase of their pod type (no-op for unknown types). */
export function addSteps(plan: Plan, refs: StepRef[]): Plan {
  return addCounted(counted(plan), refs).plan;
}

export function removeSteps(plan: Plan, refs: StepRef[]): Plan {
  return removeCounted(counted(plan), refs).plan;
}

/** Scale-down plan: one serial phase, steps appended highest index first. */
export function emptyDecommissionPlan(): Plan {
  return { name: 'decommission', strategy: 'serial', paused: false, phases: [{ name: 'decommission', podType: '*', strategy: 'serial', dependsOn: [], steps: [] }] };
}

export function appendDecommissionSteps(plan: Plan, refs: StepRef[]): Plan {
  return appendDecommissionCounted(counted(plan), refs).plan;
}
