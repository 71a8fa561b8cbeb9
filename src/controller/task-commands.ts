import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { PxfwError } from '../errors';
import { childLogger, type Logger } from '../log/logger';
import { MesosAgentClient, MesosAgentTimeoutError, decodeWaitStatus, type AuthProvider } from '../mesos';
import { parseOrThrow } from '../mesos/validate';

/** Port of the Mesos agent's HTTP API (mesos-agent --port). */
export const MESOS_AGENT_PORT = 5051;

/** A running task to run a command in; `containerId` comes from its TaskStatus.container_status. */
export interface TaskTarget {
  taskId: string;
  agentId: string;
  hostname: string;
  containerId: { value: string; parent?: { value: string } };
}

/** Runs one command inside a running task and reports its exit code (0: success). */
export interface TaskCommandRunner {
  run(target: TaskTarget, command: string, timeoutMs: number): Promise<{ exitCode: number }>;
}

/** A pre/post snapshot command did not end within its time limit; it was killed. */
export class SnapshotCommandTimeoutError extends PxfwError {
  readonly code = 'SNAPSHOT_COMMAND_TIMEOUT';
  readonly retryable = false;
  constructor(
    readonly taskId: string,
    readonly command: string,
    readonly timeoutMs: number,
    /** Why KILL_NESTED_CONTAINER failed, when it did (the command may still be running). */
    readonly killError?: unknown,
    options?: { cause?: unknown },
  ) {
    const killed = killError === undefined ? 'it was killed' : `killing it failed too: ${errorText(killError)}`;
    super(`command '${command}' in task ${taskId} did not finish within ${timeoutMs} ms; ${killed}`, options);
  }
}

/** A pre/post snapshot command ended unsuccessfully: a non-zero exit, a signal, or no status at all. */
export class SnapshotCommandFailedError extends PxfwError {
  readonly code = 'SNAPSHOT_COMMAND_NONZERO_EXIT';
  readonly retryable = false;
  constructor(
    readonly taskId: string,
    readonly command: string,
    /** The exit code; 128 + n for a death by signal n (the shell convention); null when none was reported. */
    readonly exitCode: number | null,
    readonly signal?: number,
  ) {
    const how =
      signal !== undefined
        ? `was killed by signal ${signal} (exit code ${exitCode})`
        : exitCode === null
          ? 'ended without an exit status (its container was destroyed)'
          : `exited with code ${exitCode}`;
    super(`command '${command}' in task ${taskId} ${how}`);
  }
}

export interface MesosAgentCommandRunnerOptions {
  /** Base URL of the agent API for a task's agent; default `http://<hostname>:5051`. */
  agentUrl?: (t: { agentId: string; hostname: string }) => string;
  auth?: AuthProvider;
  logger?: Logger;
}

const targetSchema = z.object({
  taskId: z.string().min(1),
  agentId: z.string().min(1),
  hostname: z.string().min(1),
  containerId: z.object({ value: z.string().min(1), parent: z.object({ value: z.string().min(1) }).optional() }),
});
const runSchema = z.object({
  target: targetSchema,
  command: z.string().trim().min(1, 'must be a shell command such as "nodetool flush"'),
  timeoutMs: z.number().int().positive(),
});

/**
 * Runs a command inside a task's container through the Mesos agent API: LAUNCH_NESTED_CONTAINER
 * (a new container nested under the task's) then WAIT_NESTED_CONTAINER; past the time limit,
 * KILL_NESTED_CONTAINER. A non-zero exit or a timeout throws the matching typed error.
 */
export class MesosAgentCommandRunner implements TaskCommandRunner {
  private readonly agentUrl: (t: { agentId: string; hostname: string }) => string;
  private readonly log: Logger;
  private readonly clients = new Map<string, MesosAgentClient>();

  constructor(private readonly opts: MesosAgentCommandRunnerOptions = {}) {
    this.agentUrl = opts.agentUrl ?? ((t) => `http://${t.hostname}:${MESOS_AGENT_PORT}`);
    this.log = opts.logger ?? childLogger({ module: 'task-commands' });
  }

  async run(target: TaskTarget, command: string, timeoutMs: number): Promise<{ exitCode: number }> {
    const input = parseOrThrow(runSchema, { target, command, timeoutMs }, 'task command');
    const { taskId } = input.target;
    const client = this.clientFor(input.target);
    const deadline = Date.now() + input.timeoutMs;
    const log = this.log.child({ taskId, agentId: input.target.agentId, command: input.command });
    const id = await client.launchNestedContainer(randomUUID(), input.target.containerId, input.command);
    log.info({ containerId: id.value }, 'command launched in the task');
    let exitStatus: number | undefined;
    try {
      // The launch counts against the limit; always give the wait a moment to collect a result.
      ({ exitStatus } = await client.waitNestedContainer(id, { timeoutMs: Math.max(1, deadline - Date.now()) }));
    } catch (err) {
      if (!(err instanceof MesosAgentTimeoutError)) throw err;
      const killError = await client.killNestedContainer(id).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (killError !== undefined) log.error({ err: killError }, 'could not kill the timed-out command');
      else log.warn({ timeoutMs: input.timeoutMs }, 'command timed out and was killed');
      throw new SnapshotCommandTimeoutError(taskId, input.command, input.timeoutMs, killError, { cause: err });
    }
    return this.outcome(taskId, input.command, exitStatus, log);
  }

  private outcome(taskId: string, command: string, exitStatus: number | undefined, log: Logger): { exitCode: number } {
    if (exitStatus === undefined) throw new SnapshotCommandFailedError(taskId, command, null);
    const decoded = decodeWaitStatus(exitStatus);
    if ('signal' in decoded) throw new SnapshotCommandFailedError(taskId, command, 128 + decoded.signal, decoded.signal);
    if (decoded.exitCode !== 0) throw new SnapshotCommandFailedError(taskId, command, decoded.exitCode);
    log.info('command succeeded');
    return { exitCode: 0 };
  }

  private clientFor(t: { agentId: string; hostname: string }): MesosAgentClient {
    const url = this.agentUrl(t);
    let client = this.clients.get(url);
    if (!client) {
      client = new MesosAgentClient({ url, ...(this.opts.auth ? { auth: this.opts.auth } : {}), logger: this.log });
      this.clients.set(url, client);
    }
    return client;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
