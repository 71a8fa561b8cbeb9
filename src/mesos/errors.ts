import { PxfwError, ValidationError } from '../errors';

/** Cut long HTTP bodies so an error message stays one readable line. */
function excerpt(body: string, max = 300): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** The master answered with a status pxfw has no more specific class for. */
export class MesosHttpError extends PxfwError {
  readonly code = 'MESOS_HTTP';
  readonly retryable: boolean;
  constructor(
    readonly status: number,
    readonly body: string,
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(`Mesos master ${url} answered HTTP ${status}: ${excerpt(body) || '(empty body)'}`, options);
    // 5xx are the master's trouble and may pass; 4xx mean the request itself is wrong.
    this.retryable = status >= 500;
  }
}

/** 400: the master rejected the call as malformed or invalid. Repeating it cannot help. */
export class MesosBadRequestError extends PxfwError {
  readonly code = 'MESOS_BAD_REQUEST';
  readonly retryable = false;
  readonly status = 400;
  constructor(
    readonly body: string,
    readonly callType: string,
    options?: { cause?: unknown },
  ) {
    super(`Mesos rejected ${callType} call (HTTP 400): ${excerpt(body) || '(empty body)'}`, options);
  }
}

/** 503: no leading master elected yet, or the master is recovering. */
export class MesosUnavailableError extends PxfwError {
  readonly code = 'MESOS_UNAVAILABLE';
  readonly retryable = true;
  readonly status = 503;
  constructor(
    readonly body: string,
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(`Mesos master ${url} is unavailable (HTTP 503): ${excerpt(body) || 'no leader yet'}`, options);
  }
}

/** Redirects did not lead to a leading master (too many, or a 307 without Location). */
export class MesosNotLeaderError extends PxfwError {
  readonly code = 'MESOS_NOT_LEADER';
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The master could not be reached at all (refused, reset, DNS, timeout). */
export class MesosConnectionError extends PxfwError {
  readonly code = 'MESOS_CONNECTION';
  readonly retryable = true;
  constructor(
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    const reason = options?.cause instanceof Error ? options.cause.message : String(options?.cause ?? 'unknown');
    super(`cannot reach Mesos master ${url}: ${reason}`, options);
  }
}

/**
 * 401/403 from the master, after a token refresh where one was possible: the principal is not
 * authenticated or not authorized. Not a 403 that only says the framework has no subscription
 * (that is MesosFrameworkNotSubscribedError).
 */
export class MesosAuthError extends PxfwError {
  readonly code = 'MESOS_AUTH';
  readonly retryable = false;
  constructor(
    readonly status: number,
    readonly body: string,
    options?: { cause?: unknown },
  ) {
    const what = status === 403 ? 'forbids this principal' : 'did not accept the credentials';
    super(`Mesos master ${what} (HTTP ${status}): ${excerpt(body) || 'check the principal and secret'}`, options);
  }
}

/** The DC/OS IAM login endpoint did not issue a token. */
export class DcosLoginError extends PxfwError {
  readonly code = 'DCOS_LOGIN_FAILED';
  readonly retryable: boolean;
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    // A rejected service account stays rejected; an unreachable or failing IAM may recover.
    this.retryable = status === undefined || status >= 500;
  }
}

/**
 * The master removed the framework (teardown, or its failover timeout expired): it will never
 * accept this framework id again. Terminal: the scheduler drops its client rather than retry.
 */
export class MesosFrameworkRemovedError extends PxfwError {
  readonly code = 'MESOS_FRAMEWORK_REMOVED';
  readonly retryable = false;
  constructor(readonly masterMessage: string) {
    super(`Mesos removed the framework: ${masterMessage}`);
  }
}

/**
 * Parser for the message of a Mesos ERROR event. The v1 scheduler API sends only a string there
 * (apache/mesos src/master/master.cpp: "Framework has been removed" after a teardown or failover
 * timeout), so the words are all there is to read. Undefined for any other ERROR.
 */
export function parseMesosErrorEvent(message: string): MesosFrameworkRemovedError | undefined {
  return /framework has been removed/i.test(message) ? new MesosFrameworkRemovedError(message) : undefined;
}

/** No event (heartbeats included) arrived within the allowed number of heartbeat intervals. */
export class MesosHeartbeatTimeoutError extends PxfwError {
  readonly code = 'MESOS_HEARTBEAT_TIMEOUT';
  readonly retryable = true;
  constructor(readonly silentMs: number) {
    super(`no event from the Mesos master for ${silentMs} ms; reconnecting`);
  }
}

/** The master sent something that is not the Mesos JSON it should be. */
export class MesosProtocolError extends PxfwError {
  readonly code = 'MESOS_PROTOCOL';
  readonly retryable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The master refused a call because the framework has no live subscription there: 403 "Framework
 * is not subscribed" / "Framework is not connected via HTTP" after a cut stream or a master
 * failover, or 400 when the call names a stream id the master no longer associates with the
 * framework (apache/mesos src/master/http.cpp, `Master::Http::scheduler`). The call did not take
 * effect; the client re-subscribes, and the call may be sent again once SUBSCRIBED arrives.
 */
export class MesosFrameworkNotSubscribedError extends PxfwError {
  readonly code = 'MESOS_FRAMEWORK_NOT_SUBSCRIBED';
  readonly retryable = true;
  constructor(
    readonly status: number,
    readonly body: string,
    readonly callType: string,
    options?: { cause?: unknown },
  ) {
    super(`Mesos refused ${callType} (HTTP ${status}): ${excerpt(body) || 'framework is not subscribed'}; re-subscribing`, options);
  }
}

/**
 * Parser for a 403/400 body: true when it only says the framework's subscription is gone, not
 * that it is unauthorized (then the answer is a MesosFrameworkNotSubscribedError).
 */
export function isNotSubscribedAnswer(status: number, body: string): boolean {
  if (status === 403) return /framework is not (subscribed|connected via http)/i.test(body);
  if (status === 400) return /stream id .* didn't match the stream id currently associated/i.test(body);
  return false;
}

/** A call needs a subscribed stream (Mesos-Stream-Id and framework_id) and there is none yet. */
export class MesosNotSubscribedError extends PxfwError {
  readonly code = 'MESOS_NOT_SUBSCRIBED';
  readonly retryable = true;
  constructor(readonly callType: string) {
    super(`cannot send ${callType}: the scheduler is not subscribed to Mesos yet`);
  }
}

/** An offer lacks what a launch asks for. */
export class MesosInsufficientResourcesError extends PxfwError {
  readonly code = 'MESOS_INSUFFICIENT_RESOURCES';
  readonly retryable = false;
  constructor(message: string) {
    super(message);
  }
}

/**
 * True when a failed call certainly did not take effect at the master: it was refused with an
 * answer (4xx, 503 "no leader", redirects that never reached the leader), or never left this
 * process (not subscribed, invalid input, connection refused). False when the outcome is unknown:
 * the request may have reached the master and the answer was lost (reset, timeout, other 5xx).
 * An ACCEPT with an unknown outcome must be reconciled, never redone.
 */
export function callSurelyRejected(err: unknown): boolean {
  if (
    err instanceof MesosBadRequestError ||
    err instanceof MesosAuthError ||
    err instanceof MesosFrameworkNotSubscribedError ||
    err instanceof MesosNotSubscribedError ||
    err instanceof MesosUnavailableError ||
    err instanceof MesosNotLeaderError
  ) {
    return true;
  }
  if (err instanceof MesosHttpError) return err.status >= 400 && err.status < 500;
  if (err instanceof MesosConnectionError) return NOT_SENT_CODES.has(causeCode(err.cause) ?? '');
  return err instanceof ValidationError;
}

/** Socket errors raised before a request could be written: the master never saw it. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function causeCode(cause: unknown): string | undefined {
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
