import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
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

// Parsers: what a NATS/JetStream failure means for the state store. nats.js gives a typed
// JetStreamApiError carrying the server's err_code; the message text is read only for errors
// that reach us without one (older servers, errors wrapped by other layers).

const WRONG_LAST_SEQUENCE: ReadonlySet<number> = new Set([
  JetStreamApiCodes.StreamWrongLastSequence,
  JetStreamApiCodes.StreamWrongLastSequenceUnknown,
]);

function messageOf(err: unknown): string {
  return String((err as { message?: unknown } | null)?.message ?? err);
}

/** A compare-and-set write refused because the key is no longer at the expected revision. */
export function isRevisionMismatch(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return WRONG_LAST_SEQUENCE.has(err.code);
  return /wrong last sequence|key exists|10071/i.test(messageOf(err));
}

/** The typed error of a failed KV write of `key`: lost the race (conflict), or KV unavailable. */
export function parseStateWriteError(err: unknown, key: string): StateConflictError | StateUnavailableError {
  if (err instanceof StateConflictError) return err;
  if (isRevisionMismatch(err)) return new StateConflictError(key, { cause: err });
  return new StateUnavailableError(`cannot write state key '${key}'`, { cause: err });
}

/** JetStream answered that the stream (a KV bucket is the stream `KV_<bucket>`) does not exist. */
export function isStreamNotFound(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return err.code === JetStreamApiCodes.StreamNotFound;
  return /not found/i.test(messageOf(err));
}
