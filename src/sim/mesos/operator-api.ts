import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentManager } from './agents';
import { SimAgentNotFoundError } from './errors';
import { EventStream } from './event-stream';
import { NOT_ACCEPTABLE, acceptsJson, withoutNulls, sendEmpty, sendJson, sendText, readJsonCall } from './http-util';
import type { Master } from './master';
import { describeIssues, operatorCallSchema } from './schemas';
import type { Json } from './state';
import type { TaskManager } from './tasks';
import { agentEntry, agentInfo, executorWire, frameworkEntry, offerWire, taskWire } from './wire';

/** The Mesos version the simulator speaks (GET_VERSION, and each agent's in GET_AGENTS): the minimum pxfw needs. */
export const SIM_MESOS_VERSION = '1.5.0';

/**
 * `POST /api/v1`: the master's operator API. Answers are master.proto Response JSON; SUBSCRIBE
 * streams SUBSCRIBED (with the full state), then TASK_ADDED / TASK_UPDATED / AGENT_ADDED /
 * AGENT_REMOVED / FRAMEWORK_* events and HEARTBEATs.
 */
export class OperatorApi {
  constructor(
    private readonly m: Master,
    private readonly tasks: TaskManager,
    private readonly agents: AgentManager,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      return sendText(res, 405, `Expecting one of { 'POST' }, but received '${req.method ?? ''}'`, { Allow: 'POST' });
    }
    const body = await readJsonCall(req, res);
    if (!body) return;
    const raw = body.raw;
    this.m.opts.recorder?.mesos('operator', 'call', raw);
    const parsed = operatorCallSchema.safeParse(withoutNulls(raw));
    if (!parsed.success) {
      return sendText(res, 400, `Failed to convert JSON into Call protobuf: ${describeIssues(parsed.error)}`);
    }
    if (!acceptsJson(req)) return sendText(res, 406, NOT_ACCEPTABLE);
    const call = parsed.data;
    switch (call.type) {
      case 'SUBSCRIBE':
        return this.subscribe(res);
      case 'MARK_AGENT_GONE':
        return this.markAgentGone(res, call.mark_agent_gone?.agent_id.value);
      case 'UNKNOWN':
        return sendText(res, 501, 'Not Implemented');
      default: {
        const response = this.query(call.type);
        if (!response) return sendText(res, 501, `The Mesos simulator does not implement ${call.type}`);
        this.m.opts.recorder?.mesos('operator', 'response', response);
        return sendJson(res, 200, response);
      }
    }
  }

  private query(type: string): Json | undefined {
    switch (type) {
      case 'GET_HEALTH':
        return { type, get_health: { healthy: true } };
      case 'GET_VERSION':
        return { type, get_version: { version_info: { version: SIM_MESOS_VERSION } } };
      case 'GET_MASTER':
        return { type, get_master: { master_info: this.m.masterInfo() } };
      case 'GET_AGENTS':
        return { type, get_agents: this.getAgents() };
      case 'GET_TASKS':
        return { type, get_tasks: this.getTasks() };
      case 'GET_FRAMEWORKS':
        return { type, get_frameworks: this.getFrameworks() };
      case 'GET_EXECUTORS':
        return { type, get_executors: this.getExecutors() };
      case 'GET_STATE':
        return { type, get_state: this.getState() };
      default:
        return undefined;
    }
  }

  private markAgentGone(res: ServerResponse, agentId: string | undefined): void {
    if (agentId === undefined) {
      return sendText(res, 400, "Failed to validate master::Call: Expecting 'mark_agent_gone' to be present");
    }
    const agent = this.m.agents.get(agentId);
    try {
      if (!agent) throw new SimAgentNotFoundError(agentId);
      this.agents.markGone(agent);
    } catch (err) {
      if (err instanceof SimAgentNotFoundError) return sendText(res, 404, `Agent '${agentId}' not found`);
      throw err;
    }
    sendEmpty(res, 200);
  }

  private subscribe(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
    const stream = new EventStream(res, {
      heartbeatMs: this.m.ms(this.m.opts.heartbeatSeconds),
      heartbeat: () => ({ type: 'HEARTBEAT' }),
      onEvent: (e) => this.m.opts.recorder?.mesos('operator', 'event', e),
    });
    this.m.operatorStreams.add(stream);
    stream.onClose(() => this.m.operatorStreams.delete(stream));
    stream.send({
      type: 'SUBSCRIBED',
      subscribed: { get_state: this.getState(), heartbeat_interval_seconds: this.m.opts.heartbeatSeconds / this.m.opts.speed },
    });
    stream.startHeartbeats();
  }

  /** Registered agents (a disconnected one shows active: false); not yet re-registered ones after a failover. */
  getAgents(): Json {
    const all = [...this.m.agents.values()];
    // GetAgents.Agent `required string version = 3`: every agent runs the master's version here.
    const agents = all.filter((a) => a.state === 'registered' || a.state === 'disconnected').map((a) => ({ ...agentEntry(a), version: SIM_MESOS_VERSION }));
    const recovered = all.filter((a) => a.state === 'recovering').map(agentInfo);
    return { agents, recovered_agents: recovered };
  }

  getTasks(): Json {
    const tasks: Json[] = [];
    const unreachable: Json[] = [];
    for (const fw of this.m.frameworks.values()) {
      for (const t of fw.tasks.values()) {
        // The master holds no task of an agent that has not re-registered since its failover.
        if (this.m.agents.get(t.agentId)?.state === 'recovering') continue;
        const view = this.tasks.masterView(t);
        (view === 'TASK_UNREACHABLE' ? unreachable : tasks).push(taskWire(t, view));
      }
    }
    const completed = this.m.completed.map((c) => taskWire(c.task, c.finalState));
    return { pending_tasks: [], tasks, unreachable_tasks: unreachable, completed_tasks: completed, orphan_tasks: [] };
  }

  getFrameworks(): Json {
    const frameworks = [...this.m.frameworks.values()].map((fw) => {
      const offers: Json[] = [];
      for (const id of fw.offers) {
        const o = this.m.offers.get(id);
        const a = o ? this.m.agents.get(o.agentId) : undefined;
        if (o && a) offers.push(offerWire(o, a, fw));
      }
      const { allocated, offered } = this.m.frameworkResources(fw);
      return frameworkEntry(fw, offers, allocated, offered);
    });
    return { frameworks, completed_frameworks: [], recovered_frameworks: [] };
  }

  getExecutors(): Json {
    const executors: Json[] = [];
    for (const a of this.m.agents.values()) {
      if (!this.m.knowsTasksOf(a)) continue;
      for (const e of a.executors.values()) executors.push(executorWire(e, a.id));
    }
    return { executors, orphan_executors: [] };
  }

  getState(): Json {
    return {
      get_tasks: this.getTasks(),
      get_executors: this.getExecutors(),
      get_frameworks: this.getFrameworks(),
      get_agents: this.getAgents(),
    };
  }
}
