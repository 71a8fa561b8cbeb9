import { PxfwError } from '../errors';
import { OperationError } from '../api/errors';
import type { RefusedChange } from './config-diff';

/** A step of the update plan cannot be done: the plan stops there and `plan status update` says why. */
export class UpdateStepFailedError extends PxfwError {
  readonly code = 'UPDATE_STEP_FAILED';
  readonly retryable = false;
}

/**
 * `config update` with changes that cannot be made (a volume rename, a path change, a shrink, a
 * pod type removed while it has pods, …): 400, naming every refused field; nothing is changed.
 */
export class ConfigChangeRefusedError extends OperationError {
  readonly code = 'CONFIG_CHANGE_REFUSED';
  readonly retryable = false;
  readonly status = 400;
  constructor(
    readonly refused: RefusedChange[],
    message: string,
  ) {
    super(message);
  }
}

/** A new configuration while the last update plan still runs: 409, wait or pause it. */
export class UpdateInProgressError extends OperationError {
  readonly code = 'UPDATE_IN_PROGRESS';
  readonly retryable = true;
  readonly status = 409;
}

/** `config rollback` with no configuration before the target (or its YAML not in KV): 409, nothing changed. */
export class NoPreviousConfigError extends OperationError {
  readonly code = 'NO_PREVIOUS_CONFIG';
  readonly retryable = false;
  readonly status = 409;
}
