import { PxfwError } from '../errors';

/** One problem in a service spec: `path` names the field (`pods.node.volumes[0].size`). */
export interface SpecIssue {
  path: string;
  message: string;
}

/**
 * A service spec is invalid. The message lists every issue as `path: message` so a person can
 * fix the YAML in one pass; `issues` carries the same for programs.
 */
export class ServiceSpecError extends PxfwError {
  readonly code = 'SERVICE_SPEC_INVALID';
  readonly retryable = false;

  constructor(
    readonly issues: readonly SpecIssue[],
    readonly source?: string,
    options?: { cause?: unknown },
  ) {
    super(ServiceSpecError.render(issues, source), options);
  }

  private static render(issues: readonly SpecIssue[], source?: string): string {
    const where = source ? ` (${source})` : '';
    const lines = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
    return `invalid service spec${where}: ${lines.join('; ')}`;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues, source: this.source };
  }
}

/** The spec file could not be read at all (missing, unreadable). */
export class SpecFileError extends PxfwError {
  readonly code = 'SERVICE_SPEC_UNREADABLE';
  readonly retryable = false;

  constructor(
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    const reason = options?.cause instanceof Error ? options.cause.message : String(options?.cause);
    super(`cannot read service spec file ${path}: ${reason}`, options);
  }
}

/** A name function got an index or attempt that is not a whole number >= 0 (a caller bug). */
export class InvalidNameInputError extends PxfwError {
  readonly code = 'INVALID_NAME_INPUT';
  readonly retryable = false;
}
