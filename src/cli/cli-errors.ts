import { describeError, PxfwError } from '../errors';
import { ServiceReplyError } from '../api/client-errors';

/**
 * What `--json` prints for a failure: one object on stdout, `{"error": {...}}`, beside the usual
 * one line on stderr, so a script reads a single JSON document whatever happened.
 */
export interface CliErrorJson {
  /** The scheduler's code (UNKNOWN_POD, CONFLICT…) or the CLI's (NO_RESPONDERS, CLI_USAGE, PLAN_FAILED…). */
  code: string;
  message: string;
  /** The scheduler's HTTP-like status when it answered with an error. */
  status?: number;
  /** True when the same command later may succeed (no scheduler yet, a conflict, a timeout). */
  retryable: boolean;
  /** The plan as last seen, when a --watch/--wait ended in ERROR or timed out. */
  plan?: unknown;
}

/** The JSON form of any error the CLI reports. */
export function cliErrorJson(err: unknown): CliErrorJson {
  if (err instanceof ServiceReplyError) {
    const code = err.errorCode ?? (/^([A-Z_]+):/.exec(err.description)?.[1] ?? 'SERVICE_ERROR');
    const message = err.description.replace(/^[A-Z_]+:\s*/, '');
    return { code, message, status: err.status, retryable: err.retryable };
  }
  if (err instanceof PxfwError) return { code: err.code, message: err.message, retryable: err.retryable };
  return { code: 'INTERNAL', message: describeError(err), retryable: false };
}

/** The one line on stderr: the scheduler's status and code first for a service error, as before. */
export function cliErrorLine(err: unknown): string {
  return err instanceof PxfwError ? err.message : describeError(err);
}

/** A failure the CLI itself decides (a plan in ERROR, a wait that timed out): code and message. */
export class CliFailure extends PxfwError {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
    readonly plan?: unknown,
  ) {
    super(message);
  }
}
