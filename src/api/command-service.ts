import { performance } from 'node:perf_hooks';
import type { NatsConnection } from '@nats-io/nats-core';
import { Svcm, type Service, type ServiceMsg } from '@nats-io/services';
import { describeError, ValidationError } from '../errors';
import { childLogger, type Logger } from '../log/logger';
import { stringifyJson } from '../util/lossless-json';
import { AuditLog, callerFromHeaders, redactRequest, type AuditRecord, type AuditSinkOptions } from './audit';
import { ConfirmationRequiredError, InvalidRequestError, OperationError } from './errors';
import type { ServiceOperations } from './operations';
import { endpointName, MICRO_SERVICE_NAME, serviceGroupSubject } from './subjects';
import { describeIssues, requestJsonSchema, VERBS, type VerbDefinition } from './verbs';

export const COMMAND_SERVICE_VERSION = '0.1.0';

export interface CommandServiceOptions {
  logger?: Logger;
  audit?: AuditSinkOptions;
  /** Micro service version (semver). */
  version?: string;
  /** Queue group; the library default `q` spreads requests over all instances of a service. */
  queue?: string;
}

export interface CommandService {
  /** The micro service id (as seen by `$SRV.INFO.pxfw`). */
  readonly id: string;
  /** Stop answering; waits for commands already running to reply. */
  stop(): Promise<void>;
}

/** The error sent back, with the HTTP-like status that goes into Nats-Service-Error-Code. */
interface ReplyError {
  status: number;
  code: string;
  message: string;
}

/** Parse the request payload: empty means `{}`; anything but JSON is a 400. */
export function parseRequestBody(data: Uint8Array): unknown {
  const text = new TextDecoder().decode(data).trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new InvalidRequestError(`request body: not valid JSON (${(cause as Error).message})`, { cause });
  }
}

/** Validate a request for one verb; destructive verbs must carry `"confirm": "<service>"`. */
export function validateRequest(def: VerbDefinition, service: string, body: unknown): unknown {
  const parsed = def.schema.safeParse(body);
  if (!parsed.success) throw new InvalidRequestError(describeIssues(parsed.error.issues), { cause: parsed.error });
  if (def.destructive) {
    const given = (parsed.data as { confirm?: string }).confirm;
    if (given !== service) {
      const got = given === undefined ? 'no confirm field was sent' : `confirm was '${given}'`;
      throw new ConfirmationRequiredError(
        `${def.verb} is destructive: send "confirm": "${service}" in the request (${got}; the CLI sends it with --yes)`,
      );
    }
  }
  return parsed.data;
}

function toReplyError(err: unknown): ReplyError {
  if (err instanceof OperationError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof ValidationError) return { status: 400, code: err.code, message: err.message };
  return { status: 500, code: 'INTERNAL', message: `${describeError(err)} (see the scheduler log)` };
}

/** Header values are one line; keep them readable and bounded. */
function headerText(text: string): string {
  const line = text.replace(/[\r\n]+/g, ' ');
  return line.length > 1000 ? `${line.slice(0, 997)}...` : line;
}

class CommandHandler {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly ops: ServiceOperations,
    private readonly log: Logger,
    private readonly audit: AuditLog,
  ) {}

  accept(def: VerbDefinition, msg: ServiceMsg): void {
    const run = this.handle(def, msg);
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private async handle(def: VerbDefinition, msg: ServiceMsg): Promise<void> {
    const started = performance.now();
    let request: unknown = null;
    let failure: ReplyError | null = null;
    try {
      request = parseRequestBody(msg.data);
      const valid = validateRequest(def, this.ops.service, request);
      const result = await def.run(this.ops, valid);
      if (!msg.respond(stringifyJson(result ?? null))) this.log.warn({ verb: def.verb }, 'request had no reply subject; result dropped');
    } catch (err) {
      failure = toReplyError(err);
      if (failure.status >= 500) this.log.error({ err, verb: def.verb }, 'command failed unexpectedly');
      const body = JSON.stringify({ error: failure });
      msg.respondError(failure.status, headerText(`${failure.code}: ${failure.message}`), body);
    } finally {
      this.audit.write(this.record(def, msg, request, failure, started));
    }
  }

  private record(def: VerbDefinition, msg: ServiceMsg, request: unknown, failure: ReplyError | null, started: number): AuditRecord {
    return {
      ts: new Date().toISOString(),
      service: this.ops.service,
      verb: def.verb,
      ...callerFromHeaders(msg.headers),
      request: redactRequest(request),
      result: failure ? 'error' : 'ok',
      status: failure?.status ?? 200,
      code: failure?.code ?? null,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    };
  }
}

function addEndpoints(svc: Service, service: string, handler: CommandHandler): void {
  const group = svc.addGroup(serviceGroupSubject(service));
  for (const def of VERBS) {
    group.addEndpoint(endpointName(def.verb), {
      subject: def.verb,
      // A subscription error never reaches here: the library stops the service with it, and
      // `stopped` below logs it.
      handler: (_err, msg) => handler.accept(def, msg),
      metadata: {
        verb: def.verb,
        summary: def.summary,
        destructive: String(def.destructive),
        read_only: String(def.readOnly),
        request_schema: JSON.stringify(requestJsonSchema(def)),
      },
    });
  }
}

/**
 * Serve `pxfw.<service>.<verb>` as the NATS micro service `pxfw`. Every request is validated,
 * destructive ones need confirmation, errors carry the service error headers, and every command
 * is audit-logged (pino `audit` child and `pxfw.<service>.events.audit`).
 */
export async function startCommandService(
  nc: NatsConnection,
  ops: ServiceOperations,
  options: CommandServiceOptions = {},
): Promise<CommandService> {
  const service = ops.service;
  const log = options.logger ?? childLogger({ component: 'command-service', service });
  const auditLogger = options.audit?.logger ?? childLogger({ component: 'audit', service });
  const handler = new CommandHandler(ops, log, new AuditLog(nc, service, auditLogger, options.audit));
  // @nats-io/services 3.0.0-25 is typed against nats-core 3.0.0-50; the connection API it uses
  // (subscribe, publish, closed) is unchanged in 3.4, so the cast is safe at runtime.
  const svcm = new Svcm(nc as unknown as ConstructorParameters<typeof Svcm>[0]);
  const svc = await svcm.add({
    name: MICRO_SERVICE_NAME,
    version: options.version ?? COMMAND_SERVICE_VERSION,
    description: `pxfw scheduler commands for ${service}`,
    metadata: { service },
    ...(options.queue !== undefined ? { queue: options.queue } : {}),
  });
  addEndpoints(svc, service, handler);
  void svc.stopped.then((err) => {
    if (err) log.error({ err }, 'command service stopped with an error');
  });
  log.info({ subjects: `${serviceGroupSubject(service)}.>` }, 'command service listening');
  return {
    id: svc.info().id,
    async stop() {
      await svc.stop();
      await handler.drain();
    },
  };
}
