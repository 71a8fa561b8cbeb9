import type { NatsConnection } from '@nats-io/nats-core';
import type { z } from 'zod';
import { PxfwError } from '../errors';
import { CliFailure, cliErrorJson, cliErrorLine } from './cli-errors';
import { connectNats, natsSettingsFromEnv } from '../nats/connect';
import { callCommand, defaultCaller } from '../api/client';
import { SchedulerNotRunningError } from '../api/client-errors';
import { watchPlan, type WatchResult } from './progress';
import { findVerb } from '../api/verbs';
import { parseReply, planViewSchema, serviceStatusSchema } from '../api/views';

/** Where the CLI writes; process.stdout/stderr in real use, buffers in tests. */
export interface TextSink {
  write(text: string): unknown;
}

export interface ServiceCommandIo {
  /** An open connection to use (and leave open); otherwise one is made from --nats / NATS_*. */
  nc?: NatsConnection;
  out: TextSink;
  err: TextSink;
  env?: NodeJS.ProcessEnv;
  /** Plan polling interval for --watch / --wait (default 1 s). */
  pollMs?: number;
}

/** Global options of `pxfw <service> …`. */
export interface GlobalOptions {
  nats?: string;
  json?: boolean;
  timeout?: string;
  yes?: boolean;
  user?: string;
}

/** The CLI could not do what was asked; the message is the one line shown to the user. */
export class CliUsageError extends PxfwError {
  readonly code = 'CLI_USAGE';
  readonly retryable = false;
}

const DEFAULT_REQUEST_TIMEOUT_S = 30;
const DEFAULT_WAIT_TIMEOUT_S = 600;

/**
 * One CLI invocation against one service: connects lazily, sends commands with the caller's
 * identity, prints human or JSON output, and keeps the exit status.
 */
export class CliSession {
  exitCode = 0;
  private nc: NatsConnection | undefined;
  private ownsConnection = false;
  /** The last reply exactly as received, for --json. */
  private lastReply: unknown = null;

  constructor(
    readonly service: string,
    private readonly io: ServiceCommandIo,
    private readonly global: GlobalOptions,
  ) {}

  get json(): boolean {
    return this.global.json === true;
  }

  private timeoutSeconds(fallback: number): number {
    if (this.global.timeout === undefined) return fallback;
    const n = Number(this.global.timeout);
    if (!Number.isFinite(n) || n <= 0) throw new CliUsageError(`--timeout must be a positive number of seconds (got '${this.global.timeout}')`);
    return n;
  }

  get requestTimeoutMs(): number {
    return this.timeoutSeconds(DEFAULT_REQUEST_TIMEOUT_S) * 1000;
  }

  get waitTimeoutMs(): number {
    return this.timeoutSeconds(DEFAULT_WAIT_TIMEOUT_S) * 1000;
  }

  /** Destructive verbs need --yes; checked before connecting so nothing is sent without it. */
  confirm(what: string): Record<string, string> {
    if (this.global.yes !== true) {
      throw new CliUsageError(`add --yes to confirm ${what} on ${this.service} (this is destructive)`);
    }
    return { confirm: this.service };
  }

  private async connection(): Promise<NatsConnection> {
    if (this.io.nc) return this.io.nc;
    if (!this.nc) {
      const settings = natsSettingsFromEnv(this.io.env ?? process.env, this.global.nats);
      this.nc = await connectNats({ ...settings, name: `pxfw-cli ${this.service}` });
      this.ownsConnection = true;
    }
    return this.nc;
  }

  async call<S extends z.ZodType>(verb: string, body: Record<string, unknown>, schema: S, timeoutMs = this.requestTimeoutMs): Promise<z.output<S>> {
    if (!findVerb(verb)) throw new CliUsageError(`unknown verb ${verb}`);
    const nc = await this.connection();
    const user = defaultCaller(this.io.env ?? process.env, this.global.user);
    const reply = await callCommand(nc, this.service, verb, body, { timeoutMs, user });
    this.lastReply = reply;
    return parseReply(schema, reply, verb);
  }

  /** Print the human text, or with --json the last reply as received. */
  print(human: string): void {
    this.io.out.write(this.json ? `${JSON.stringify(this.lastReply, null, 2)}\n` : `${human}\n`);
  }

  /** Progress goes to stdout for people and to stderr with --json (stdout stays parseable). */
  progress(line: string): void {
    (this.json ? this.io.err : this.io.out).write(`${line}\n`);
  }

  /** Poll a plan until it settles; sets the exit status from the outcome. */
  async watch(plan: string, opts: { goneMeansDone?: boolean } = {}): Promise<WatchResult | null> {
    const started = Date.now();
    const limit = this.waitTimeoutMs;
    try {
      const result = await watchPlan(
        () => this.call('plan.status', { plan }, planViewSchema, Math.max(1000, Math.min(this.requestTimeoutMs, limit - (Date.now() - started)))),
        { timeoutMs: limit, pollMs: this.io.pollMs ?? 1000, print: (l) => this.progress(l) },
      );
      if (result.outcome === 'error') {
        this.report(new CliFailure('PLAN_FAILED', `plan ${plan} failed: ${result.plan?.errors.join('; ') || 'a step is in ERROR'}`, false, this.lastReply));
      }
      if (result.outcome === 'timeout') {
        const why = `timed out after ${limit / 1000} s waiting for plan ${plan} (${result.plan?.status ?? 'unknown'})`;
        this.report(new CliFailure('WAIT_TIMEOUT', why, true, this.lastReply));
      }
      return result;
    } catch (err) {
      // After uninstall the scheduler exits; its disappearance is how the wait ends.
      if (opts.goneMeansDone && err instanceof SchedulerNotRunningError) {
        this.progress(`${plan}: the scheduler for ${this.service} has exited (uninstall finished)`);
        return null;
      }
      throw err;
    }
  }

  /**
   * Above the output of plan and pod commands: one line when the service is uninstalled (issue 10),
   * so an empty pod list is not mistaken for a service that lost its pods. Silent with --json, and
   * with a scheduler too old to answer `status`, and on any error.
   */
  async noteUninstalled(): Promise<void> {
    if (this.json) return;
    try {
      const st = await this.call('status', {}, serviceStatusSchema, Math.min(this.requestTimeoutMs, 5000));
      if (st.uninstalled) this.io.out.write(`${st.message}\n`);
    } catch {
      // The command itself reports whatever is wrong (no scheduler, NATS down), naming its own verb.
    }
  }

  /** A failure the CLI decides itself (code FAILED unless given). */
  fail(reason: string, code = 'FAILED'): void {
    this.report(new CliFailure(code, reason));
  }

  /**
   * Report any error as one line on stderr and a non-zero exit status; with --json also as one
   * `{"error": {code, message, status?, retryable}}` object on stdout (docs/operations.md).
   */
  report(err: unknown): void {
    this.io.err.write(`pxfw: ${cliErrorLine(err)}\n`);
    if (this.json) {
      const error = cliErrorJson(err);
      if (err instanceof CliFailure && err.plan !== undefined && err.plan !== null) error.plan = err.plan;
      this.io.out.write(`${JSON.stringify({ error }, null, 2)}\n`);
    }
    this.exitCode = 1;
  }

  async close(): Promise<void> {
    if (this.ownsConnection && this.nc && !this.nc.isClosed()) await this.nc.close();
    this.nc = undefined;
  }
}
