import { PxfwError } from '../errors/pxfw-error';
import { errorBodySchema } from './schemas';

/** gRPC status codes (google.golang.org/grpc/codes), which the SDK gateway puts in `code`. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** Where a failed exchange happened, so a person can find it in the Portworx logs. */
export interface PortworxErrorContext {
  method: string;
  path: string;
  httpStatus?: number;
  grpcCode?: number;
  cause?: unknown;
}

/** Base of every Portworx client error. `grpcCode` is the SDK's status code; `httpStatus` is absent when no response came. */
export abstract class PortworxError extends PxfwError {
  readonly grpcCode: number;
  readonly httpStatus: number | undefined;
  readonly method: string;
  readonly path: string;

  constructor(message: string, ctx: PortworxErrorContext, defaultGrpcCode: number) {
    super(`${message} (${ctx.method} ${ctx.path}${ctx.httpStatus !== undefined ? ` → HTTP ${ctx.httpStatus}` : ''})`, {
      cause: ctx.cause,
    });
    this.grpcCode = ctx.grpcCode ?? defaultGrpcCode;
    this.httpStatus = ctx.httpStatus;
    this.method = ctx.method;
    this.path = ctx.path;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), grpcCode: this.grpcCode, httpStatus: this.httpStatus, method: this.method, path: this.path };
  }
}

export class PortworxNotFoundError extends PortworxError {
  readonly code = 'PORTWORX_NOT_FOUND';
  readonly retryable = false;
  constructor(message: string, ctx: PortworxErrorContext) {
    super(message, ctx, GrpcCode.NOT_FOUND);
  }
}

export class PortworxAlreadyExistsError extends PortworxError {
  readonly code = 'PORTWORX_ALREADY_EXISTS';
  readonly retryable = false;
  constructor(message: string, ctx: PortworxErrorContext) {
    super(message, ctx, GrpcCode.ALREADY_EXISTS);
  }
}

export class PortworxFailedPreconditionError extends PortworxError {
  readonly code = 'PORTWORX_FAILED_PRECONDITION';
  readonly retryable = false;
  constructor(message: string, ctx: PortworxErrorContext) {
    super(message, ctx, GrpcCode.FAILED_PRECONDITION);
  }
}

export class PortworxUnavailableError extends PortworxError {
  readonly code = 'PORTWORX_UNAVAILABLE';
  readonly retryable = true;
  constructor(message: string, ctx: PortworxErrorContext) {
    super(message, ctx, GrpcCode.UNAVAILABLE);
  }
}

export class PortworxDeadlineExceededError extends PortworxError {
  readonly code = 'PORTWORX_DEADLINE_EXCEEDED';
  readonly retryable = true;
  constructor(message: string, ctx: PortworxErrorContext) {
    super(message, ctx, GrpcCode.DEADLINE_EXCEEDED);
  }
}

export class PortworxInvalidArgumentError extends PortworxError {
  readonly code = 'PORTWORX_INVALID_ARGUMENT';
  readonly retryable = false;
  constructor(message: string, ctx: PortworxErrorContext) {
    super(message, ctx, GrpcCode.INVALID_ARGUMENT);
  }
}

export class PortworxResourceExhaustedError extends PortworxError {
  readonly code = 'PORTWORX_RESOURCE_EXHAUSTED';
  readonly retryable = false;
  constructor(message: string, ctx: PortworxErrorContext) {
    super(message, ctx, GrpcCode.RESOURCE_EXHAUSTED);
  }
}

export class PortworxAbortedError extends PortworxError {
  readonly code = 'PORTWORX_ABORTED';
  readonly retryable = true;
  constructor(message: string, ctx: PortworxErrorContext) {
    super(message, ctx, GrpcCode.ABORTED);
  }
}

export class PortworxUnauthenticatedError extends PortworxError {
  readonly code = 'PORTWORX_UNAUTHENTICATED';
  readonly retryable = false;
  constructor(message: string, ctx: PortworxErrorContext) {
    super(message, ctx, GrpcCode.UNAUTHENTICATED);
  }
}

export class PortworxPermissionDeniedError extends PortworxError {
  readonly code = 'PORTWORX_PERMISSION_DENIED';
  readonly retryable = false;
  constructor(message: string, ctx: PortworxErrorContext) {
    super(message, ctx, GrpcCode.PERMISSION_DENIED);
  }
}

export class PortworxInternalError extends PortworxError {
  readonly code = 'PORTWORX_INTERNAL';
  readonly retryable = false;
  constructor(message: string, ctx: PortworxErrorContext) {
    super(message, ctx, GrpcCode.INTERNAL);
  }
}

/** Any other status (UNKNOWN, UNIMPLEMENTED, OUT_OF_RANGE, …) or an error the legacy REST gave as text. */
export class PortworxRequestError extends PortworxError {
  readonly code = 'PORTWORX_REQUEST_FAILED';
  readonly retryable = false;
  constructor(message: string, ctx: PortworxErrorContext) {
    super(message, ctx, GrpcCode.UNKNOWN);
  }
}

/** No complete answer within the client's timeout; the server may still have done the work. */
export class PortworxTimeoutError extends PortworxError {
  readonly code = 'PORTWORX_TIMEOUT';
  readonly retryable = true;
  constructor(
    readonly timeoutMs: number,
    ctx: PortworxErrorContext,
  ) {
    super(`Portworx did not answer within ${timeoutMs} ms`, ctx, GrpcCode.DEADLINE_EXCEEDED);
  }
}

/** The connection failed (refused, reset, DNS): nothing was answered. */
export class PortworxConnectionError extends PortworxError {
  readonly code = 'PORTWORX_CONNECTION_FAILED';
  readonly retryable = true;
  constructor(message: string, ctx: PortworxErrorContext) {
    super(message, ctx, GrpcCode.UNAVAILABLE);
  }
}

/** The server answered with something that is not the SDK message we expected. */
export class PortworxProtocolError extends PortworxError {
  readonly code = 'PORTWORX_PROTOCOL';
  readonly retryable = false;
  constructor(message: string, ctx: PortworxErrorContext) {
    super(message, ctx, GrpcCode.UNKNOWN);
  }
}

/** A group snapshot was refused as a whole or for some of its volumes. */
export class PortworxGroupSnapshotError extends PortworxError {
  readonly code = 'PORTWORX_GROUP_SNAPSHOT_FAILED';
  readonly retryable = false;
  constructor(
    message: string,
    readonly failures: Record<string, string>,
    ctx: PortworxErrorContext,
  ) {
    super(message, ctx, GrpcCode.UNKNOWN);
  }
}

type ErrorClass = new (message: string, ctx: PortworxErrorContext) => PortworxError;

const BY_GRPC_CODE: Record<number, ErrorClass> = {
  [GrpcCode.NOT_FOUND]: PortworxNotFoundError,
  [GrpcCode.ALREADY_EXISTS]: PortworxAlreadyExistsError,
  [GrpcCode.FAILED_PRECONDITION]: PortworxFailedPreconditionError,
  [GrpcCode.UNAVAILABLE]: PortworxUnavailableError,
  [GrpcCode.DEADLINE_EXCEEDED]: PortworxDeadlineExceededError,
  [GrpcCode.INVALID_ARGUMENT]: PortworxInvalidArgumentError,
  [GrpcCode.RESOURCE_EXHAUSTED]: PortworxResourceExhaustedError,
  [GrpcCode.ABORTED]: PortworxAbortedError,
  [GrpcCode.UNAUTHENTICATED]: PortworxUnauthenticatedError,
  [GrpcCode.PERMISSION_DENIED]: PortworxPermissionDeniedError,
  [GrpcCode.INTERNAL]: PortworxInternalError,
};

/**
 * When a body carries no gRPC code (a proxy in front, or the legacy REST), infer one from the
 * HTTP status the way grpc-gateway maps codes to statuses. 409 is ambiguous (ALREADY_EXISTS or
 * ABORTED); ALREADY_EXISTS is the one an SDK call without a code realistically means.
 */
const GRPC_CODE_BY_HTTP: Record<number, number> = {
  400: GrpcCode.INVALID_ARGUMENT,
  401: GrpcCode.UNAUTHENTICATED,
  403: GrpcCode.PERMISSION_DENIED,
  404: GrpcCode.NOT_FOUND,
  409: GrpcCode.ALREADY_EXISTS,
  412: GrpcCode.FAILED_PRECONDITION,
  429: GrpcCode.RESOURCE_EXHAUSTED,
  500: GrpcCode.INTERNAL,
  501: GrpcCode.UNIMPLEMENTED,
  502: GrpcCode.UNAVAILABLE,
  503: GrpcCode.UNAVAILABLE,
  504: GrpcCode.DEADLINE_EXCEEDED,
};

/** Build the typed error for a gRPC code (from a gateway body or a stream error line). */
export function portworxErrorForCode(grpcCode: number, message: string, ctx: PortworxErrorContext): PortworxError {
  const Cls = BY_GRPC_CODE[grpcCode] ?? PortworxRequestError;
  return new Cls(message, { ...ctx, grpcCode });
}

/**
 * Map a non-2xx answer to a typed error. `body` is the parsed JSON body (gateway error
 * `{error, code, message, details}`), a text body, or null.
 */
export function portworxErrorFromResponse(
  httpStatus: number,
  body: unknown,
  ctx: Omit<PortworxErrorContext, 'httpStatus'>,
): PortworxError {
  const parsed = errorBodySchema.safeParse(body);
  const fields = parsed.success ? parsed.data : {};
  const text = typeof body === 'string' ? body.trim() : '';
  const message = fields.message || fields.error || text || `HTTP ${httpStatus} with no error message`;
  const grpcCode = fields.code ?? GRPC_CODE_BY_HTTP[httpStatus] ?? GrpcCode.UNKNOWN;
  return portworxErrorForCode(grpcCode, message, { ...ctx, httpStatus });
}
