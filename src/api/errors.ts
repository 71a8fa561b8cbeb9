import { PxfwError } from '../errors';

/**
 * Errors an operation reports to the operator. `status` is the NATS micro service error code
 * (HTTP-like) sent in the Nats-Service-Error-Code header.
 */
export abstract class OperationError extends PxfwError {
  abstract readonly status: number;
}

export class UnknownPodError extends OperationError {
  readonly code = 'UNKNOWN_POD';
  readonly retryable = false;
  readonly status = 404;
}

export class UnknownPlanError extends OperationError {
  readonly code = 'UNKNOWN_PLAN';
  readonly retryable = false;
  readonly status = 404;
}

export class UnknownSnapshotError extends OperationError {
  readonly code = 'UNKNOWN_SNAPSHOT';
  readonly retryable = false;
  readonly status = 404;
}

export class InvalidRequestError extends OperationError {
  readonly code = 'INVALID_REQUEST';
  readonly retryable = false;
  readonly status = 400;
}

export class ConfirmationRequiredError extends OperationError {
  readonly code = 'CONFIRMATION_REQUIRED';
  readonly retryable = false;
  readonly status = 412;
}

/** The operation conflicts with one in progress (e.g. scale during uninstall). */
export class OperationConflictError extends OperationError {
  readonly code = 'CONFLICT';
  readonly retryable = true;
  readonly status = 409;
}

export class OperationFailedError extends OperationError {
  readonly code = 'OPERATION_FAILED';
  readonly retryable = false;
  readonly status = 500;
}
