import { childLogger, type Logger } from '../../log/logger';
import { EventStream } from './event-stream';
import { IdFactory, streamId as newStreamId } from './ids';
import type { ResolvedSimOptions } from './options';
import { addRes, emptyRes, subtractRes, type Res } from './resources';
import type { FrameworkInfoIn } from './schemas';
import type { AgentTimer, CompletedTask, Json, SimAgent, SimFramework, SimOffer, SimTask } from './state';
import { domainOf, frameworkEntry } from './wire';

/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;
import type { ServerResponse } from 'node:http';

const COMPLETED_TASKS_KEPT = 1000;

/**
 * The simulated master's state and the primitives every concern shares: framework streams,
 * operator event fan-out, offer bookkeeping. Task, agent and allocation behaviour live in their
 * own modules and call back into this object.
 */
export class Master {
  readonly log: Logger = childLogger({ module: 'sim-mesos' });
  readonly ids = new IdFactory();
  readonly agents = new Map<string, SimAgent>();
  /** The current agent of each hostname (a re-registered agent replaces a removed one). */
  readonly agentsByHost = new Map<string, SimAgent>();
  readonly frameworks = new Map<string, SimFramework>();
  readonly removedFrameworks = new Set<string>();
  readonly offers = new Map<string, SimOffer>();
  readonly tasksById = new Map<string, SimTask>();
  readonly completed: CompletedTask[] = [];
  readonly operatorStreams = new Set<EventStream>();
  readonly startedAt = Date.now();
  port = 0;
  stopped = false;

  constructor(readonly opts: ResolvedSimOptions) {}

  /** Does the master hear from this agent (status updates, acknowledgements, kills go through)? */
  hears(agent: SimAgent | undefined): agent is SimAgent {
    return agent !== undefined && agent.state === 'registered' && !agent.hostDown;
  }

  /** Does the master hold the agent's tasks in its task list (Framework::tasks)? */
  knowsTasksOf(agent: SimAgent | undefined): agent is SimAgent {
    return agent !== undefined && (agent.state === 'registered' || agent.state === 'disconnected');
  }

  /** Run `fn` after `seconds` of simulated time (replacing a pending one of the same kind). */
  agentTimer(agent: SimAgent, kind: AgentTimer, seconds: number, fn: () => void): void {
    this.clearAgentTimer(agent, kind);
    const timer = setTimeout(() => {
      agent.timers.delete(kind);
      if (!this.stopped) fn();
    }, this.ms(seconds));
    timer.unref();
    agent.timers.set(kind, timer);
  }

  clearAgentTimer(agent: SimAgent, kind: AgentTimer): void {
    const timer = agent.timers.get(kind);
    if (timer) clearTimeout(timer);
    agent.timers.delete(kind);
  }

  clearAgentTimers(agent: SimAgent): void {
    for (const t of agent.timers.values()) clearTimeout(t);
    agent.timers.clear();
  }

  /** Simulated seconds to wall-clock milliseconds under the speed factor. */
  ms(seconds: number): number {
    return (seconds * 1000) / this.opts.speed;
  }

  masterInfo(): Json {
    return {
      id: this.ids.masterId,
      // Mesos puts the IPv4 address in network byte order into a uint32: 127.0.0.1 reads 16777343.
      ip: 16777343,
      port: this.port,
      pid: `master@127.0.0.1:${this.port}`,
      hostname: '127.0.0.1',
      version: '1.5.0',
      address: { hostname: '127.0.0.1', ip: '127.0.0.1', port: this.port },
      domain: domainOf(this.opts.region, 'zone-1'),
    };
  }

  // ---- scheduler streams -------------------------------------------------------------------

  /** Send one scheduler event to a framework if it is connected; false if it was not delivered. */
  sendToFramework(fw: SimFramework, event: Json): boolean {
    if (!fw.connected || !fw.stream) return false;
    return fw.stream.send(event);
  }

  sendUpdate(fw: SimFramework, status: Json): boolean {
    return this.sendToFramework(fw, { type: 'UPDATE', update: { status } });
  }

  openSchedulerStream(res: ServerResponse, streamId: string): EventStream {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Mesos-Stream-Id': streamId, 'Cache-Control': 'no-cache' });
    return new EventStream(res, {
      heartbeatMs: this.ms(this.opts.heartbeatSeconds),
      heartbeat: () => ({ type: 'HEARTBEAT' }),
      onEvent: (e) => this.opts.recorder?.mesos('scheduler', 'event', e),
    });
  }

  /** SUBSCRIBE: create or re-register a framework on a fresh stream. */
  subscribe(info: FrameworkInfoIn, res: ServerResponse): void {
    const requestedId = info.id?.value;
    const sid = newStreamId();
    const stream = this.openSchedulerStream(res, sid);
    if (requestedId !== undefined && this.removedFrameworks.has(requestedId)) {
      stream.send({ type: 'ERROR', error: { message: 'Framework has been removed' } });
      stream.close();
      return;
    }
    let fw = requestedId !== undefined ? this.frameworks.get(requestedId) : undefined;
    const now = Date.now();
    if (fw) {
      if (fw.stream?.isOpen) {
        fw.stream.send({ type: 'ERROR', error: { message: 'Framework failed over' } });
        fw.stream.close();
      }
      this.clearFrameworkOffers(fw);
      if (fw.failoverTimer) clearTimeout(fw.failoverTimer);
      fw.failoverTimer = undefined;
      Object.assign(fw, describeFramework(info, fw.id));
      fw.reregisteredAt = now;
      fw.filters.clear();
      fw.suppressed = false;
    } else {
      const id = requestedId ?? this.ids.frameworkId();
      fw = {
        ...describeFramework(info, id),
        connected: false,
        suppressed: false,
        filters: new Map(),
        offers: new Set(),
        tasks: new Map(),
        registeredAt: now,
      };
      this.frameworks.set(id, fw);
    }
    this.attachStream(fw, stream, sid);
    this.publishFrameworkEvent(fw, fw.reregisteredAt === now ? 'FRAMEWORK_UPDATED' : 'FRAMEWORK_ADDED');
  }

  private attachStream(fw: SimFramework, stream: EventStream, sid: string): void {
    fw.stream = stream;
    fw.streamId = sid;
    fw.connected = true;
    stream.send({
      type: 'SUBSCRIBED',
      subscribed: {
        framework_id: { value: fw.id },
        heartbeat_interval_seconds: this.opts.heartbeatSeconds / this.opts.speed,
        master_info: this.masterInfo(),
      },
    });
    stream.startHeartbeats();
    stream.onClose(() => {
      if (fw.stream === stream && !this.stopped) this.disconnect(fw);
    });
    this.onFrameworkConnected?.(fw);
  }

  /** Hook set by the task manager: flush pending status updates to a (re)connected framework. */
  onFrameworkConnected?: (fw: SimFramework) => void;
  /** Hook set by the task manager: kill every task of a framework being removed. */
  onFrameworkRemoved?: (fw: SimFramework) => void;

  /** The framework's stream went away: deactivate it and start its failover timeout. */
  disconnect(fw: SimFramework): void {
    fw.connected = false;
    fw.stream = undefined;
    fw.streamId = undefined;
    this.clearFrameworkOffers(fw);
    const timeout = Number(fw.info.failover_timeout ?? 0);
    if (fw.failoverTimer) clearTimeout(fw.failoverTimer);
    // setTimeout takes at most 2^31-1 ms (~24.8 days); a longer failover timeout (frameworks use
    // weeks) is waited out in steps, or Node would fire it after 1 ms.
    const deadline = Date.now() + this.ms(timeout);
    const arm = (): void => {
      const left = deadline - Date.now();
      fw.failoverTimer = setTimeout(
        () => {
          fw.failoverTimer = undefined;
          if (left > MAX_TIMER_MS) return arm();
          if (!fw.connected) this.removeFramework(fw, 'failover timeout elapsed');
        },
        Math.max(0, Math.min(left, MAX_TIMER_MS)),
      );
      fw.failoverTimer.unref();
    };
    arm();
    this.publishFrameworkEvent(fw, 'FRAMEWORK_UPDATED');
  }

  /** TEARDOWN or failover timeout: kill the framework's tasks and forget it for good. */
  removeFramework(fw: SimFramework, why: string): void {
    this.log.info({ frameworkId: fw.id, why }, 'removing framework');
    this.clearFrameworkOffers(fw);
    if (fw.failoverTimer) clearTimeout(fw.failoverTimer);
    this.onFrameworkRemoved?.(fw);
    this.frameworks.delete(fw.id);
    this.removedFrameworks.add(fw.id);
    const stream = fw.stream;
    fw.connected = false;
    fw.stream = undefined;
    stream?.close();
    this.publishOperator(() => ({ type: 'FRAMEWORK_REMOVED', framework_removed: { framework_info: fw.info } }));
  }

  // ---- offers ------------------------------------------------------------------------------

  /** Drop an offer and return its resources to the agent; optionally tell the framework. */
  removeOffer(offer: SimOffer, rescind: boolean): void {
    if (!this.offers.delete(offer.id)) return;
    if (offer.timer) clearTimeout(offer.timer);
    const agent = this.agents.get(offer.agentId);
    if (agent) {
      agent.offers.delete(offer.id);
      agent.offered = subtractRes(agent.offered, offer.resources);
    }
    const fw = this.frameworks.get(offer.frameworkId);
    if (fw) {
      fw.offers.delete(offer.id);
      if (rescind) this.sendToFramework(fw, { type: 'RESCIND', rescind: { offer_id: { value: offer.id } } });
    }
  }

  clearFrameworkOffers(fw: SimFramework): void {
    for (const id of [...fw.offers]) {
      const offer = this.offers.get(id);
      if (offer) this.removeOffer(offer, false);
    }
  }

  rescindAgentOffers(agent: SimAgent): void {
    for (const id of [...agent.offers]) {
      const offer = this.offers.get(id);
      if (offer) this.removeOffer(offer, true);
    }
  }

  available(agent: SimAgent): Res {
    return subtractRes(subtractRes(agent.total, agent.used), agent.offered);
  }

  frameworkResources(fw: SimFramework): { allocated: Res; offered: Res } {
    let allocated = emptyRes();
    for (const t of fw.tasks.values()) allocated = addRes(allocated, t.resources);
    let offered = emptyRes();
    for (const id of fw.offers) {
      const o = this.offers.get(id);
      if (o) offered = addRes(offered, o.resources);
    }
    return { allocated, offered };
  }

  // ---- completed tasks ---------------------------------------------------------------------

  rememberCompleted(task: SimTask, finalState: string): void {
    this.completed.push({ task, finalState });
    if (this.completed.length > COMPLETED_TASKS_KEPT) this.completed.splice(0, this.completed.length - COMPLETED_TASKS_KEPT);
  }

  // ---- operator events ---------------------------------------------------------------------

  /** Build the event only when someone listens: most runs have no operator subscriber. */
  publishOperator(make: () => Json): void {
    if (this.operatorStreams.size === 0) return;
    const event = make();
    for (const s of this.operatorStreams) s.send(event);
  }

  publishFrameworkEvent(fw: SimFramework, type: 'FRAMEWORK_ADDED' | 'FRAMEWORK_UPDATED'): void {
    if (this.operatorStreams.size === 0) return;
    const { allocated, offered } = this.frameworkResources(fw);
    const framework = frameworkEntry(fw, [], allocated, offered);
    const key = type === 'FRAMEWORK_ADDED' ? 'framework_added' : 'framework_updated';
    this.publishOperator(() => ({ type, [key]: { framework } }));
  }
}

function describeFramework(
  info: FrameworkInfoIn,
  id: string,
): Pick<SimFramework, 'id' | 'info' | 'name' | 'partitionAware' | 'multiRole' | 'regionAware' | 'taskKillingState' | 'role'> {
  const caps = new Set(info.capabilities.map((c) => c.type));
  const multiRole = caps.has('MULTI_ROLE');
  const role = (multiRole ? info.roles?.[0] : info.role) ?? '*';
  return {
    id,
    info: { ...info, id: { value: id } },
    name: info.name,
    partitionAware: caps.has('PARTITION_AWARE'),
    multiRole,
    regionAware: caps.has('REGION_AWARE'),
    taskKillingState: caps.has('TASK_KILLING_STATE'),
    role,
  };
}
