import { PxfwError } from '../../errors';

/** A fault-injection or query named an agent (id or hostname) the simulator never had. */
export class SimAgentNotFoundError extends PxfwError {
  readonly code = 'SIM_AGENT_NOT_FOUND';
  readonly retryable = false;
  constructor(readonly agent: string) {
    super(`no agent with id or hostname '${agent}' in the simulated cluster`);
  }
}

/** A fault-injection named a task the simulated master does not know. */
export class SimTaskNotFoundError extends PxfwError {
  readonly code = 'SIM_TASK_NOT_FOUND';
  readonly retryable = false;
  constructor(readonly taskId: string) {
    super(`no active task with id '${taskId}' in the simulated cluster`);
  }
}

/** The requested transition does not apply to the current state (e.g. partitioning a removed agent). */
export class SimInvalidTransitionError extends PxfwError {
  readonly code = 'SIM_INVALID_TRANSITION';
  readonly retryable = false;
}

/** The simulator's options (flags) are invalid. */
export class SimOptionsError extends PxfwError {
  readonly code = 'SIM_OPTIONS_INVALID';
  readonly retryable = false;
}

/** The HTTP server could not listen (port taken, permission). */
export class SimListenError extends PxfwError {
  readonly code = 'SIM_LISTEN_FAILED';
  readonly retryable = true;
}

/** The control endpoint of a running simulator refused or failed a request (CLI side). */
export class SimControlError extends PxfwError {
  readonly code = 'SIM_CONTROL_FAILED';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
