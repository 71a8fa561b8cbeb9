import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PxfwError } from '../../src/errors';
import {
  PortworxAbortedError,
  PortworxAlreadyExistsError,
  PortworxClient,
  PortworxDeadlineExceededError,
  PortworxError,
  PortworxFailedPreconditionError,
  PortworxInternalError,
  PortworxInvalidArgumentError,
  PortworxNotFoundError,
  PortworxPermissionDeniedError,
  PortworxRequestError,
  PortworxResourceExhaustedError,
  PortworxUnauthenticatedError,
  PortworxUnavailableError,
  portworxErrorFromResponse,
} from '../../src/portworx';
import { FakeSdk, grpcError } from './fake-sdk';

const CASES = [
  { code: 3, cls: PortworxInvalidArgumentError, name: 'PORTWORX_INVALID_ARGUMENT', retryable: false },
  { code: 4, cls: PortworxDeadlineExceededError, name: 'PORTWORX_DEADLINE_EXCEEDED', retryable: true },
  { code: 5, cls: PortworxNotFoundError, name: 'PORTWORX_NOT_FOUND', retryable: false },
  { code: 6, cls: PortworxAlreadyExistsError, name: 'PORTWORX_ALREADY_EXISTS', retryable: false },
  { code: 7, cls: PortworxPermissionDeniedError, name: 'PORTWORX_PERMISSION_DENIED', retryable: false },
  { code: 8, cls: PortworxResourceExhaustedError, name: 'PORTWORX_RESOURCE_EXHAUSTED', retryable: false },
  { code: 9, cls: PortworxFailedPreconditionError, name: 'PORTWORX_FAILED_PRECONDITION', retryable: false },
  { code: 10, cls: PortworxAbortedError, name: 'PORTWORX_ABORTED', retryable: true },
  { code: 12, cls: PortworxRequestError, name: 'PORTWORX_REQUEST_FAILED', retryable: false },
  { code: 13, cls: PortworxInternalError, name: 'PORTWORX_INTERNAL', retryable: false },
  { code: 14, cls: PortworxUnavailableError, name: 'PORTWORX_UNAVAILABLE', retryable: true },
  { code: 16, cls: PortworxUnauthenticatedError, name: 'PORTWORX_UNAUTHENTICATED', retryable: false },
] as const;

describe('Portworx error mapping', () => {
  let sdk: FakeSdk;
  let client: PortworxClient;

  beforeEach(async () => {
    sdk = await FakeSdk.start();
    // No retries: each case must surface the first answer's error.
    client = new PortworxClient({ url: sdk.url, retries: 0 });
  });
  afterEach(() => sdk.close());

  for (const c of CASES) {
    it(`maps gRPC code ${c.code} in the gateway body to ${c.cls.name}`, async () => {
      const e = grpcError(c.code, `failure ${c.code}`);
      sdk.reply('GET /v1/volumes/inspect/v', e.status, e.body);
      const err = await client.inspectVolume('v').catch((x: unknown) => x);
      expect(err).toBeInstanceOf(c.cls);
      expect(err).toBeInstanceOf(PortworxError);
      expect(err).toBeInstanceOf(PxfwError);
      const pe = err as PortworxError;
      expect(pe.code).toBe(c.name);
      expect(pe.name).toBe(c.cls.name);
      expect(pe.retryable).toBe(c.retryable);
      expect(pe.grpcCode).toBe(c.code);
      expect(pe.httpStatus).toBe(e.status);
      expect(pe.message).toContain(`failure ${c.code}`);
      expect(pe.message).toContain('GET /v1/volumes/inspect/v');
    });
  }

  it('infers the code from the HTTP status when the body carries none', () => {
    const ctx = { method: 'GET', path: '/x' };
    expect(portworxErrorFromResponse(404, null, ctx)).toBeInstanceOf(PortworxNotFoundError);
    expect(portworxErrorFromResponse(503, 'upstream down', ctx)).toBeInstanceOf(PortworxUnavailableError);
    expect(portworxErrorFromResponse(401, { message: 'no token' }, ctx)).toBeInstanceOf(PortworxUnauthenticatedError);
    const text = portworxErrorFromResponse(418, 'teapot', ctx);
    expect(text).toBeInstanceOf(PortworxRequestError);
    expect(text.message).toContain('teapot');
    expect(text.httpStatus).toBe(418);
  });

  it('prefers the gRPC code in the body over the HTTP status', () => {
    const err = portworxErrorFromResponse(409, { error: 'busy', code: 10, message: 'busy' }, { method: 'POST', path: '/p' });
    expect(err).toBeInstanceOf(PortworxAbortedError);
  });

  it('serialises an error with its codes for JSON logs and API replies', () => {
    const err = portworxErrorFromResponse(503, { code: 14, message: 'down' }, { method: 'GET', path: '/v1/nodes' });
    expect(err.toJSON()).toMatchObject({
      name: 'PortworxUnavailableError',
      code: 'PORTWORX_UNAVAILABLE',
      retryable: true,
      grpcCode: 14,
      httpStatus: 503,
      path: '/v1/nodes',
    });
  });
});
