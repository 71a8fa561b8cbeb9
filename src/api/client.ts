import { userInfo } from 'node:os';
import { errors, headers as natsHeaders, type Msg, type NatsConnection } from '@nats-io/nats-core';
import { BadReplyError, CommandTimeoutError, PermissionDeniedError, SchedulerNotRunningError, ServiceReplyError } from './client-errors';
import { CLIENT_ID_HEADER, USER_HEADER, verbSubject } from './subjects';

export interface CallOptions {
  timeoutMs?: number;
  /** Recorded in the audit log as who asked (`Pxfw-User`). */
  user?: string;
}

/** Who the CLI says is asking: --user, else NATS_USER, else the OS account. */
export function defaultCaller(env: NodeJS.ProcessEnv = process.env, explicit?: string): string {
  if (explicit) return explicit;
  if (env.NATS_USER) return env.NATS_USER;
  try {
    return userInfo().username;
  } catch (cause) {
    // Containers may run as a uid without a passwd entry; say so instead of failing the command.
    return `uid-${process.getuid?.() ?? 'unknown'} (${(cause as Error).message})`;
  }
}

function serviceError(reply: Msg): ServiceReplyError | null {
  const status = reply.headers?.get('Nats-Service-Error-Code');
  if (!status) return null;
  const description = reply.headers?.get('Nats-Service-Error') ?? '';
  let errorCode: string | null = null;
  try {
    const body = reply.json<{ error?: { code?: unknown } }>();
    errorCode = typeof body?.error?.code === 'string' ? body.error.code : null;
  } catch {
    // The body is optional for service errors; the headers alone are the contract.
    errorCode = description.match(/^([A-Z_]+):/)?.[1] ?? null;
  }
  return new ServiceReplyError(Number(status), description, errorCode);
}

function requestFailure(err: unknown, service: string, subject: string, timeoutMs: number): Error {
  const cause = err instanceof errors.RequestError ? (err.cause ?? err) : err;
  if (cause instanceof errors.NoRespondersError || (err instanceof errors.RequestError && err.isNoResponders())) {
    return new SchedulerNotRunningError(service, subject, { cause: err });
  }
  if (cause instanceof errors.PermissionViolationError) return new PermissionDeniedError(subject, { cause: err });
  if (cause instanceof errors.TimeoutError) {
    return new CommandTimeoutError(`the scheduler for ${service} did not answer ${subject} within ${timeoutMs / 1000} s`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Send one command and return the scheduler's JSON reply. Service errors, missing schedulers,
 * permission denials and timeouts become the typed errors of client-errors.ts.
 */
export async function callCommand<T = unknown>(
  nc: NatsConnection,
  service: string,
  verb: string,
  body: Record<string, unknown> = {},
  options: CallOptions = {},
): Promise<T> {
  const subject = verbSubject(service, verb);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const h = natsHeaders();
  h.set(USER_HEADER, options.user ?? defaultCaller());
  const clientId = nc.info?.client_id;
  if (clientId !== undefined) h.set(CLIENT_ID_HEADER, String(clientId));
  let reply: Msg;
  try {
    reply = await nc.request(subject, JSON.stringify(body), { timeout: timeoutMs, headers: h });
  } catch (err) {
    throw requestFailure(err, service, subject, timeoutMs);
  }
  const failed = serviceError(reply);
  if (failed) throw failed;
  try {
    return reply.json<T>();
  } catch (cause) {
    throw new BadReplyError(`the reply on ${subject} is not JSON: ${(cause as Error).message}`, { cause });
  }
}
