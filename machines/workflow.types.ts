/*
 * The persisted plan of a workflow (update, restore, …) as plain JSON, and the pure bookkeeping
 * the workflow machine does on it. Unlike plan.ts (deploy/decommission: one step per pod instance,
 * advanced by POD_STATE), a workflow step is an effect the plan runs itself: a named actor bound in
 * src/ with `.provide()`, complete when the effect says so.
 */

export type JsonScalar = string | number | boolean | null;
/** What a step acts on and what it recorded before acting (e.g. the task it restarts). */
export type StepParams = Record<string, JsonScalar>;

/**
 * PENDING: not started. STARTING: its effect runs (persisted before the effect starts).
 * WAITING: not acting yet, held (paused plan, or the effect waits for a slot before it acts).
 * COMPLETE / ERROR: the effect said so.
 */
export type WorkflowStepStatus = 'PENDING' | 'STARTING' | 'WAITING' | 'COMPLETE' | 'ERROR';

/** Every step effect a workflow can name; each is an actor of the workflow machine. */
export const STEP_EFFECTS = [
  'updateVolumeSpec',
  'changeReplication',
  'restartPod',
  'stopPod',
  'restoreVolume',
  'startPod',
  // The uninstall plan's steps (src/workflows/uninstall-workflow.ts), started by the supervisor
  // (framework.machine.ts `uninstalling`), which mirrors their progress.
  'killTasks',
  'detachVolumes',
  'disposeVolumes',
  'teardown',
  'deleteState',
  'removeApp',
  // A sidecar plan's step (src/sidecar/): a command run inside a pod's running task.
  'runCommand',
] as const;
export type StepEffect = (typeof STEP_EFFECTS)[number];

export interface WorkflowStep {
  /** Unique in the plan (the id of its effect actor). */
  name: string;
  effect: StepEffect;
  status: WorkflowStepStatus;
  message?: string;
  params: StepParams;
}

export interface WorkflowPhase {
  name: string;
  /** serial: one step at a time; parallel: up to `maxInFlight` (all when unset). */
  strategy: 'serial' | 'parallel';
  maxInFlight?: number;
  steps: WorkflowStep[];
  /** Operator PAUSE of this phase only (`plan pause PLAN --phase P`): nothing of it starts, nor after it. */
  paused?: boolean;
}

export interface WorkflowPlan {
  /** `update`, `restore`: also the KV key `plans.<name>`. */
  name: string;
  /** Identifies this run (the configuration id of an update, the snapshot of a restore). */
  id: string;
  /** Plan-wide facts every step effect gets (e.g. the target configuration id). */
  params: StepParams;
  paused: boolean;
  /** Set by the first failed step: nothing new starts until `plan resume`. */
  error: string | null;
  /** Phases run in order; a phase starts once every step before it is complete. */
  phases: WorkflowPhase[];
}

export interface WorkflowContext {
  plan: WorkflowPlan;
  /** Steps whose effect actor runs in this process (not persisted: a restart starts none). */
  inFlight: string[];
  /** Steps waiting for their checkpoint to be stored before they act. */
  checkpoints: string[];
}

export interface WorkflowInput {
  plan: WorkflowPlan;
}

export interface StepInput {
  plan: { name: string; id: string; params: StepParams };
  step: WorkflowStep;
}

export interface StepOutcome {
  message?: string;
  params?: StepParams;
}

export type WorkflowEvent =
  | { type: 'STEP_PROGRESS'; step: string; message: string; waiting: boolean }
  | { type: 'STEP_CHECKPOINT'; step: string; params: StepParams; message?: string }
  | { type: 'STEP_DONE'; step: string; message?: string; params?: StepParams }
  | { type: 'STEP_FAILED'; step: string; reason: string }
  | { type: 'PAUSE'; phase?: string }
  | { type: 'RESUME'; phase?: string };

/** Sent to a step's effect once its checkpoint is in KV. */
export type CheckpointedEvent = { type: 'CHECKPOINTED' };

/** State tags: `hasTag` / `waitFor` on a workflow actor. */
export const WORKFLOW_TAGS = {
  inProgress: 'in-progress',
  complete: 'complete',
  error: 'error',
  paused: 'paused',
  /** Another scheduler instance wrote the plan: this actor stopped driving it. */
  superseded: 'superseded',
} as const;

export function allSteps(plan: WorkflowPlan): WorkflowStep[] {
  return plan.phases.flatMap((p) => p.steps);
}

export function planComplete(plan: WorkflowPlan): boolean {
  return allSteps(plan).every((s) => s.status === 'COMPLETE');
}

function mapSteps(plan: WorkflowPlan, fn: (s: WorkflowStep) => WorkflowStep): WorkflowPlan {
  return { ...plan, phases: plan.phases.map((ph) => ({ ...ph, steps: ph.steps.map(fn) })) };
}

export function updateStep(plan: WorkflowPlan, name: string, patch: Partial<WorkflowStep>): WorkflowPlan {
  return mapSteps(plan, (s) => (s.name === name ? { ...s, ...patch, params: { ...s.params, ...(patch.params ?? {}) } } : s));
}

/**
 * A plan read back from KV: no effect runs yet. A WAITING step never acted since its last
 * checkpoint, so it is PENDING again unless the plan is paused; STARTING steps are re-run.
 */
export function resumedPlan(plan: WorkflowPlan): WorkflowPlan {
  if (plan.paused) return plan;
  return { ...plan, phases: plan.phases.map((ph) => (ph.paused ? ph : { ...ph, steps: ph.steps.map((s) => (s.status === 'WAITING' ? { ...s, status: 'PENDING' as const } : s)) })) };
}

/** The phase that runs now: the first with a step not complete. */
function activePhase(plan: WorkflowPlan): WorkflowPhase | undefined {
  return plan.phases.find((ph) => ph.steps.some((s) => s.status !== 'COMPLETE'));
}

/** STARTING steps with no effect running here (a resumed plan): their effect starts again. */
export function orphanedSteps(ctx: WorkflowContext): WorkflowStep[] {
  return allSteps(ctx.plan).filter((s) => s.status === 'STARTING' && !ctx.inFlight.includes(s.name));
}

/** PENDING steps that may start now, within the active phase's strategy and max-in-flight. */
export function stepsToStart(plan: WorkflowPlan): WorkflowStep[] {
  if (plan.paused || plan.error !== null) return [];
  const phase = activePhase(plan);
  if (!phase || phase.paused || phase.steps.some((s) => s.status === 'ERROR')) return [];
  const limit = phase.strategy === 'serial' ? 1 : Math.max(1, phase.maxInFlight ?? phase.steps.length);
  const busy = phase.steps.filter((s) => s.status === 'STARTING' || s.status === 'WAITING').length;
  return phase.steps.filter((s) => s.status === 'PENDING').slice(0, Math.max(0, limit - busy));
}

/** Hold the PENDING steps of the plan, or with `phase` of that phase only (the phases after it wait for it). */
export function pauseWorkflow(plan: WorkflowPlan, phase?: string): WorkflowPlan {
  const hold = (s: WorkflowStep): WorkflowStep => (s.status === 'PENDING' ? { ...s, status: 'WAITING' } : s);
  if (phase !== undefined) return { ...plan, phases: plan.phases.map((ph) => (ph.name === phase ? { ...ph, paused: true, steps: ph.steps.map(hold) } : ph)) };
  return { ...mapSteps(plan, hold), paused: true };
}

/**
 * `plan resume`: held steps go on and the failed steps are tried again; every paused phase is
 * released. With `phase`, that phase only is released (its failed steps tried again too).
 */
export function resumeWorkflow(plan: WorkflowPlan, inFlight: string[], phase?: string): WorkflowPlan {
  const again = (s: WorkflowStep): WorkflowStep => {
    if (s.status === 'ERROR') return { ...s, status: 'PENDING', message: 'retrying' };
    if (s.status === 'WAITING' && !inFlight.includes(s.name) && !(phase !== undefined && plan.paused)) return { ...s, status: 'PENDING' };
    return s;
  };
  const release = (ph: WorkflowPhase): WorkflowPhase => {
    const { paused: _paused, ...rest } = ph;
    return { ...rest, steps: ph.steps.map(again) };
  };
  if (phase === undefined) return { ...plan, phases: plan.phases.map(release), paused: false, error: null };
  const phases = plan.phases.map((ph) => (ph.name === phase ? release(ph) : ph));
  const failed = phases.some((ph) => ph.steps.some((s) => s.status === 'ERROR'));
  return { ...plan, phases, error: failed ? plan.error : null };
}

export function failStep(plan: WorkflowPlan, name: string, reason: string): WorkflowPlan {
  const failed = updateStep(plan, name, { status: 'ERROR', message: reason });
  return { ...failed, error: plan.error ?? `stopped at step ${name}: ${reason}` };
}

export type WorkflowStatus = 'PENDING' | 'IN_PROGRESS' | 'COMPLETE' | 'ERROR' | 'WAITING';

export function stepsStatus(steps: WorkflowStep[], paused = false): WorkflowStatus {
  if (steps.every((s) => s.status === 'COMPLETE')) return 'COMPLETE';
  if (steps.some((s) => s.status === 'ERROR')) return 'ERROR';
  if (steps.some((s) => s.status === 'STARTING' || s.status === 'COMPLETE')) return 'IN_PROGRESS';
  if (paused || steps.some((s) => s.status === 'WAITING')) return 'WAITING';
  return 'PENDING';
}
