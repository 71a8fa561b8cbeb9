/**
 * Base of every pxfw error: a stable string `code`, an explicit retry decision and the `cause`.
 * One subclass per failure mode; callers branch on `code` or `instanceof`, never on messages.
 */
export abstract class PxfwError extends Error {
  abstract readonly code: string;
  /** True when repeating the same operation later may succeed. */
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, retryable: this.retryable };
  }
}

/** A caller supplied something invalid; retrying the same input cannot help. */
export class ValidationError extends PxfwError {
  readonly code = 'VALIDATION';
  readonly retryable = false;
  constructor(
    message: string,
    readonly issues: readonly { path: string; message: string }[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A required program or package is missing from this machine. */
export class PrerequisiteError extends PxfwError {
  readonly code = 'PREREQUISITE_MISSING';
  readonly retryable = false;
  constructor(
    message: string,
    readonly packageName: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Render any thrown value as one line a person can act on. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
