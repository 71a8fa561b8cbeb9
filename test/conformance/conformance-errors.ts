import { PxfwError } from '../../src/errors';

/**
 * Failures of the conformance checkers themselves (not of the traffic they check: violations
 * are returned as strings). Each one means the check could not run at all.
 */

/** The Mesos .proto files (or gogo.proto they import) are not on this machine. */
export class MesosProtosMissingError extends PxfwError {
  readonly code = 'CONFORMANCE_PROTOS_MISSING';
  readonly retryable = false;
  constructor(
    message: string,
    readonly packageName: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The OpenStorage SDK OpenAPI document is not beside the repository. */
export class OpenApiSpecMissingError extends PxfwError {
  readonly code = 'CONFORMANCE_SPEC_MISSING';
  readonly retryable = false;
}

/** A checker was asked about a message type the loaded definitions do not have. */
export class UnknownMessageTypeError extends PxfwError {
  readonly code = 'CONFORMANCE_UNKNOWN_TYPE';
  readonly retryable = false;
}

/** A recording file named for checking does not exist or cannot be read. */
export class RecordingUnreadableError extends PxfwError {
  readonly code = 'CONFORMANCE_RECORDING_UNREADABLE';
  readonly retryable = false;
}
