import { z } from 'zod';
import { childLogger, type Logger } from '../log/logger';
import type { Recorder } from '../record/recorder';
import { DEFAULT_BACKOFF, type BackoffOptions } from '../util/backoff';
import { createAuthProvider, type MesosAuth } from './auth';
import { MesosProtocolError } from './errors';
import { parseOperatorEvent } from './event-schemas';
import { MesosHttp } from './http';
import type { GetAgents, GetTasks, OperatorCall, OperatorEvent } from './operator-types';
import { consumeStream, runReconnectLoop, type ConnectionOutcome } from './stream-loop';
import { parseOrThrow } from './validate';

export type OperatorClientEvent = OperatorEvent | { type: 'DISCONNECTED'; reason: string };
export type OperatorEventListener = (event: OperatorClientEvent) => void;

const optionsSchema = z.object({
  master: z.url(),
  missedHeartbeatsBeforeReconnect: z.number().int().positive().optional(),
  backoff: z.object({ initialMs: z.number().nonnegative(), maxMs: z.number().positive() }).optional(),
});

export type MesosOperatorClientOptions = z.input<typeof optionsSchema> & {
  auth?: MesosAuth;
  recorder?: Recorder;
  logger?: Logger;
};

/** GET_AGENTS with its lists always present. */
export type AgentsView = Required<GetAgents>;
/** GET_TASKS with its lists always present. */
export type TasksView = Required<GetTasks>;

const id = z.looseObject({ value: z.string().min(1) });
const getAgentsResponse = z.looseObject({
  type: z.literal('GET_AGENTS'),
  get_agents: z
    .looseObject({
      agents: z.array(z.looseObject({ agent_info: z.looseObject({ hostname: z.string(), id: id.optional() }) })).optional(),
      recovered_agents: z.array(z.looseObject({ hostname: z.string() })).optional(),
    })
    .optional(),
});
const taskList = z.array(z.looseObject({ task_id: id, agent_id: id, state: z.string() })).optional();
const getTasksResponse = z.looseObject({
  type: z.literal('GET_TASKS'),
  get_tasks: z
    .looseObject({
      pending_tasks: taskList,
      tasks: taskList,
      unreachable_tasks: taskList,
      completed_tasks: taskList,
      orphan_tasks: taskList,
    })
    .optional(),
});

/**
 * The Mesos v1 operator API of the master (JSON): snapshots (GET_AGENTS, GET_TASKS), MARK_AGENT_GONE
 * and a reconnecting SUBSCRIBE stream. Same leader-following, 503 and recording rules as the
 * scheduler client, recorded with api "operator".
 */
export class MesosOperatorClient {
  private readonly opts: z.output<typeof optionsSchema>;
  private readonly http: MesosHttp;
  private readonly log: Logger;

  constructor(options: MesosOperatorClientOptions) {
    const { auth, recorder, logger, ...data } = options;
    this.opts = parseOrThrow(optionsSchema, data, 'options');
    this.log = logger ?? childLogger({ module: 'mesos-operator' });
    this.http = new MesosHttp({
      master: this.opts.master,
      api: 'operator',
      auth: auth ? createAuthProvider(auth, { logger: this.log }) : undefined,
      recorder,
      logger: this.log,
      unavailableBackoff: this.opts.backoff ?? DEFAULT_BACKOFF,
    });
  }

  /** The operator endpoint of the last known leading master. */
  get masterUrl(): string {
    return this.http.url;
  }

  async getAgents(): Promise<AgentsView> {
    const body = await this.request({ type: 'GET_AGENTS' }, getAgentsResponse);
    const agents = body.get_agents as GetAgents | undefined;
    return { agents: agents?.agents ?? [], recovered_agents: agents?.recovered_agents ?? [] };
  }

  async getTasks(): Promise<TasksView> {
    const body = await this.request({ type: 'GET_TASKS' }, getTasksResponse);
    const t = body.get_tasks as GetTasks | undefined;
    return {
      pending_tasks: t?.pending_tasks ?? [],
      tasks: t?.tasks ?? [],
      unreachable_tasks: t?.unreachable_tasks ?? [],
      completed_tasks: t?.completed_tasks ?? [],
      orphan_tasks: t?.orphan_tasks ?? [],
    };
  }

  /** Tell the master an agent is gone for good (Mesos 1.5+): its tasks become TASK_GONE_BY_OPERATOR. */
  async markAgentGone(agentId: string): Promise<void> {
    parseOrThrow(z.string().min(1), agentId, 'agentId');
    const call: OperatorCall = { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agentId } } };
    await this.http.call(call);
  }

  /**
   * Stream master events to `listener` until `signal` aborts, re-subscribing after every loss
   * (each new stream starts with a fresh SUBSCRIBED snapshot). Resolves once stopped.
   */
  async subscribe(
    listener: OperatorEventListener,
    options: { signal: AbortSignal; backoff?: BackoffOptions },
  ): Promise<void> {
    const emit = (event: OperatorClientEvent): void => {
      try {
        listener(event);
      } catch (err) {
        this.log.error({ err, event: event.type }, 'operator event listener threw');
      }
    };
    await runReconnectLoop({
      backoff: options.backoff ?? this.opts.backoff ?? DEFAULT_BACKOFF,
      signal: options.signal,
      log: this.log,
      connect: () => this.connectOnce(options.signal, emit),
      onDisconnected: (reason) => emit({ type: 'DISCONNECTED', reason }),
    });
  }

  private async connectOnce(signal: AbortSignal, emit: (e: OperatorEvent) => void): Promise<ConnectionOutcome> {
    const stream = await this.http.openStream({ type: 'SUBSCRIBE' }, { signal });
    let subscribed = false;
    const reason = await consumeStream(stream, signal, (raw, control) => {
      const event = parseOperatorEvent(raw);
      if (!event) {
        this.log.debug({ event: raw }, 'ignoring an operator event type this client does not know');
        return;
      }
      if (event.type === 'SUBSCRIBED') {
        subscribed = true;
        // Only Mesos 1.5+ sends heartbeats and says how often; older masters get no watchdog.
        const interval = event.subscribed.heartbeat_interval_seconds;
        if (interval) control.watchHeartbeats(interval * 1000 * (this.opts.missedHeartbeatsBeforeReconnect ?? 5));
      }
      emit(event);
    });
    return { subscribed, reason };
  }

  private async request<S extends z.ZodType>(call: OperatorCall, schema: S): Promise<z.output<S>> {
    const reply = await this.http.call(call);
    // GET_AGENTS at 2,000 agents is megabytes holding int64 timestamps: parsed in slices.
    const body = await this.http.parseInSlices(reply.body, `${call.type} response`);
    return parseOrThrow(schema, body, `${call.type} response`, (message) => new MesosProtocolError(message));
  }
}
