import { PxfwError } from '../errors';

/** Nobody serves `pxfw.<service>.<verb>`: the scheduler is not running (or not yet subscribed). */
export class SchedulerNotRunningError extends PxfwError {
  readonly code = 'NO_RESPONDERS';
  readonly retryable = true;
  constructor(
    readonly service: string,
    readonly subject: string,
    options?: { cause?: unknown },
  ) {
    super(`is the scheduler for ${service} running? (no responders on ${subject})`, options);
  }
}

/** The scheduler did not answer in time. */
export class CommandTimeoutError extends PxfwError {
  readonly code = 'TIMEOUT';
  readonly retryable = true;
}

/** nats-server refused the request: this NATS user may not publish on the verb's subject. */
export class PermissionDeniedError extends PxfwError {
  readonly code = 'PERMISSION_DENIED';
  readonly retryable = false;
  constructor(
    readonly subject: string,
    options?: { cause?: unknown },
  ) {
    super(
      `NATS denied the request on ${subject}: your NATS user may not run this command (see docs/access-control.md)`,
      options,
    );
  }
}

/** The scheduler answered with a service error (Nats-Service-Error-Code / Nats-Service-Error). */
export class ServiceReplyError extends PxfwError {
  readonly code = 'SERVICE_ERROR';
  readonly retryable: boolean;
  constructor(
    /** The HTTP-like status, e.g. 404. */
    readonly status: number,
    /** The description header, e.g. `UNKNOWN_POD: pod 'node-9' does not exist`. */
    readonly description: string,
    /** The machine code from the reply body (e.g. UNKNOWN_POD), when present. */
    readonly errorCode: string | null,
  ) {
    super(`${status} ${description}`);
    this.retryable = status === 409 || status === 503;
  }
}

/** The reply was not the JSON this CLI expects. */
export class BadReplyError extends PxfwError {
  readonly code = 'BAD_REPLY';
  readonly retryable = false;
}
