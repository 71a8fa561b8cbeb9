import type { StepRun } from '../../machines/workflow.effects';
import { PxfwError } from '../errors';

/** Where a command runs: a pod's running task and its container (from its last TaskStatus). */
export interface CommandTarget {
  taskId: string;
  agentId: string;
  hostname: string;
  containerId: { value: string; parent?: { value: string } };
}

export interface SidecarCommandDeps {
  /** The pod's running task, or why there is none (not running, container not known yet). */
  target(pod: string): CommandTarget | string;
  runner: { run(target: CommandTarget, command: string, timeoutMs: number): Promise<{ exitCode: number }> } | undefined;
}

/** A sidecar step's command could not run or did not succeed; the plan stops at that step. */
export class SidecarCommandError extends PxfwError {
  readonly code = 'SIDECAR_COMMAND_FAILED';
  readonly retryable = true;
}

/**
 * The `runCommand` step: run the step's command in its pod's task and wait for it. Running it
 * again after a restart repeats the command, so sidecar commands must be safe to repeat
 * (nodetool repair and cleanup are).
 */
export function runCommandEffect(deps: SidecarCommandDeps): StepRun {
  return async (input, io) => {
    const pod = String(input.step.params.pod);
    const command = String(input.step.params.command);
    const timeoutMs = Number(input.step.params.timeoutMs);
    const target = deps.target(pod);
    if (typeof target === 'string') throw new SidecarCommandError(`${pod}: ${target}`);
    if (!deps.runner) throw new SidecarCommandError('no command runner configured (commands run through the Mesos agent API)');
    io.progress(`running in ${target.taskId} on ${target.hostname}`);
    const { exitCode } = await deps.runner.run(target, command, timeoutMs);
    if (exitCode !== 0) throw new SidecarCommandError(`${pod}: the command exited with code ${exitCode}`);
    return { message: `done on ${target.hostname}` };
  };
}
