import { PxfwError } from '../../errors';
import { GrpcCode, httpStatusFromCode, type GrpcCodeName, type GrpcCodeValue } from './grpc-status';

/**
 * A failure the simulated SDK answers with a gRPC status, as the real server does with
 * `status.Error(codes.X, msg)`. The HTTP layer renders it as the grpc-gateway error body.
 */
export class SdkStatusError extends PxfwError {
  readonly code: string;
  readonly retryable: boolean;
  readonly grpcCode: GrpcCodeValue;

  constructor(codeName: GrpcCodeName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.grpcCode = GrpcCode[codeName];
    this.code = `PX_SDK_${codeName.replace(/[A-Z]/g, (c, i: number) => (i ? '_' : '') + c).toUpperCase()}`;
    this.retryable = codeName === 'Unavailable' || codeName === 'Aborted' || codeName === 'DeadlineExceeded';
  }

  get httpStatus(): number {
    return httpStatusFromCode(this.grpcCode);
  }
}

export const notFound = (message: string): SdkStatusError => new SdkStatusError('NotFound', message);
export const invalidArgument = (message: string): SdkStatusError => new SdkStatusError('InvalidArgument', message);
export const alreadyExists = (message: string): SdkStatusError => new SdkStatusError('AlreadyExists', message);
export const internal = (message: string): SdkStatusError => new SdkStatusError('Internal', message);
export const unavailable = (message: string): SdkStatusError => new SdkStatusError('Unavailable', message);

/**
 * A failure of the legacy (port 9001) REST API: it answers `http.Error(w, msg, 400)`, a plain-text body.
 */
export class LegacyApiError extends PxfwError {
  readonly code = 'PX_LEGACY_API';
  readonly retryable = false;
  constructor(
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
  }
}

/** A simulator control request named something the simulated cluster does not have. */
export class SimUnknownNodeError extends PxfwError {
  readonly code = 'PX_SIM_UNKNOWN_NODE';
  readonly retryable = false;
}

/** A simulator control request that cannot apply to its target (e.g. a marker on a snapshot). */
export class SimControlError extends PxfwError {
  readonly code = 'PX_SIM_CONTROL';
  readonly retryable = false;
}

/** The simulator could not be configured or started as asked. */
export class SimConfigError extends PxfwError {
  readonly code = 'PX_SIM_CONFIG';
  readonly retryable = false;
}
