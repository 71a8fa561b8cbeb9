import { PxfwError } from '../errors';
import { OperationError } from '../api/errors';

/** A compare-and-set write lost the race: someone else wrote the key since we read it. */
export class StateConflictError extends PxfwError {
  readonly code = 'STATE_CONFLICT';
  readonly retryable = true;
  constructor(
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`state key '${key}' was changed by another writer`, options);
  }
}

/** The KV bucket could not be reached or written (NATS down, JetStream unavailable). */
export class StateUnavailableError extends PxfwError {
  readonly code = 'STATE_UNAVAILABLE';
  readonly retryable = true;
}

/** A stored value is not valid JSON of the expected shape. */
export class StateCorruptError extends PxfwError {
  readonly code = 'STATE_CORRUPT';
  readonly retryable = false;
}

/** Another scheduler instance holds the leader lease. */
export class LeaseHeldError extends PxfwError {
  readonly code = 'LEASE_HELD';
  readonly retryable = true;
  constructor(
    readonly holder: string,
    readonly expiresAt: number,
  ) {
    super(`leader lease is held by ${holder} until ${new Date(expiresAt).toISOString()}`);
  }
}

/**
 * The service's state bucket exists but was made by someone else: another service, or a sandbox
 * instead of a scheduler (or another sandbox). pxfw never deletes or adopts such state; a person
 * has to decide (the message says how).
 */
export class StateOwnershipError extends PxfwError {
  readonly code = 'STATE_NOT_OURS';
  readonly retryable = false;
  constructor(
    message: string,
    readonly bucket: string,
    readonly owner: unknown,
  ) {
    super(message);
  }
}

/**
 * A state write the caller waits for did not reach KV: this instance stopped leading (the write
 * was dropped) or KV did not answer in time (NATS unavailable). Whatever depended on the write
 * (an operator's OK, a destructive effect) must not happen; the caller may retry.
 */
export class StateNotSavedError extends OperationError {
  readonly code = 'STATE_NOT_SAVED';
  readonly retryable = true;
  readonly status = 503;
  constructor(
    readonly key: string,
    readonly why: 'dropped' | 'timeout',
    options?: { cause?: unknown },
  ) {
    super(
      why === 'dropped'
        ? `state not saved: this scheduler stopped leading before '${key}' was written, retry`
        : `state not saved: NATS unavailable ('${key}' not written in time), retry`,
      options,
    );
  }
}
