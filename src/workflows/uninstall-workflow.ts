import { StepAbortedError, type StepIO, type StepRun } from '../../machines/workflow.effects';
import { backoffMs } from '../../machines/backoff';
import { toEffectError } from '../../machines/effect-error';
import { UNINSTALL_STEPS, type UninstallStep } from '../../machines/framework.types';
import { allSteps, type StepEffect, type StepOutcome, type WorkflowPlan, type WorkflowStep } from '../../machines/workflow.types';
import { planKey, type PlanStore } from './workflow-runner';

/*
 * Uninstall as a workflow plan (`plans.uninstall`): one serial phase, one step per uninstall step
 * (kill tasks → detach volumes → delete or keep volumes and snapshots → TEARDOWN → delete the state
 * but the tombstone → remove the Marathon app), each persisted before it acts and resumed at the
 * exact step after a SIGKILL. The supervisor starts it (framework.machine.ts `uninstalling`) and
 * mirrors its progress in `ctx.uninstall.done`, which goes to the tombstone with the rest of its
 * context.
 *
 * Once the state is deleted the bucket keeps three keys only (meta.owner, lease, tombstone): from
 * then on the plan is the tombstone's `uninstall.done` (read back from it, never written: the
 * supervisor writes the tombstone), see `uninstallPlanStore`.
 */

export const UNINSTALL_PLAN = 'uninstall';

export const UNINSTALL_EFFECT: Record<UninstallStep, StepEffect> = {
  'kill-tasks': 'killTasks',
  'detach-volumes': 'detachVolumes',
  'dispose-volumes': 'disposeVolumes',
  teardown: 'teardown',
  'delete-state': 'deleteState',
  'remove-app': 'removeApp',
};

export interface UninstallFlags {
  deleteVolumes: boolean;
  deleteSnapshots: boolean;
}

export interface UninstallRequest extends UninstallFlags {
  frameworkId: string | null;
  /** Steps the supervisor's record says are done (its mirror, or an uninstall of an older version). */
  done: readonly UninstallStep[];
}

/** One uninstall per registered framework: a plan of another framework id is an older uninstall's. */
export function uninstallPlanId(frameworkId: string | null): string {
  return `uninstall:${frameworkId ?? 'unregistered'}`;
}

export function buildUninstallPlan(req: UninstallRequest): WorkflowPlan {
  const steps: WorkflowStep[] = UNINSTALL_STEPS.map((name) => ({
    name,
    effect: UNINSTALL_EFFECT[name],
    status: req.done.includes(name) ? 'COMPLETE' : 'PENDING',
    params: {},
  }));
  return {
    name: UNINSTALL_PLAN,
    id: uninstallPlanId(req.frameworkId),
    params: { deleteVolumes: req.deleteVolumes, deleteSnapshots: req.deleteSnapshots },
    paused: false,
    error: null,
    phases: [{ name: UNINSTALL_PLAN, strategy: 'serial', steps }],
  };
}

/** The steps of a plan that are complete, in plan order. */
export function completedSteps(plan: WorkflowPlan): UninstallStep[] {
  return allSteps(plan)
    .filter((s) => s.status === 'COMPLETE')
    .map((s) => s.name as UninstallStep);
}

/** What the tombstone keeps of an uninstall (tombstone.ts `tombstoneSchema`). */
export interface TombstoneProgress {
  frameworkId: string | null;
  uninstall: UninstallFlags & { done: readonly UninstallStep[] };
}

/**
 * The store of the uninstall plan: `plans.uninstall` until the state is deleted, then the tombstone
 * (read as a plan: its done steps complete, the others pending; writes are dropped, since only the
 * tombstone may stay in the bucket and the supervisor writes it with the progress it mirrors).
 */
export function uninstallPlanStore(kv: PlanStore, tombstone: () => Promise<TombstoneProgress | undefined>): PlanStore {
  let virtual = 0;
  return {
    async get<T>(key: string) {
      const t = key === planKey(UNINSTALL_PLAN) ? await tombstone() : undefined;
      if (!t) return kv.get<T>(key);
      const plan = buildUninstallPlan({ frameworkId: t.frameworkId, ...t.uninstall });
      return { value: plan as T, revision: ++virtual };
    },
    async put<T>(key: string, value: T, expectedRevision: number) {
      if (key === planKey(UNINSTALL_PLAN) && (await tombstone())) return expectedRevision + 1;
      return kv.put(key, value, expectedRevision);
    },
  };
}

/** The uninstall steps' acts (framework-effects.ts, tombstone.ts), each idempotent: a re-run checks the world first. */
export interface UninstallActs {
  killTasks(): Promise<void>;
  detachVolumes(): Promise<void>;
  disposeVolumes(flags: UninstallFlags): Promise<void>;
  teardown(): Promise<void>;
  deleteState(): Promise<{ uninstalledAt: string }>;
  removeApp(): Promise<{ message: string }>;
}

export interface UninstallEffectDeps {
  acts: UninstallActs;
  /** The flags now: a second UNINSTALL may widen them until the dispose step ran. */
  flags(): UninstallFlags;
  /** Backoff between attempts of a step that failed with a retryable error. */
  retry: { initialMs: number; maxMs: number };
}

/** The message of a step that tries again after a retryable error: `retrying (CODE): why`. */
export function retryingMessage(code: string, message: string): string {
  return `retrying (${code}): ${message}`;
}

/** The code and reason of a `retryingMessage`, or null. */
export function parseRetrying(message: string | undefined): { code: string; message: string } | null {
  const m = /^retrying \(([^)]*)\): ([\s\S]*)$/.exec(message ?? '');
  return m ? { code: m[1]!, message: m[2]! } : null;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * A step that retries its act after a retryable error (backoff, the reason shown by `plan status`)
 * and fails on a terminal one: the plan stops there, the supervisor is `uninstalling.blocked`
 * until RETRY (as before the plan, `retryOrPark`).
 */
function retrying(deps: UninstallEffectDeps, act: (io: StepIO) => Promise<StepOutcome>): StepRun {
  return async (_input, io) => {
    for (let attempt = 1; ; attempt += 1) {
      if (io.signal.aborted) throw new StepAbortedError('uninstall step stopped');
      try {
        return await act(io);
      } catch (err) {
        const e = toEffectError(err);
        if (!e.retryable || io.signal.aborted) throw err;
        io.progress(retryingMessage(e.code, e.message));
        await sleep(backoffMs(attempt, deps.retry), io.signal);
      }
    }
  };
}

export function uninstallEffects(deps: UninstallEffectDeps): Partial<Record<StepEffect, StepRun>> {
  const { acts } = deps;
  return {
    killTasks: retrying(deps, async () => (await acts.killTasks(), { message: 'every task ended' })),
    detachVolumes: retrying(deps, async () => (await acts.detachVolumes(), { message: 'volumes detached' })),
    disposeVolumes: retrying(deps, async () => {
      const flags = deps.flags();
      await acts.disposeVolumes(flags);
      return { message: `volumes ${flags.deleteVolumes ? 'deleted' : 'kept'}, snapshots ${flags.deleteSnapshots ? 'deleted' : 'kept'}`, params: { ...flags } };
    }),
    teardown: retrying(deps, async () => (await acts.teardown(), { message: 'framework torn down' })),
    deleteState: retrying(deps, async () => {
      const { uninstalledAt } = await acts.deleteState();
      return { message: 'state deleted but the tombstone', params: { uninstalledAt } };
    }),
    removeApp: retrying(deps, async () => {
      const { message } = await acts.removeApp();
      return { message, params: { app: message } };
    }),
  };
}
