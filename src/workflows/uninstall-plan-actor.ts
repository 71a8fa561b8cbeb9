import { fromCallback, type EventObject } from 'xstate';
import type { UninstallPlanInput, UninstallPlanUpdate } from '../../machines/framework.types';
import { allSteps, planComplete, resumeWorkflow, updateStep, WORKFLOW_TAGS, type WorkflowPlan } from '../../machines/workflow.types';
import type { Logger } from '../log/logger';
import { WorkflowRunner, type PlanStore } from './workflow-runner';
import {
  buildUninstallPlan,
  completedSteps,
  parseRetrying,
  UNINSTALL_PLAN,
  uninstallEffects,
  uninstallPlanId,
  uninstallPlanStore,
  type TombstoneProgress,
  type UninstallActs,
  type UninstallFlags,
} from './uninstall-workflow';

export interface UninstallPlanDeps {
  /** The service's KV bucket (compare-and-set). */
  kv: PlanStore;
  /** The tombstone's uninstall progress, once the state is deleted (undefined before). */
  tombstone(): Promise<TombstoneProgress | undefined>;
  acts: UninstallActs;
  /** The supervisor's flags now (a second UNINSTALL widens them); the plan's own when absent. */
  flags?: () => UninstallFlags | undefined;
  logger: Logger;
  /** Wait before reading or writing the plan again after a failure (not a conflict). */
  storeRetryMs?: number;
}

/**
 * The plan to run for this request: the stored one of the same uninstall (steps the supervisor's
 * record has done count as done; a plan stopped at a failed step is tried again at that step),
 * or a new one.
 */
export function planToRun(stored: WorkflowPlan | undefined, input: UninstallPlanInput): WorkflowPlan {
  if (!stored || stored.id !== uninstallPlanId(input.frameworkId)) return buildUninstallPlan(input);
  let plan = stored.error !== null || stored.paused ? resumeWorkflow(stored, []) : stored;
  for (const s of allSteps(plan)) if (input.done.includes(s.name as never) && s.status !== 'COMPLETE') plan = updateStep(plan, s.name, { status: 'COMPLETE' });
  return plan;
}

/** What the supervisor mirrors of a stored plan. */
function updateOf(plan: WorkflowPlan, complete: boolean, error: UninstallPlanUpdate['error']): UninstallPlanUpdate {
  const param = (step: string, key: string) => {
    const v = allSteps(plan).find((s) => s.name === step)?.params[key];
    return typeof v === 'string' ? v : null;
  };
  const retry = allSteps(plan).map((s) => (s.status === 'STARTING' ? parseRetrying(s.message) : null)).find((r) => r !== null) ?? null;
  return { type: 'UNINSTALL_PLAN', done: completedSteps(plan), uninstalledAt: param('delete-state', 'uninstalledAt'), app: param('remove-app', 'app'), complete, error, retrying: retry };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The supervisor's `runUninstallPlan`: loads `plans.uninstall` (or the tombstone), runs it with the
 * workflow machine, and reports each stored progress (a plan write that succeeded) and the end:
 * the completion tag, or the error of the step it stopped at. Stopping it (the supervisor leaves
 * `uninstalling`) drops the actor; the next start resumes from what is stored.
 */
export function uninstallPlanActor(deps: UninstallPlanDeps) {
  return fromCallback<EventObject, UninstallPlanInput>(({ input, sendBack }) => {
    let stopped = false;
    let last = '';
    const send = (u: UninstallPlanUpdate) => {
      const key = JSON.stringify(u);
      if (stopped || key === last) return;
      last = key;
      sendBack(u);
    };
    const base = uninstallPlanStore(deps.kv, deps.tombstone);
    // A write that succeeded is stored progress: mirror it (the end is reported by the tags).
    const store: PlanStore = {
      get: (key) => base.get(key),
      put: async (key, value, rev) => {
        const revision = await base.put(key, value, rev);
        const plan = value as WorkflowPlan;
        if (!planComplete(plan) && plan.error === null) send(updateOf(plan, false, null));
        return revision;
      },
    };
    const planFlags = (): UninstallFlags => deps.flags?.() ?? { deleteVolumes: input.deleteVolumes, deleteSnapshots: input.deleteSnapshots };
    const runner = new WorkflowRunner(UNINSTALL_PLAN, {
      store,
      logger: deps.logger,
      persistRetryMs: deps.storeRetryMs ?? input.retry.initialMs,
      effects: uninstallEffects({ acts: deps.acts, flags: planFlags, retry: input.retry }),
    });
    let unsubscribe = () => undefined as void;
    const start = async () => {
      for (;;) {
        try {
          const stored = await runner.load();
          if (stopped) return;
          const actor = runner.run(planToRun(stored, input))!;
          const sub = actor.subscribe((snap) => {
            const plan = snap.context.plan;
            if (snap.hasTag(WORKFLOW_TAGS.complete)) send(updateOf(plan, true, null));
            else if (snap.hasTag(WORKFLOW_TAGS.error)) send(updateOf(plan, false, { message: plan.error ?? 'stopped', retryable: false }));
          });
          unsubscribe = () => sub.unsubscribe();
          return;
        } catch (err) {
          deps.logger.warn({ err }, 'could not read the uninstall plan: trying again');
          await sleep(deps.storeRetryMs ?? input.retry.initialMs);
          if (stopped) return;
        }
      }
    };
    void start();
    return () => {
      stopped = true;
      unsubscribe();
      runner.stop();
    };
  });
}
