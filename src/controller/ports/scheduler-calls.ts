import type { MesosSchedulerClient, OfferOperation, TaskStatus } from '../../mesos';
import type { Logger } from '../../log/logger';
import { NotConnectedError } from '../errors';

/** The calls of the Mesos v1 scheduler API the controller makes, and whether they can be made now. */
export interface SchedulerCalls {
  /** SUBSCRIBED was received and the stream has not closed since. */
  readonly subscribed: boolean;
  /** The client while subscribed, for the effects that drive it themselves (offer handler, pod effects). */
  client(): MesosSchedulerClient | undefined;
  /**
   * Best effort: a failure is logged, not thrown. Each resolves whether the call went through
   * (false: not subscribed, or the master refused it, e.g. 403 during a failover).
   */
  accept(offerIds: string[], operations: OfferOperation[]): Promise<boolean>;
  decline(offerIds: string[], refuseSeconds?: number): Promise<boolean>;
  kill(taskId: string, agentId: string): Promise<boolean>;
  revive(): Promise<boolean>;
  suppress(): Promise<boolean>;
  acknowledge(status: TaskStatus): Promise<boolean>;
  /** The supervisor's effects: they throw (NotConnectedError before SUBSCRIBED), the machine retries. */
  reconcile(tasks: { taskId: string; agentId: string }[]): Promise<void>;
  killOrThrow(taskId: string, agentId: string): Promise<void>;
  /** TEARDOWN: the master closing the stream afterwards is expected (see `disconnected`). */
  teardown(): Promise<void>;
}

/**
 * The adapter: holds the service's scheduler client and owns the subscription state. Only its
 * owner (the runtime's lifecycle and the event router) changes that state, through its methods.
 */
export class SchedulerConnection implements SchedulerCalls {
  private mesos: MesosSchedulerClient | undefined;
  private isSubscribed = false;
  /** Set while our own TEARDOWN is in flight: the master closing the stream is then expected. */
  private tearingDown = false;
  /**
   * Bumped by every SUBSCRIBED. Offers belong to one subscription: the master takes back a
   * framework's outstanding offers when its connection closes (held offers check this).
   */
  private subscriptions = 0;

  constructor(private readonly logger: Logger) {}

  get subscribed(): boolean {
    return this.isSubscribed;
  }

  /** A client exists (subscribing or subscribed). */
  get connected(): boolean {
    return this.mesos !== undefined;
  }

  client(): MesosSchedulerClient | undefined {
    return this.isSubscribed ? this.mesos : undefined;
  }

  /** Use this client from now on (not started: the caller wires its events, then starts it). */
  connect(client: MesosSchedulerClient): void {
    this.mesos = client;
  }

  markSubscribed(): void {
    this.isSubscribed = true;
    this.subscriptions += 1;
  }

  /** Which subscription this is (0 before the first SUBSCRIBED). */
  get subscription(): number {
    return this.subscriptions;
  }

  /** The stream closed. Returns whether that was expected (our own TEARDOWN ended it). */
  markDisconnected(): boolean {
    this.isSubscribed = false;
    return this.tearingDown;
  }

  /** Forget the client and stop it (step-down, framework removed, stop). */
  async drop(opts: { forgetTeardown?: boolean } = {}): Promise<void> {
    const m = this.mesos;
    this.mesos = undefined;
    this.isSubscribed = false;
    if (opts.forgetTeardown) this.tearingDown = false;
    await m?.stop();
  }

  /** One best-effort call, if subscribed. */
  async call(what: string, fn: (m: MesosSchedulerClient) => Promise<void>): Promise<boolean> {
    const m = this.mesos;
    if (!m || !this.isSubscribed) return false;
    try {
      await fn(m);
      return true;
    } catch (err) {
      this.logger.warn({ err, call: what }, 'Mesos call failed');
      return false;
    }
  }

  accept(offerIds: string[], operations: OfferOperation[]): Promise<boolean> {
    return this.call('accept', (m) => m.accept(offerIds, operations));
  }

  decline(offerIds: string[], refuseSeconds?: number): Promise<boolean> {
    return this.call('decline', (m) => m.decline(offerIds, refuseSeconds));
  }

  kill(taskId: string, agentId: string): Promise<boolean> {
    return this.call('kill', (m) => m.kill(taskId, agentId));
  }

  revive(): Promise<boolean> {
    return this.call('revive', (m) => m.revive());
  }

  suppress(): Promise<boolean> {
    return this.call('suppress', (m) => m.suppress());
  }

  acknowledge(status: TaskStatus): Promise<boolean> {
    return this.call('acknowledge', (m) => m.acknowledge(status));
  }

  async reconcile(tasks: { taskId: string; agentId: string }[]): Promise<void> {
    await this.registered('reconcile').reconcile(tasks);
  }

  async killOrThrow(taskId: string, agentId: string): Promise<void> {
    await this.registered('kill tasks').kill(taskId, agentId);
  }

  async teardown(): Promise<void> {
    const m = this.registered('TEARDOWN');
    // The master ends the subscription as part of TEARDOWN; that must not send the supervisor
    // back to subscribing (a removed framework can never subscribe again).
    this.tearingDown = true;
    try {
      await m.teardown();
    } catch (err) {
      this.tearingDown = false;
      throw err;
    }
  }

  /** The client once the master gave us a framework id (it may be re-subscribing meanwhile). */
  private registered(what: string): MesosSchedulerClient {
    const m = this.mesos;
    if (!m?.frameworkId) throw new NotConnectedError(`cannot ${what} before SUBSCRIBED`);
    return m;
  }
}
