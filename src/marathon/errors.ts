import { PxfwError } from '../errors';

/** Marathon could not be reached, or answered 5xx: removing the app may work later. */
export class MarathonUnavailableError extends PxfwError {
  readonly code = 'MARATHON_UNAVAILABLE';
  readonly retryable = true;
}

/** Marathon answered an HTTP status that asking again will not change: the status is kept. */
abstract class MarathonStatusError extends PxfwError {
  readonly retryable = false;
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Marathon refused the credentials (401) or the principal may not remove the app (403). */
export class MarathonAuthError extends MarathonStatusError {
  readonly code = 'MARATHON_AUTH';
}

/** Marathon answered something a DELETE /v2/apps/<id> never should (e.g. 400). */
export class MarathonRequestError extends MarathonStatusError {
  readonly code = 'MARATHON_REQUEST';
}
