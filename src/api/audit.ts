import { createHash } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Logger } from '../log/logger';
import { auditSubject, CLIENT_ID_HEADER, REQUEST_INFO_HEADER, USER_HEADER } from './subjects';

/** One command as the audit log records it. */
export interface AuditRecord {
  ts: string;
  service: string;
  verb: string;
  /** Who the caller says they are (`Pxfw-User`); NATS credentials are what is enforced. */
  user: string | null;
  /** The caller's NATS client id (`Pxfw-Client-Id`), to match against the server's connz. */
  clientId: string | null;
  /** Account and user nats-server vouches for, when the request crossed an account import. */
  natsUser: string | null;
  natsAccount: string | null;
  request: unknown;
  result: 'ok' | 'error';
  /** Service status: 200 on success, else the Nats-Service-Error-Code sent. */
  status: number;
  /** Error code (e.g. UNKNOWN_POD) when result is error. */
  code: string | null;
  durationMs: number;
}

const SECRET_KEY = /pass(word)?|token|secret|credential|private.?key|authorization|seed/i;

/** The request minus secrets: secret-looking fields masked, a spec's YAML reduced to its hash. */
export function redactRequest(value: unknown, key = ''): unknown {
  if (SECRET_KEY.test(key)) return '[redacted]';
  if (key === 'yaml' && typeof value === 'string') {
    // A spec may embed passwords; the hash still ties the audit line to the exact update.
    return { bytes: Buffer.byteLength(value), sha256: createHash('sha256').update(value).digest('hex') };
  }
  if (Array.isArray(value)) return value.map((v) => redactRequest(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactRequest(v, k)]));
  }
  return value;
}

interface HeaderSource {
  get(key: string): string;
}

/** Identity fields from the request headers; a malformed Nats-Request-Info is ignored. */
export function callerFromHeaders(headers: HeaderSource | undefined): Pick<AuditRecord, 'user' | 'clientId' | 'natsUser' | 'natsAccount'> {
  const user = headers?.get(USER_HEADER) || null;
  const clientId = headers?.get(CLIENT_ID_HEADER) || null;
  let natsUser: string | null = null;
  let natsAccount: string | null = null;
  const info = headers?.get(REQUEST_INFO_HEADER);
  if (info) {
    try {
      const parsed = JSON.parse(info) as { acc?: unknown; user?: unknown };
      natsAccount = typeof parsed.acc === 'string' ? parsed.acc : null;
      natsUser = typeof parsed.user === 'string' ? parsed.user : null;
    } catch {
      // Informational header: say it was unreadable rather than drop the audit line.
      natsUser = `(unreadable ${REQUEST_INFO_HEADER})`;
    }
  }
  return { user, clientId, natsUser, natsAccount };
}

export interface AuditSinkOptions {
  /** Child logger `audit` of the root logger unless given. */
  logger?: Logger;
  /** Publish on `pxfw.<service>.events.audit` (default true). */
  publish?: boolean;
  /** Extra consumer of every record (metrics, tests). */
  onRecord?: (record: AuditRecord) => void;
}

/** Writes each record as one pino line and publishes it on the service's audit subject. */
export class AuditLog {
  constructor(
    private readonly nc: NatsConnection,
    private readonly service: string,
    private readonly logger: Logger,
    private readonly options: AuditSinkOptions = {},
  ) {}

  write(record: AuditRecord): void {
    this.logger.info({ audit: record }, `${record.verb} by ${record.user ?? 'unknown'}: ${record.result} ${record.status}`);
    if (this.options.publish !== false && !this.nc.isClosed()) {
      try {
        this.nc.publish(auditSubject(this.service), JSON.stringify(record));
      } catch (err) {
        // The pino line above is the durable record; a lost publish is reported, not fatal.
        this.logger.warn({ err, verb: record.verb }, 'could not publish audit record');
      }
    }
    this.options.onRecord?.(record);
  }
}
