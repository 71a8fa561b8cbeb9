/**
 * Errors as machines see them. Machines may import only xstate, so they cannot use PxfwError;
 * they read the same duck-typed fields (`name`, `code`, `message`, `retryable`) that PxfwError
 * carries, and keep a JSON copy in context (an Error instance is not JSON).
 */
export interface EffectError {
  name: string;
  code: string;
  message: string;
  retryable: boolean;
}

/**
 * Normalise anything an effect threw. Only an explicit `retryable: false` is terminal: an
 * unclassified failure (network blip, plain Error) is retried with backoff rather than parked.
 */
export function toEffectError(err: unknown): EffectError {
  if (err !== null && typeof err === 'object') {
    const e = err as Record<string, unknown>;
    return {
      name: typeof e.name === 'string' ? e.name : 'Error',
      code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
      message: typeof e.message === 'string' ? e.message : String(err),
      retryable: e.retryable !== false,
    };
  }
  return { name: 'Error', code: 'UNKNOWN', message: String(err), retryable: true };
}

/** Thrown by the placeholder implementation of every effect until `src/` binds a real one. */
export class EffectNotProvidedError extends Error {
  readonly code = 'EFFECT_NOT_PROVIDED';
  readonly retryable = false;
  constructor(effect: string) {
    super(`effect "${effect}" is not provided: bind it with machine.provide({ actors: { ${effect} } })`);
    this.name = 'EffectNotProvidedError';
  }
}

/** One-line reason for context.reason. */
export function describeEffectError(effect: string, err: EffectError): string {
  return `${effect} failed (${err.code}): ${err.message}`;
}
