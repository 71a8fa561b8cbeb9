import { PxfwError } from '../errors';

/** The Portworx SDK endpoint could not be reached or answered something that is not the SDK. */
export class AlertSourceError extends PxfwError {
  readonly code = 'ALERTS_SOURCE_UNAVAILABLE';
  readonly retryable = true;
}

/** The SDK answered the alerts stream with an error chunk or an error status. */
export class AlertStreamError extends PxfwError {
  readonly code = 'ALERTS_STREAM_ERROR';
  readonly retryable: boolean;
  constructor(
    message: string,
    readonly grpcCode: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    // InvalidArgument, NotFound, PermissionDenied, Unimplemented, Unauthenticated will not go away.
    this.retryable = grpcCode === undefined || ![3, 5, 7, 12, 16].includes(grpcCode);
  }
}

/** JetStream did not confirm a publish (NATS down, stream missing, timeout). */
export class AlertPublishError extends PxfwError {
  readonly code = 'ALERTS_PUBLISH_FAILED';
  readonly retryable = true;
}

/** The alerts stream cannot be created as configured (e.g. another stream already takes its subjects). */
export class AlertStreamConfigError extends PxfwError {
  readonly code = 'ALERTS_STREAM_CONFIG';
  readonly retryable = false;
}
