import type { StepIO, StepRun } from '../../machines/workflow.effects';
import { StepAbortedError } from '../../machines/workflow.effects';
import type { StepInput } from '../../machines/workflow.types';
import { UpdateStepFailedError } from '../controller/config-update-errors';
import { nextPodChange, type WorkflowPodView, type WorkflowPods } from './pod-view';

export interface RestartDeps extends WorkflowPods {
  /** Send RESTART to a pod (relaunch in place with the target spec); its ready tag drops at once. */
  restart(pod: string): void;
  maxUnavailable(podType: string): number;
  /** How long a restarted pod may take to be ready again before the step fails. */
  readyTimeoutMs: number;
  /** Divides the timeouts (the sandbox runs time faster); messages name the unscaled seconds. */
  timeScale: number;
  /** Re-read interval when no pod change comes. */
  pollMs: number;
}

type PodCheck = { done: string } | { wait: string; held: boolean } | { fail: string } | 'restart';

/**
 * Where a pod stands against the target configuration. A pod is on the target when its task was
 * launched with the target id, or (a pod machine that records no id) when it runs another task
 * than the one the step recorded before its RESTART.
 */
function check(pod: WorkflowPodView | undefined, targets: string[], taskAtStart: string | null | undefined, restarted: boolean): PodCheck {
  if (!pod) return { done: 'no longer exists (scaled down)' };
  const target = targets[0];
  const onTarget = pod.configId !== null ? targets.includes(pod.configId) : taskAtStart !== undefined && pod.taskId !== taskAtStart;
  if (onTarget && pod.ready) return { done: `running ${pod.taskId ?? ''} ready with configuration ${target}`.replace('  ', ' ') };
  if (pod.blocked) return { fail: `${pod.name} did not come back: ${pod.state}` };
  if (!pod.ready) {
    // Restarted (now or before a crash): wait for it, within the deadline; down for another reason: hold.
    if (onTarget || restarted || taskAtStart !== undefined) return { wait: `restarting (${pod.state})`, held: false };
    return { wait: `waiting for ${pod.name} to run (${pod.state})`, held: true };
  }
  return 'restart';
}

/** Other pods of the type not ready: each counts against `max_unavailable`, whatever its failure domain. */
function slotFree(deps: RestartDeps, pod: WorkflowPodView): string | null {
  const down = deps.pods().filter((p) => p.podType === pod.podType && p.name !== pod.name && !p.ready);
  const limit = deps.maxUnavailable(pod.podType);
  if (down.length < limit) return null;
  return `waiting: ${down.map((p) => `${p.name} (${p.state})`).join(', ')} down, failure_policy.max_unavailable is ${limit}`;
}

async function restartLoop(deps: RestartDeps, input: StepInput, io: StepIO): Promise<string> {
  const name = String(input.step.params.pod ?? input.step.name);
  const target = String(input.plan.params.configId ?? input.plan.id);
  // A plan migrated from a raw-YAML id: pods it relaunched before carry that id (config-id.ts).
  const targets = input.plan.params.legacyConfigId ? [target, String(input.plan.params.legacyConfigId)] : [target];
  let taskAtStart = input.step.params.taskAtStart as string | null | undefined;
  let restarted = false;
  let deadline = Date.now() + deps.readyTimeoutMs;
  for (;;) {
    if (io.signal.aborted) throw new StepAbortedError(`${name}: stopped`);
    const pod = deps.pods().find((p) => p.name === name);
    const at = check(pod, targets, taskAtStart, restarted);
    if (typeof at === 'object' && 'done' in at) return at.done;
    if (typeof at === 'object' && 'fail' in at) throw new UpdateStepFailedError(at.fail);
    if (typeof at === 'object') {
      if (!at.held && Date.now() > deadline) {
        throw new UpdateStepFailedError(`${name} not ready ${Math.round((deps.readyTimeoutMs * deps.timeScale) / 1000)} s after its restart (state ${pod!.state})`);
      }
      io.progress(at.wait, at.held);
    } else {
      const full = slotFree(deps, pod!);
      if (full) io.progress(full, true);
      else if (taskAtStart !== pod!.taskId) {
        // Intent before the act: a scheduler killed after the RESTART knows which task it replaced.
        await io.checkpoint({ taskAtStart: pod!.taskId }, 'restarting');
        taskAtStart = pod!.taskId;
        continue; // the world may have changed during the write: check again before acting
      } else {
        deps.restart(name);
        restarted = true;
        deadline = Date.now() + deps.readyTimeoutMs;
        io.progress('restarting');
      }
    }
    await nextPodChange(deps, deps.pollMs, io.signal);
  }
}

/**
 * The `restartPod` step of the update plan: relaunch one pod in place with the target
 * configuration, only when no more than `max_unavailable` pods of its type would then be unready,
 * and complete only once the relaunched pod is ready with the target id. A pod already on the
 * target is not restarted (a re-run after a crash, or a pod relaunched meanwhile).
 */
export function restartPodEffect(deps: RestartDeps): StepRun {
  return async (input, io) => ({ message: await restartLoop(deps, input, io) });
}
