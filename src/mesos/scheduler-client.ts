import { setMaxListeners } from 'node:events';
import { z } from 'zod';
import { childLogger, type Logger } from '../log/logger';
import type { Recorder } from '../record/recorder';
import { DEFAULT_BACKOFF } from '../util/backoff';
import { createAuthProvider, type MesosAuth } from './auth';
import { MesosFrameworkNotSubscribedError, MesosNotSubscribedError, MesosProtocolError } from './errors';
import { parseSchedulerEventInSlices, VALIDATE_SLICE_OFFERS } from './event-schemas';
import { MesosHttp } from './http';
import { consumeStream, runReconnectLoop, type ConnectionOutcome } from './stream-loop';
import type { SchedulerCall, SchedulerCallBody, SchedulerEvent } from './scheduler-types';
import type { Filters, FrameworkInfo, OfferOperation, TaskStatus } from './types';
import { parseOrThrow } from './validate';

/** Not a Mesos event: the client lost (or could not get) its subscription and will retry. */
export interface DisconnectedEvent {
  type: 'DISCONNECTED';
  reason: string;
}
export type SchedulerClientEvent = SchedulerEvent | DisconnectedEvent;
export type SchedulerEventListener = (event: SchedulerClientEvent) => void;

const FOUR_WEEKS_S = 4 * 7 * 24 * 3600;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** Mesos' default scheduler heartbeat interval, used if SUBSCRIBED does not say. */
const DEFAULT_HEARTBEAT_S = 15;

const optionsSchema = z.object({
  master: z.url(),
  framework: z.object({
    name: z.string().min(1),
    roles: z.array(z.string().min(1)).min(1),
    principal: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    hostname: z.string().min(1).optional(),
    webuiUrl: z.url().optional(),
    failoverTimeoutSeconds: z.number().positive().optional(),
  }),
  frameworkId: z.string().min(1).optional(),
  missedHeartbeatsBeforeReconnect: z.number().int().positive().optional(),
  backoff: z.object({ initialMs: z.number().nonnegative(), maxMs: z.number().positive() }).optional(),
});

export type MesosSchedulerClientOptions = z.input<typeof optionsSchema> & {
  auth?: MesosAuth;
  recorder?: Recorder;
  logger?: Logger;
};

const idList = (what: string) => z.array(z.string().min(1, `${what} must not be empty`));

/**
 * A Mesos v1 scheduler API client (JSON). `start()` subscribes and keeps the subscription alive
 * (reconnect with capped backoff + jitter, heartbeat watchdog, failover) until `stop()`. Events
 * reach listeners in stream order; DISCONNECTED marks each lost or failed subscription.
 */
export class MesosSchedulerClient {
  private readonly opts: z.output<typeof optionsSchema>;
  private readonly http: MesosHttp;
  private readonly log: Logger;
  private readonly listeners = new Set<SchedulerEventListener>();
  private _frameworkId: string | undefined;
  private _streamId: string | undefined;
  private subscribed = false;
  /** Ends the current subscription's stream (the reconnect loop then subscribes again). */
  private dropStream: ((reason: string) => void) | undefined;
  private running: { abort: AbortController; loop: Promise<void> } | undefined;

  constructor(options: MesosSchedulerClientOptions) {
    const { auth, recorder, logger, ...data } = options;
    this.opts = parseOrThrow(optionsSchema, data, 'options');
    this.log = logger ?? childLogger({ module: 'mesos-scheduler', framework: this.opts.framework.name });
    this._frameworkId = this.opts.frameworkId;
    this.http = new MesosHttp({
      master: this.opts.master,
      api: 'scheduler',
      auth: auth ? createAuthProvider(auth, { logger: this.log }) : undefined,
      recorder,
      logger: this.log,
      unavailableBackoff: this.opts.backoff ?? DEFAULT_BACKOFF,
    });
  }

  /** Set from SUBSCRIBED (or the constructor); sent again on every re-subscribe. */
  get frameworkId(): string | undefined {
    return this._frameworkId;
  }

  /** The Mesos-Stream-Id of the current subscription, if any. */
  get streamId(): string | undefined {
    return this._streamId;
  }

  /** The scheduler endpoint of the last known leading master. */
  get masterUrl(): string {
    return this.http.url;
  }

  onEvent(listener: SchedulerEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.running) return;
    const abort = new AbortController();
    // Every call in flight listens on this one signal; thousands may be in flight at once.
    setMaxListeners(0, abort.signal);
    const loop = runReconnectLoop({
      backoff: this.opts.backoff ?? DEFAULT_BACKOFF,
      signal: abort.signal,
      log: this.log,
      connect: () => this.connectOnce(abort.signal),
      onDisconnected: (reason) => this.emit({ type: 'DISCONNECTED', reason }),
    });
    this.running = { abort, loop };
  }

  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    running.abort.abort();
    await running.loop;
    this.running = undefined;
  }

  async accept(offerIds: string[], operations: OfferOperation[], filters?: Filters): Promise<void> {
    const ids = parseOrThrow(idList('offer id').min(1), offerIds, 'offerIds');
    const accept = { offer_ids: ids.map((value) => ({ value })), operations, ...(filters ? { filters } : {}) };
    await this.send({ type: 'ACCEPT', accept });
  }

  async decline(offerIds: string[], refuseSeconds?: number): Promise<void> {
    const ids = parseOrThrow(idList('offer id').min(1), offerIds, 'offerIds');
    const filters = refuseSeconds === undefined ? {} : { filters: { refuse_seconds: refuseSeconds } };
    await this.send({ type: 'DECLINE', decline: { offer_ids: ids.map((value) => ({ value })), ...filters } });
  }

  async kill(taskId: string, agentId?: string): Promise<void> {
    parseOrThrow(z.string().min(1), taskId, 'taskId');
    const agent = agentId ? { agent_id: { value: agentId } } : {};
    await this.send({ type: 'KILL', kill: { task_id: { value: taskId }, ...agent } });
  }

  /** Acknowledge an update. Updates without a uuid (master-generated) need none: no-op then. */
  async acknowledge(status: TaskStatus): Promise<void> {
    if (!status.uuid) {
      this.log.debug({ task: status.task_id.value, state: status.state }, 'update has no uuid; nothing to acknowledge');
      return;
    }
    if (!status.agent_id) {
      throw new MesosProtocolError(`update for task ${status.task_id.value} has a uuid but no agent_id`);
    }
    await this.send({
      type: 'ACKNOWLEDGE',
      acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid },
    });
  }

  /** Explicit reconciliation of the given tasks; an empty list asks for implicit reconciliation. */
  async reconcile(tasks: { taskId: string; agentId?: string }[]): Promise<void> {
    const list = parseOrThrow(
      z.array(z.object({ taskId: z.string().min(1), agentId: z.string().min(1).optional() })),
      tasks,
      'tasks',
    );
    const entries = list.map((t) => ({
      task_id: { value: t.taskId },
      ...(t.agentId ? { agent_id: { value: t.agentId } } : {}),
    }));
    await this.send({ type: 'RECONCILE', reconcile: entries.length > 0 ? { tasks: entries } : {} });
  }

  async revive(roles?: string[]): Promise<void> {
    await this.send({ type: 'REVIVE', ...(roles ? { revive: { roles } } : {}) });
  }

  async suppress(roles?: string[]): Promise<void> {
    await this.send({ type: 'SUPPRESS', ...(roles ? { suppress: { roles } } : {}) });
  }

  /** Remove the framework from Mesos (kills every task) and stop; the framework id is forgotten. */
  async teardown(): Promise<void> {
    await this.send({ type: 'TEARDOWN' });
    await this.stop();
    this._frameworkId = undefined;
    this._streamId = undefined;
  }

  private async send(body: SchedulerCallBody): Promise<void> {
    const streamId = this._streamId;
    const frameworkId = this._frameworkId;
    if (!this.subscribed || !streamId || !frameworkId) throw new MesosNotSubscribedError(body.type);
    const call: SchedulerCall = { ...body, framework_id: { value: frameworkId } };
    try {
      await this.http.call(call, {
        headers: { 'mesos-stream-id': streamId }, signal: this.running?.abort.signal,
      });
    } catch (err) {
      // The master no longer counts this stream as the framework's subscription (cut stream,
      // failover): our end of it is stale. End it so the loop subscribes again; the caller gets
      // the retryable error and sends the call again once subscribed.
      if (err instanceof MesosFrameworkNotSubscribedError && this._streamId === streamId) {
        this.log.warn({ call: body.type, status: err.status }, 'the master says the framework is not subscribed; re-subscribing');
        this.subscribed = false;
        this.dropStream?.(err.message);
      }
      throw err;
    }
  }

  private subscribeCall(): SchedulerCall {
    const f = this.opts.framework;
    const id = this._frameworkId ? { value: this._frameworkId } : undefined;
    const frameworkInfo: FrameworkInfo = {
      user: f.user ?? 'root',
      name: f.name,
      ...(id ? { id } : {}),
      failover_timeout: f.failoverTimeoutSeconds ?? FOUR_WEEKS_S,
      // Stateful services: tasks must survive an agent restart.
      checkpoint: true,
      roles: f.roles,
      ...(f.hostname ? { hostname: f.hostname } : {}),
      ...(f.principal ? { principal: f.principal } : {}),
      ...(f.webuiUrl ? { webui_url: f.webuiUrl } : {}),
      capabilities: [{ type: 'PARTITION_AWARE' }, { type: 'REGION_AWARE' }, { type: 'MULTI_ROLE' }],
    };
    const call: SchedulerCall = { type: 'SUBSCRIBE', subscribe: { framework_info: frameworkInfo } };
    if (id) call.framework_id = id;
    return call;
  }

  private async connectOnce(signal: AbortSignal): Promise<ConnectionOutcome> {
    const stream = await this.http.openStream(this.subscribeCall(), { signal });
    const streamId = stream.headers['mesos-stream-id'];
    if (typeof streamId !== 'string' || streamId === '') {
      stream.close();
      throw new MesosProtocolError(`SUBSCRIBE answer from ${stream.url} has no Mesos-Stream-Id header`);
    }
    this._streamId = streamId;
    let gotSubscribed = false;
    try {
      const reason = await consumeStream(stream, signal, async (raw, control) => {
        const event = await parseSchedulerEventInSlices(raw);
        if (control.dropped()) return;
        if (!event) {
          this.log.warn({ event: raw }, 'ignoring a scheduler event type this client does not know');
          return;
        }
        if (event.type === 'OFFERS' && (event.offers.offers?.length ?? 0) > VALIDATE_SLICE_OFFERS) {
          // The offers' last slice of checks has run in this turn: the listeners' own work on
          // them (the offer round) starts in a fresh one.
          await turn();
          if (control.dropped()) return;
        }
        if (event.type === 'SUBSCRIBED') {
          gotSubscribed = true;
          this.dropStream = control.drop;
          this.subscribed = true;
          this._frameworkId = event.subscribed.framework_id.value;
          const interval = event.subscribed.heartbeat_interval_seconds ?? DEFAULT_HEARTBEAT_S;
          control.watchHeartbeats(interval * 1000 * (this.opts.missedHeartbeatsBeforeReconnect ?? 5));
          this.log.info({ frameworkId: this._frameworkId, streamId, interval }, 'subscribed to Mesos');
        }
        this.emit(event);
        // The master closes the stream after any ERROR ("Framework failed over", removed, …).
        if (event.type === 'ERROR') control.drop(`Mesos error: ${event.error.message}`);
      });
      return { subscribed: gotSubscribed, reason };
    } finally {
      this.subscribed = false;
      this._streamId = undefined;
      this.dropStream = undefined;
    }
  }

  private emit(event: SchedulerClientEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        // One faulty listener must not starve the others of events; the fault is reported.
        this.log.error({ err, event: event.type }, 'scheduler event listener threw');
      }
    }
  }
}
