import type { Phase, Plan, PlanStatus, PlanTarget, PodProgress, Step, StepRef, StepStatus } from './plan';

/*
 * Plan counters kept up to date, not rescanned (issue 12). A plan travels with one counter record
 * per phase (how many steps are in each status, where its first PENDING step is); every operation
 * here changes only the phase(s) it touches (one copy of that phase's step list; the other phases,
 * steps and counters keep their objects) and adjusts the counters step by step, so what the
 * supervisor derives per event (plan and phase status, the next steps) costs O(phases), not O(pods).
 * countPlan() is the full rescan: for a plan built or read back from the store, and the reference
 * the tests hold the maintained counters to (test/machines/plan-counts.property.test.ts).
 */

export interface PhaseCounts {
  PENDING: number;
  STARTING: number;
  COMPLETE: number;
  ERROR: number;
  WAITING: number;
  /** Position of the phase's first PENDING step; its step count when none is. */
  firstPending: number;
}

/** A plan and its counters, one per phase in the same order (JSON). */
export interface CountedPlan {
  plan: Plan;
  counts: PhaseCounts[];
}

const nameOf = (r: StepRef) => `${r.podType}-${r.index}`; // = stepName
const same = (a: StepRef, b: StepRef) => a.index === b.index && a.podType === b.podType;

export function countPhase(phase: Phase): PhaseCounts {
  const c: PhaseCounts = { PENDING: 0, STARTING: 0, COMPLETE: 0, ERROR: 0, WAITING: 0, firstPending: phase.steps.length };
  phase.steps.forEach((s, i) => {
    c[s.status]++;
    if (s.status === 'PENDING' && i < c.firstPending) c.firstPending = i;
  });
  return c;
}

/** The full rescan (a plan built or restored; the tests' reference). */
export function countPlan(plan: Plan): PhaseCounts[] {
  return plan.phases.map(countPhase);
}

export function counted(plan: Plan, counts: PhaseCounts[] = countPlan(plan)): CountedPlan {
  return { plan, counts };
}

export function stepCount(c: PhaseCounts): number {
  return c.PENDING + c.STARTING + c.COMPLETE + c.ERROR + c.WAITING;
}

/** phaseStatus() from the counters. */
export function phaseStatusOf(c: PhaseCounts): StepStatus {
  if (c.COMPLETE === stepCount(c)) return 'COMPLETE';
  if (c.ERROR > 0) return 'ERROR';
  if (c.STARTING > 0) return 'STARTING';
  if (c.WAITING > 0) return 'WAITING';
  return c.COMPLETE > 0 ? 'STARTING' : 'PENDING';
}

/** planStatus() from the counters. */
export function planStatusOf({ plan, counts }: CountedPlan): PlanStatus {
  let steps = 0;
  let complete = 0;
  let error = 0;
  let started = 0;
  for (const c of counts) {
    steps += stepCount(c);
    complete += c.COMPLETE;
    error += c.ERROR;
    started += c.STARTING + c.COMPLETE;
  }
  if (complete === steps) return 'COMPLETE';
  if (error > 0) return 'ERROR';
  if (plan.paused) return 'WAITING';
  return started > 0 ? 'IN_PROGRESS' : 'PENDING';
}

/** nextSteps() from the counters: PENDING steps of ready phases, one per serial phase. */
export function nextStepsOf({ plan, counts }: CountedPlan): StepRef[] {
  if (plan.paused) return [];
  const complete = counts.map((c) => phaseStatusOf(c) === 'COMPLETE');
  const completeNames = new Set(plan.phases.filter((_, i) => complete[i]).map((p) => p.name));
  const out: StepRef[] = [];
  let earlierComplete = true;
  plan.phases.forEach((phase, i) => {
    const c = counts[i]!;
    const ready = phase.dependsOn.every((d) => completeNames.has(d)) && (plan.strategy !== 'serial' || earlierComplete);
    earlierComplete &&= complete[i]!;
    if (!ready || c.PENDING === 0) return;
    if (phase.strategy === 'parallel') {
      for (let p = c.firstPending; p < phase.steps.length; p++) {
        const s = phase.steps[p]!;
        if (s.status === 'PENDING') out.push({ podType: s.podType, index: s.index });
      }
      return;
    }
    // Serial: a step in flight or in error holds the rest of the phase.
    if (c.STARTING + c.ERROR > 0) return;
    const first = phase.steps[c.firstPending]!;
    out.push({ podType: first.podType, index: first.index });
  });
  return out;
}

/**
 * Where a step is in a phase, or -1. A pod type's phase holds only that type's steps, sorted by
 * index (buildPlan, addSteps): a binary search, then a scan should that order not hold. The
 * decommission phase (`*`) keeps its own order (highest index first per scale-down): a scan.
 */
export function stepPosition(phase: Phase, ref: StepRef): number {
  const steps = phase.steps;
  if (phase.podType !== '*') {
    if (phase.podType !== ref.podType) return -1;
    let lo = 0;
    let hi = steps.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = steps[mid]!;
      if (same(s, ref)) return mid;
      if (s.index < ref.index) lo = mid + 1;
      else hi = mid - 1;
    }
  }
  for (let p = 0; p < steps.length; p++) if (same(steps[p]!, ref)) return p;
  return -1;
}

export function findStepIn(plan: Plan, ref: StepRef): Step | undefined {
  for (const phase of plan.phases) {
    const p = stepPosition(phase, ref);
    if (p >= 0) return phase.steps[p];
  }
  return undefined;
}

function firstPendingFrom(steps: Step[], c: PhaseCounts, from: number): number {
  if (c.PENDING === 0) return steps.length;
  let p = from;
  while (p < steps.length && steps[p]!.status !== 'PENDING') p++;
  return p;
}

/*
 * Which steps a copied step list replaced, for the writer of the framework record
 * (src/state/framework-layout.ts): it then writes those pods' records without walking every pod.
 * A list made by restatus() is the list it copied with some positions replaced (same length, same
 * order): it gets an edit naming the copied list (by id, so no old list is kept alive) and those
 * positions. Edits chain back at most EDIT_CHAIN lists; a list made any other way has none.
 */
interface StepListEdit {
  /** The id of the list this one copied. */
  base: number;
  at: readonly number[];
  prior: StepListEdit | undefined;
  depth: number;
}
const EDIT_CHAIN = 64;
const listIds = new WeakMap<readonly object[], number>();
const edits = new WeakMap<readonly object[], StepListEdit>();
let lastListId = 0;

/** A number naming this list (object) for as long as it lives. */
export function stepListId(list: readonly object[]): number {
  let id = listIds.get(list);
  if (id === undefined) listIds.set(list, (id = ++lastListId));
  return id;
}

function noteEdit(from: readonly Step[], to: readonly Step[], at: readonly number[]): void {
  const prior = edits.get(from);
  const keep = prior !== undefined && prior.depth < EDIT_CHAIN;
  edits.set(to, { base: stepListId(from), at, prior: keep ? prior : undefined, depth: keep ? prior.depth + 1 : 1 });
}

/**
 * The positions replaced since list `sinceId` (a stepListId) in the copies that led to `list`
 * (possibly repeated), or undefined when `list` is not such a copy of it: then compare it all.
 */
export function replacedSince(list: readonly object[], sinceId: number): number[] | undefined {
  const out: number[] = [];
  for (let e = edits.get(list); e !== undefined; e = e.prior) {
    for (const p of e.at) out.push(p);
    if (e.base === sinceId) return out;
  }
  return undefined;
}

function withPhase(t: CountedPlan, i: number, phase: Phase, c: PhaseCounts, plan: Partial<Plan> = {}): CountedPlan {
  const phases = t.plan.phases.slice();
  phases[i] = phase;
  const counts = t.counts.slice();
  counts[i] = c;
  return { plan: { ...t.plan, ...plan, phases }, counts };
}

/**
 * Steps of phase `i` take new statuses (position -> status): one copy of that phase's step list,
 * a new object for each step that changed, the counters adjusted for each. Nothing changed: `t`.
 */
function restatus(t: CountedPlan, i: number, changes: Iterable<[number, StepStatus]>, phasePatch?: (ph: Phase) => Phase): CountedPlan {
  const phase = t.plan.phases[i]!;
  const c = { ...t.counts[i]! };
  let steps: Step[] | undefined;
  let from = c.firstPending;
  const at: number[] = [];
  for (const [pos, status] of changes) {
    const s = (steps ?? phase.steps)[pos]!;
    if (s.status === status) continue;
    steps ??= phase.steps.slice();
    c[s.status]--;
    c[status]++;
    steps[pos] = { ...s, status };
    at.push(pos);
    if (status === 'PENDING') from = Math.min(from, pos);
  }
  const patched = phasePatch ? phasePatch(phase) : phase;
  if (steps === undefined) return patched === phase ? t : withPhase(t, i, patched, c);
  noteEdit(phase.steps, steps, at);
  c.firstPending = firstPendingFrom(steps, c, from);
  return withPhase(t, i, { ...patched, steps }, c);
}

/** Each phase's positions of these steps. */
function positions(plan: Plan, refs: StepRef[], only?: (phase: number) => boolean): Map<number, number[]> {
  const at = new Map<number, number[]>();
  plan.phases.forEach((phase, i) => {
    if (only && !only(i)) return;
    const found: number[] = [];
    for (const r of refs) {
      const p = stepPosition(phase, r);
      if (p >= 0) found.push(p);
    }
    if (found.length > 0) at.set(i, found);
  });
  return at;
}

/** markSteps(). */
export function markCounted(t: CountedPlan, refs: StepRef[], status: StepStatus): CountedPlan {
  if (refs.length === 0) return t;
  let out = t;
  for (const [i, ps] of positions(t.plan, refs)) out = restatus(out, i, ps.map((p): [number, StepStatus] => [p, status]));
  return out;
}

/**
 * applyPodProgress(): only a STARTING or ERROR step moves (COMPLETE stays, PENDING and WAITING
 * have not started), so phases with none are not even searched.
 */
export function progressCounted(t: CountedPlan, ref: StepRef, progress: PodProgress, doneWhen: PodProgress): CountedPlan {
  const next: StepStatus = progress === doneWhen ? 'COMPLETE' : progress === 'blocked' ? 'ERROR' : 'STARTING';
  let out = t;
  for (const [i, ps] of positions(t.plan, [ref], (i) => t.counts[i]!.STARTING + t.counts[i]!.ERROR > 0)) {
    const moving = ps.filter((p) => {
      const s = out.plan.phases[i]!.steps[p]!.status;
      return s === 'STARTING' || s === 'ERROR';
    });
    out = restatus(out, i, moving.map((p): [number, StepStatus] => [p, next]));
  }
  return out;
}

/** Every step of the phases `which` selects whose status `to` changes (one pass over those phases). */
function mapStatuses(
  t: CountedPlan,
  which: (ph: Phase) => boolean,
  to: (s: Step, ph: Phase) => StepStatus,
  phasePatch?: (ph: Phase) => Phase,
  plan: Partial<Plan> = {},
): CountedPlan {
  let out = t;
  t.plan.phases.forEach((ph, i) => {
    if (!which(ph)) return;
    const changes: [number, StepStatus][] = [];
    ph.steps.forEach((s, p) => {
      const status = to(s, ph);
      if (status !== s.status) changes.push([p, status]);
    });
    out = restatus(out, i, changes, phasePatch);
  });
  const unchanged = (Object.keys(plan) as (keyof Plan)[]).every((k) => out.plan[k] === plan[k]);
  return unchanged ? out : { plan: { ...out.plan, ...plan }, counts: out.counts };
}

const holdPending = (s: Step): StepStatus => (s.status === 'PENDING' ? 'WAITING' : s.status);
const releaseWaiting = (s: Step): StepStatus => (s.status === 'WAITING' ? 'PENDING' : s.status);

/** pausePlan(). */
export function pauseCounted(t: CountedPlan, phase?: string): CountedPlan {
  if (phase !== undefined) return mapStatuses(t, (ph) => ph.name === phase, holdPending, (ph) => (ph.paused ? ph : { ...ph, paused: true }));
  return mapStatuses(t, () => true, holdPending, undefined, { paused: true });
}

/** resumePlan(). */
export function resumeCounted(t: CountedPlan, phase?: string): CountedPlan {
  const unpause = (ph: Phase): Phase => {
    if (ph.paused === undefined) return ph;
    const { paused: _paused, ...rest } = ph;
    return rest;
  };
  // Steps of a phase stay held while the plan itself is paused.
  const to = t.plan.paused && phase !== undefined ? (s: Step) => s.status : releaseWaiting;
  if (phase !== undefined) return mapStatuses(t, (ph) => ph.name === phase, to, unpause);
  return mapStatuses(t, () => true, to, unpause, { paused: false });
}

function inTarget(step: Step, phase: Phase, target: PlanTarget): boolean {
  if (target.phase !== undefined && phase.name !== target.phase) return false;
  return target.step === undefined || step.name === target.step;
}
const targets = (target: PlanTarget) => (ph: Phase) => target.phase === undefined || ph.name === target.phase;

/** forceComplete(). */
export function forceCompleteCounted(t: CountedPlan, target: PlanTarget): CountedPlan {
  return mapStatuses(t, targets(target), (s, ph) => (inTarget(s, ph, target) ? 'COMPLETE' : s.status));
}

/** A new or restarted step of this phase waits while its plan or the phase is paused. */
export function heldStatus(plan: Plan, phase: Phase): StepStatus {
  return plan.paused || phase.paused ? 'WAITING' : 'PENDING';
}

/** restartPlan(). */
export function restartCounted(t: CountedPlan, target: PlanTarget): CountedPlan {
  return mapStatuses(t, targets(target), (s, ph) => (inTarget(s, ph, target) ? heldStatus(t.plan, ph) : s.status));
}

/** removeSteps(): the phases holding them lose those steps; counters adjusted per step removed. */
export function removeCounted(t: CountedPlan, refs: StepRef[]): CountedPlan {
  let out = t;
  for (const [i, ps] of positions(t.plan, refs)) {
    const phase = out.plan.phases[i]!;
    const old = out.counts[i]!;
    const gone = new Set(ps);
    const c = { ...old };
    let before = 0;
    for (const p of gone) {
      c[phase.steps[p]!.status]--;
      if (p < old.firstPending) before++;
    }
    const steps = phase.steps.filter((_, p) => !gone.has(p));
    c.firstPending = firstPendingFrom(steps, c, old.firstPending - before);
    out = withPhase(out, i, { ...phase, steps }, c);
  }
  return out;
}

/** addSteps(): new steps for new pod instances join the phase of their type, held if it or the plan is paused. */
export function addCounted(t: CountedPlan, refs: StepRef[]): CountedPlan {
  let out = t;
  // One step per instance, however often a call names it.
  const unique = [...new Map(refs.map((r) => [nameOf(r), r])).values()];
  t.plan.phases.forEach((ph, i) => {
    const extra = unique
      .filter((r) => r.podType === ph.podType && stepPosition(ph, r) < 0)
      .map((r) => ({ podType: r.podType, index: r.index, name: nameOf(r), status: heldStatus(t.plan, ph) }));
    if (extra.length === 0) return;
    // The phase's list is rebuilt (sorted by index): it is counted as it is built.
    const phase = { ...ph, steps: [...ph.steps, ...extra].sort((a, b) => a.index - b.index) };
    out = withPhase(out, i, phase, countPhase(phase));
  });
  return out;
}

/** appendDecommissionSteps(): one serial phase, steps appended highest index first. */
export function appendDecommissionCounted(t: CountedPlan, refs: StepRef[]): CountedPlan {
  const phase = t.plan.phases[0];
  if (phase === undefined) return t;
  const coming = new Set(refs.map(nameOf));
  // A finished step of the same instance (it came back and goes again) is replaced by a fresh one.
  const kept = phase.steps.filter((s) => !(s.status === 'COMPLETE' && coming.has(nameOf(s))));
  const present = new Set(kept.map(nameOf));
  const fresh = [...refs]
    .sort((a, b) => b.index - a.index)
    .filter((r) => !present.has(nameOf(r)))
    .map((r) => ({ podType: r.podType, index: r.index, name: nameOf(r), status: (t.plan.paused ? 'WAITING' : 'PENDING') as StepStatus }));
  if (fresh.length === 0 && kept.length === phase.steps.length) return t;
  // The phase's list is rebuilt: it is counted as it is built.
  const next = { ...phase, steps: [...kept, ...fresh] };
  return withPhase(t, 0, next, countPhase(next));
}
