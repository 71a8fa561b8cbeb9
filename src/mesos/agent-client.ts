import got, { TimeoutError } from 'got';
import { z } from 'zod';
import { PxfwError } from '../errors';
import { childLogger, type Logger } from '../log/logger';
import { parseJson, stringifyJson } from '../util/lossless-json';
import type { AuthProvider } from './auth';
import { MesosBadRequestError, MesosProtocolError } from './errors';
import type { ContainerID } from './types';
import { parseOrThrow } from './validate';

/*
 * Client of one Mesos agent's v1 API (`POST http://<agent>:5051/api/v1`, JSON), limited to what
 * pxfw needs: running a command inside a running task as a nested container
 * (LAUNCH_NESTED_CONTAINER → WAIT_NESTED_CONTAINER, KILL_NESTED_CONTAINER on timeout) and
 * GET_HEALTH. Calls stay within the Mesos 1.4 agent.proto (mesos-go 0.0.6).
 */

const DEFAULT_TIMEOUT_MS = 30_000;

function excerpt(body: string, max = 300): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** The agent could not be reached (refused, reset, DNS): it may be down or partitioned. */
export class MesosAgentConnectionError extends PxfwError {
  readonly code = 'MESOS_AGENT_CONNECTION';
  readonly retryable = true;
  constructor(
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    const reason = options?.cause instanceof Error ? options.cause.message : String(options?.cause ?? 'unknown');
    super(`cannot reach Mesos agent ${url}: ${reason}`, options);
  }
}

/** The agent did not answer a call within its time limit. */
export class MesosAgentTimeoutError extends PxfwError {
  readonly code = 'MESOS_AGENT_TIMEOUT';
  readonly retryable = true;
  constructor(
    readonly url: string,
    readonly callType: string,
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(`Mesos agent ${url} did not answer ${callType} within ${timeoutMs} ms`, options);
  }
}

/** 404: the agent does not know the container (never launched, already removed, or already killed). */
export class MesosAgentNotFoundError extends PxfwError {
  readonly code = 'MESOS_AGENT_NOT_FOUND';
  readonly retryable = false;
  readonly status = 404;
  constructor(
    readonly body: string,
    readonly callType: string,
  ) {
    super(`Mesos agent answered ${callType} with HTTP 404: ${excerpt(body) || 'not found'}`);
  }
}

/** 401/403 from the agent: the principal may not run commands in this framework's containers. */
export class MesosAgentAuthError extends PxfwError {
  readonly code = 'MESOS_AGENT_AUTH';
  readonly retryable = false;
  constructor(
    readonly status: number,
    readonly body: string,
    readonly callType: string,
  ) {
    const what = status === 403 ? 'forbids this principal' : 'did not accept the credentials';
    super(`Mesos agent ${what} for ${callType} (HTTP ${status}): ${excerpt(body) || 'check the principal and its ACLs'}`);
  }
}

/** Any other non-2xx answer; 5xx (e.g. 503 while the agent recovers) may pass. */
export class MesosAgentHttpError extends PxfwError {
  readonly code = 'MESOS_AGENT_HTTP';
  readonly retryable: boolean;
  constructor(
    readonly status: number,
    readonly body: string,
    readonly url: string,
    readonly callType: string,
  ) {
    super(`Mesos agent ${url} answered ${callType} with HTTP ${status}: ${excerpt(body) || '(empty body)'}`);
    this.retryable = status >= 500;
  }
}

export interface MesosAgentClientOptions {
  /** Base URL of the agent, e.g. http://10.0.0.5:5051 (a path prefix is kept). */
  url: string;
  auth?: AuthProvider;
  logger?: Logger;
  /** Time limit of each call (default 30 s); WAIT_NESTED_CONTAINER takes its own. */
  timeoutMs?: number;
}

/** The command of a nested container (mesos.CommandInfo, the fields pxfw uses). */
export interface NestedCommand {
  value: string;
  /** Run `value` with `sh -c` (default true). */
  shell?: boolean;
  arguments?: string[];
  user?: string;
}

const optionsSchema = z.object({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://10.0.0.5:5051' }),
  timeoutMs: z.number().int().positive().optional(),
});

const idValue = z
  .string()
  .min(1, 'must not be empty')
  .refine((v) => !/[/\\\0\s]/.test(v) && v !== '.' && v !== '..', 'must not contain slashes or white space');
const containerIdSchema: z.ZodType<ContainerID> = z.lazy(() => z.object({ value: idValue, parent: containerIdSchema.optional() }));
const nestedIdSchema = z.object({ value: idValue, parent: containerIdSchema });
const commandSchema = z.object({
  value: z.string().min(1, 'must not be empty'),
  shell: z.boolean().optional(),
  arguments: z.array(z.string()).optional(),
  user: z.string().min(1).optional(),
});

const waitResponseSchema = z.looseObject({
  type: z.literal('WAIT_NESTED_CONTAINER'),
  wait_nested_container: z.looseObject({ exit_status: z.number().int().optional() }).optional(),
});
const healthResponseSchema = z.looseObject({
  type: z.literal('GET_HEALTH'),
  get_health: z.looseObject({ healthy: z.boolean() }),
});

type AgentCall = { type: string } & Record<string, unknown>;

export class MesosAgentClient {
  private readonly endpoint: string;
  private readonly log: Logger;
  private readonly timeoutMs: number;

  constructor(private readonly opts: MesosAgentClientOptions) {
    const parsed = parseOrThrow(optionsSchema, { url: opts.url, timeoutMs: opts.timeoutMs }, 'agent client options');
    const base = new URL(parsed.url);
    base.pathname = `${base.pathname.replace(/\/+$/, '')}/api/v1`;
    this.endpoint = base.toString();
    this.timeoutMs = parsed.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.log = opts.logger ?? childLogger({ module: 'mesos-agent', agent: base.host });
  }

  get url(): string {
    return this.endpoint;
  }

  /** GET_HEALTH: true when the agent reports itself healthy. */
  async getHealth(): Promise<boolean> {
    const body = await this.call({ type: 'GET_HEALTH' }, this.timeoutMs);
    return this.parseResponse(healthResponseSchema, body, 'GET_HEALTH').get_health.healthy;
  }

  /**
   * LAUNCH_NESTED_CONTAINER: start `command` in a new container `containerId` (a fresh UUID is
   * usual) nested under `parentId`, the running task's container. Resolves once it started.
   */
  async launchNestedContainer(containerId: string, parentId: ContainerID, command: string | NestedCommand): Promise<ContainerID> {
    const id = parseOrThrow(nestedIdSchema, { value: containerId, parent: parentId }, 'container_id');
    const cmd = parseOrThrow(commandSchema, typeof command === 'string' ? { value: command } : command, 'command');
    const launch = { container_id: id, command: { ...cmd, shell: cmd.shell ?? true } };
    await this.call({ type: 'LAUNCH_NESTED_CONTAINER', launch_nested_container: launch }, this.timeoutMs);
    return id;
  }

  /**
   * WAIT_NESTED_CONTAINER: resolves when the container ends. `exitStatus` is the wait status
   * (see decodeWaitStatus); absent when the agent destroyed the container without one.
   */
  async waitNestedContainer(containerId: ContainerID, opts: { timeoutMs?: number } = {}): Promise<{ exitStatus?: number }> {
    const id = parseOrThrow(nestedIdSchema, containerId, 'container_id');
    const timeoutMs = parseOrThrow(z.number().int().positive().optional(), opts.timeoutMs, 'timeoutMs') ?? this.timeoutMs;
    const body = await this.call({ type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: id } }, timeoutMs);
    const status = this.parseResponse(waitResponseSchema, body, 'WAIT_NESTED_CONTAINER').wait_nested_container?.exit_status;
    return status === undefined ? {} : { exitStatus: status };
  }

  /** KILL_NESTED_CONTAINER: the agent sends `signal` (default SIGKILL) to the container. */
  async killNestedContainer(containerId: ContainerID, signal?: number): Promise<void> {
    const id = parseOrThrow(nestedIdSchema, containerId, 'container_id');
    const sig = parseOrThrow(z.number().int().min(1).max(64).optional(), signal, 'signal');
    const kill = { container_id: id, ...(sig !== undefined ? { signal: sig } : {}) };
    await this.call({ type: 'KILL_NESTED_CONTAINER', kill_nested_container: kill }, this.timeoutMs);
  }

  private parseResponse<S extends z.ZodType>(schema: S, body: string, callType: string): z.output<S> {
    let json: unknown;
    try {
      json = parseJson(body);
    } catch (cause) {
      throw new MesosProtocolError(`${callType} response from ${this.endpoint} is not JSON: ${excerpt(body, 200)}`, { cause });
    }
    const result = schema.safeParse(json);
    if (!result.success) {
      const detail = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new MesosProtocolError(`${callType} response from ${this.endpoint} is not an agent Response: ${detail}`);
    }
    return result.data;
  }

  /** POST one call; resolves with the body of a 2xx answer, throws a typed error otherwise. */
  private async call(call: AgentCall, timeoutMs: number): Promise<string> {
    const body = stringifyJson(call);
    let authRetried = false;
    for (;;) {
      const started = Date.now();
      const res = await this.send(body, call.type, timeoutMs);
      this.log.debug({ call: call.type, status: res.status, ms: Date.now() - started }, 'agent call answered');
      if (res.status >= 200 && res.status < 300) return res.body;
      if (res.status === 401 && this.opts.auth?.refreshable && !authRetried) {
        authRetried = true;
        this.opts.auth.invalidate();
        continue;
      }
      throw this.statusError(res.status, res.body, call.type);
    }
  }

  private async send(body: string, callType: string, timeoutMs: number): Promise<{ status: number; body: string }> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.opts.auth) headers.authorization = await this.opts.auth.header();
    try {
      const res = await got.post(this.endpoint, {
        body,
        headers,
        followRedirect: false,
        throwHttpErrors: false,
        retry: { limit: 0 },
        timeout: { request: timeoutMs },
      });
      return { status: res.statusCode, body: res.body };
    } catch (cause) {
      if (cause instanceof TimeoutError) throw new MesosAgentTimeoutError(this.endpoint, callType, timeoutMs, { cause });
      throw new MesosAgentConnectionError(this.endpoint, { cause });
    }
  }

  private statusError(status: number, body: string, callType: string): Error {
    if (status === 400) return new MesosBadRequestError(body, callType);
    if (status === 401 || status === 403) return new MesosAgentAuthError(status, body, callType);
    if (status === 404) return new MesosAgentNotFoundError(body, callType);
    return new MesosAgentHttpError(status, body, this.endpoint, callType);
  }
}

/**
 * A WAIT_NESTED_CONTAINER exit status is a POSIX wait status: a normal exit keeps its code in
 * bits 8–15 and zero in the low 7 bits; a signal death keeps the signal number in the low 7 bits.
 */
export function decodeWaitStatus(status: number): { exitCode: number } | { signal: number } {
  const low = status & 0x7f;
  return low === 0 ? { exitCode: (status >> 8) & 0xff } : { signal: low };
}
