import { PxfwError } from '../errors';
import { OperationError } from '../api/errors';

/** A step of the restore plan cannot be done: the plan stops there; `plan status restore` says why. */
export class RestoreStepFailedError extends PxfwError {
  readonly code = 'RESTORE_STEP_FAILED';
  readonly retryable = false;
}

/** The restore plan stopped at a failed step (the request's answer): 500, `plan resume restore` retries. */
export class RestoreFailedError extends OperationError {
  readonly code = 'RESTORE_FAILED';
  readonly retryable = true;
  readonly status = 500;
}

/** A restore while another one is under way: 409. */
export class RestoreInProgressError extends OperationError {
  readonly code = 'RESTORE_IN_PROGRESS';
  readonly retryable = true;
  readonly status = 409;
}
