import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { Writable } from 'node:stream';
import { startCommandService, type CommandService } from '../../src/api/command-service';
import type { AuditRecord } from '../../src/api/audit';
import { runServiceCommand } from '../../src/cli/service.command';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { FakeOperations, type FakeOptions } from './fake-operations';

/** A unique service name per test, so tests on the shared NATS never see each other. */
export function uniqueService(prefix = 't'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A pino logger that keeps its lines in memory. */
export function memoryLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

export interface Harness {
  service: string;
  ops: FakeOperations;
  nc: NatsConnection;
  commands: CommandService;
  audit: AuditRecord[];
  log: Record<string, unknown>[];
  auditLog: Record<string, unknown>[];
  /** Run `pxfw <service> …` and capture its output. */
  cli(...args: string[]): Promise<{ code: number; out: string; err: string }>;
  close(): Promise<void>;
}

/** A command service on the shared NATS backed by a fresh fake, plus a CLI runner. */
export async function startHarness(options: FakeOptions = {}): Promise<Harness> {
  const service = uniqueService();
  const ops = new FakeOperations(service, options);
  const nc = await connect({ servers: SHARED_NATS_URL });
  const audit: AuditRecord[] = [];
  const main = memoryLogger();
  const auditLogger = memoryLogger();
  const commands = await startCommandService(nc, ops, {
    logger: main.logger,
    audit: { logger: auditLogger.logger, onRecord: (r) => audit.push(r) },
  });
  return {
    service,
    ops,
    nc,
    commands,
    audit,
    log: main.lines,
    auditLog: auditLogger.lines,
    cli: (...args) => runCli(nc, service, args),
    async close() {
      await commands.stop();
      await nc.close();
    },
  };
}

export async function runCli(
  nc: NatsConnection | undefined,
  service: string,
  args: string[],
  env: NodeJS.ProcessEnv = { NATS_USER: 'alice' },
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runServiceCommand([service, ...args], {
    ...(nc ? { nc } : {}),
    out: { write: (t: string) => (out += t) },
    err: { write: (t: string) => (err += t) },
    env,
    pollMs: 10,
  });
  return { code, out, err };
}
