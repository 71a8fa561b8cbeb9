import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { NOT_ACCEPTABLE, acceptsJson, withoutNulls, sendEmpty, sendJson, sendText, readJsonCall } from './http-util';
import type { Master } from './master';
import { describeIssues } from './schemas';
import type { ContainerIdJson, SimAgent, SimTask } from './state';

/** Simulated run time of a command in a nested container (seconds, divided by the speed factor). */
const COMMAND_RUN_SECONDS = 0.5;
const COMMANDS_KEPT = 10_000;
const CALLS_KEPT = 1_000;
/** What a process killed without an explicit signal reports as its wait status (SIGKILL). */
const SIGKILL = 9;

/** Call types of mesos.v1.agent.Call in the Mesos 1.4 protos. */
const AGENT_CALL_TYPES = [
  'UNKNOWN', 'GET_HEALTH', 'GET_FLAGS', 'GET_VERSION', 'GET_METRICS', 'GET_LOGGING_LEVEL', 'SET_LOGGING_LEVEL',
  'LIST_FILES', 'READ_FILE', 'GET_STATE', 'GET_CONTAINERS', 'GET_FRAMEWORKS', 'GET_EXECUTORS', 'GET_TASKS',
  'GET_AGENT', 'LAUNCH_NESTED_CONTAINER', 'WAIT_NESTED_CONTAINER', 'KILL_NESTED_CONTAINER',
  'REMOVE_NESTED_CONTAINER', 'LAUNCH_NESTED_CONTAINER_SESSION', 'ATTACH_CONTAINER_INPUT', 'ATTACH_CONTAINER_OUTPUT',
] as const;

const containerIdSchema: z.ZodType<ContainerIdJson> = z.lazy(() =>
  z.object({ value: z.string().min(1, 'must not be empty'), parent: containerIdSchema.optional() }),
);
const withContainer = z.looseObject({ container_id: containerIdSchema });

const agentCallSchema = z.looseObject({
  type: z.enum(AGENT_CALL_TYPES),
  launch_nested_container: z
    .looseObject({ container_id: containerIdSchema, command: z.looseObject({ value: z.string().optional(), shell: z.boolean().optional() }).optional() })
    .optional(),
  wait_nested_container: withContainer.optional(),
  kill_nested_container: z.looseObject({ container_id: containerIdSchema, signal: z.number().int().optional() }).optional(),
});
type AgentCall = z.output<typeof agentCallSchema>;

export interface CommandBehaviour {
  /** Exit code the command ends with (default 0). */
  exitCode?: number;
  /** The command never ends by itself; only KILL_NESTED_CONTAINER (or its task ending) stops it. */
  hang?: boolean;
}

/** One command run in a nested container, as `GET /sim/v1/commands` lists it. */
export interface SimCommandRecord {
  agentId: string;
  hostname: string;
  taskId: string;
  frameworkId: string;
  containerId: ContainerIdJson;
  /** The container it ran under: the task's container. */
  parent: ContainerIdJson;
  command: string;
  /** running; exited by itself; killed (KILL_NESTED_CONTAINER or its task ended); lost with its agent. */
  state: 'running' | 'exited' | 'killed' | 'lost';
  /** The wait status WAIT_NESTED_CONTAINER reports: exit code × 256, or the signal number; null while running. */
  exitStatus: number | null;
  at: string;
  endedAt?: string;
}

/** One agent Call as it arrived (for tests holding the client to the agent protos). */
export interface SimAgentCall {
  agentId: string;
  at: string;
  call: unknown;
}

interface NestedContainer {
  record: SimCommandRecord;
  timer?: NodeJS.Timeout;
  waiters: Set<ServerResponse>;
}

/**
 * The agents' v1 operator API (`POST /agents/<agent id or hostname>/api/v1` on the simulator's
 * port, standing in for `http://<agent>:5051/api/v1`): GET_HEALTH and the nested-container calls
 * that run a command inside a running task. Commands are not executed: each is recorded and
 * exits 0 after a short simulated run, unless a behaviour set with setBehaviour() says otherwise.
 * An agent that is partitioned, killed or gone does not answer: the connection is dropped.
 */
export class AgentApi {
  private readonly containers = new Map<string, NestedContainer>();
  private readonly behaviours = new Map<string, CommandBehaviour>();
  private readonly calls: SimAgentCall[] = [];

  constructor(private readonly m: Master) {}

  async handle(req: IncomingMessage, res: ServerResponse, agentKey: string): Promise<void> {
    const agent = this.m.agents.get(agentKey) ?? this.m.agentsByHost.get(agentKey);
    if (!agent) return sendText(res, 404, `No agent with id or hostname '${agentKey}' in the simulated cluster`);
    // A crashed host, a restarting agent process, a partitioned, removed or gone agent answers
    // nothing: the client sees the connection fail. A master failover does not concern agents.
    if (agent.hostDown || (agent.state !== 'registered' && agent.state !== 'recovering')) {
      req.socket.destroy();
      return;
    }
    if (req.method !== 'POST') {
      return sendText(res, 405, `Expecting one of { 'POST' }, but received '${req.method ?? ''}'`, { Allow: 'POST' });
    }
    const body = await readJsonCall(req, res);
    if (!body) return;
    const raw = body.raw;
    this.remember(agent, raw);
    const parsed = agentCallSchema.safeParse(withoutNulls(raw));
    if (!parsed.success) return sendText(res, 400, `Failed to convert JSON into Call protobuf: ${describeIssues(parsed.error)}`);
    if (!acceptsJson(req)) return sendText(res, 406, NOT_ACCEPTABLE);
    this.dispatch(agent, parsed.data, res);
  }

  private dispatch(agent: SimAgent, call: AgentCall, res: ServerResponse): void {
    switch (call.type) {
      case 'GET_HEALTH':
        return sendJson(res, 200, { type: 'GET_HEALTH', get_health: { healthy: true } });
      case 'LAUNCH_NESTED_CONTAINER':
        return this.launch(agent, call, res);
      case 'WAIT_NESTED_CONTAINER':
        if (!call.wait_nested_container) return invalid(res, "Expecting 'wait_nested_container' to be present");
        return this.wait(agent, call.wait_nested_container.container_id, res);
      case 'KILL_NESTED_CONTAINER':
        if (!call.kill_nested_container) return invalid(res, "Expecting 'kill_nested_container' to be present");
        return this.kill(agent, call.kill_nested_container.container_id, call.kill_nested_container.signal, res);
      case 'UNKNOWN':
        return sendText(res, 501, 'Not Implemented');
      default:
        return sendText(res, 501, `The Mesos simulator does not implement the agent call ${call.type}`);
    }
  }

  private launch(agent: SimAgent, call: AgentCall, res: ServerResponse): void {
    const launch = call.launch_nested_container;
    if (!launch) return invalid(res, "Expecting 'launch_nested_container' to be present");
    const id = launch.container_id;
    const parent = id.parent;
    if (!parent) return invalid(res, "Expecting 'launch_nested_container.container_id.parent' to be present");
    const badId = invalidIdReason(id.value);
    if (badId) return invalid(res, `'launch_nested_container.container_id.value' ${badId}`);
    const command = launch.command?.value;
    if (command === undefined || command === '') {
      return sendText(res, 400, "The Mesos simulator needs 'launch_nested_container.command.value' (the command to run)");
    }
    const key = containerKey(agent.id, id);
    if (this.containers.has(key)) return sendText(res, 400, `Nested container ${formatContainerId(id)} already started`);
    const task = this.taskOwning(agent, parent);
    // The containerizer's own wording, answered as 400 by the agent's launch handler.
    if (!task) return sendText(res, 400, `Parent container ${formatContainerId(parent)} does not exist`);
    if (task.killRequested) return sendText(res, 400, `Parent container ${formatContainerId(parent)} is in 'DESTROYING' state`);
    this.start(agent, task, id, parent, command);
    sendEmpty(res, 200);
  }

  /** The running task on `agent` whose container is `parent`. */
  private taskOwning(agent: SimAgent, parent: ContainerIdJson): SimTask | undefined {
    for (const t of agent.tasks) {
      if (t.state === 'TASK_RUNNING' && sameContainer(t.containerId, parent)) return t;
    }
    return undefined;
  }

  private start(agent: SimAgent, task: SimTask, id: ContainerIdJson, parent: ContainerIdJson, command: string): void {
    const record: SimCommandRecord = {
      agentId: agent.id,
      hostname: agent.hostname,
      taskId: task.id,
      frameworkId: task.frameworkId,
      containerId: id,
      parent,
      command,
      state: 'running',
      exitStatus: null,
      at: new Date().toISOString(),
    };
    const nc: NestedContainer = { record, waiters: new Set() };
    this.containers.set(containerKey(agent.id, id), nc);
    this.trim();
    const behaviour = this.behaviourFor(command);
    this.m.log.info({ agentId: agent.id, taskId: task.id, command, behaviour }, 'nested container launched');
    if (behaviour.hang) return;
    const exitCode = behaviour.exitCode ?? 0;
    nc.timer = setTimeout(() => this.finish(nc, 'exited', (exitCode & 0xff) << 8), this.m.ms(COMMAND_RUN_SECONDS));
    nc.timer.unref();
  }

  private wait(agent: SimAgent, id: ContainerIdJson, res: ServerResponse): void {
    const nc = this.containers.get(containerKey(agent.id, id));
    if (!nc) return sendText(res, 404, `Container ${formatContainerId(id)} cannot be found`);
    if (nc.record.state !== 'running') return this.answerWait(res, nc.record.exitStatus);
    nc.waiters.add(res);
    res.on('close', () => nc.waiters.delete(res));
  }

  private kill(agent: SimAgent, id: ContainerIdJson, signal: number | undefined, res: ServerResponse): void {
    const nc = this.containers.get(containerKey(agent.id, id));
    if (!nc || nc.record.state !== 'running') {
      return sendText(res, 404, `Container '${formatContainerId(id)}' cannot be found (or is already killed)`);
    }
    this.finish(nc, 'killed', signal ?? SIGKILL);
    sendEmpty(res, 200);
  }

  private finish(nc: NestedContainer, state: SimCommandRecord['state'], exitStatus: number | null): void {
    if (nc.record.state !== 'running') return;
    if (nc.timer) clearTimeout(nc.timer);
    nc.timer = undefined;
    nc.record.state = state;
    nc.record.exitStatus = exitStatus;
    nc.record.endedAt = new Date().toISOString();
    for (const res of nc.waiters) {
      // A dead agent's connections just break; otherwise the waiter learns how it ended.
      if (state === 'lost') res.destroy();
      else this.answerWait(res, exitStatus);
    }
    nc.waiters.clear();
  }

  private answerWait(res: ServerResponse, exitStatus: number | null): void {
    if (res.writableEnded || res.destroyed) return;
    const body = exitStatus === null ? {} : { exit_status: exitStatus };
    sendJson(res, 200, { type: 'WAIT_NESTED_CONTAINER', wait_nested_container: body });
  }

  /** A task's container ended: its nested containers are destroyed with it (or lost with its agent). */
  onTaskEnded(task: SimTask): void {
    const agent = this.m.agents.get(task.agentId);
    const lost = agent === undefined || agent.hostDown || agent.state === 'removed' || agent.state === 'gone';
    for (const nc of this.containers.values()) {
      if (nc.record.taskId !== task.id || nc.record.agentId !== task.agentId || nc.record.state !== 'running') continue;
      this.finish(nc, lost ? 'lost' : 'killed', lost ? null : SIGKILL);
    }
  }

  /** Set how commands containing `match` behave; an empty behaviour restores the default (exit 0). */
  setBehaviour(match: string, behaviour: CommandBehaviour): { match: string; behaviour: CommandBehaviour }[] {
    this.behaviours.delete(match);
    if (behaviour.exitCode !== undefined || behaviour.hang) this.behaviours.set(match, { ...behaviour });
    return this.listBehaviours();
  }

  listBehaviours(): { match: string; behaviour: CommandBehaviour }[] {
    return [...this.behaviours].map(([match, behaviour]) => ({ match, behaviour: { ...behaviour } }));
  }

  /** The most recently set behaviour whose match is part of the command. */
  private behaviourFor(command: string): CommandBehaviour {
    const entries = [...this.behaviours].reverse();
    return entries.find(([match]) => command.includes(match))?.[1] ?? {};
  }

  commands(): SimCommandRecord[] {
    return [...this.containers.values()].map(({ record }) => ({
      ...record,
      containerId: structuredClone(record.containerId),
      parent: structuredClone(record.parent),
    }));
  }

  receivedCalls(): SimAgentCall[] {
    return this.calls.map((c) => ({ ...c }));
  }

  stop(): void {
    for (const nc of this.containers.values()) {
      if (nc.timer) clearTimeout(nc.timer);
      nc.timer = undefined;
    }
  }

  private remember(agent: SimAgent, call: unknown): void {
    this.calls.push({ agentId: agent.id, at: new Date().toISOString(), call });
    if (this.calls.length > CALLS_KEPT) this.calls.splice(0, this.calls.length - CALLS_KEPT);
  }

  /** Forget the oldest finished commands beyond the cap; running ones are always kept. */
  private trim(): void {
    let excess = this.containers.size - COMMANDS_KEPT;
    for (const [key, nc] of this.containers) {
      if (excess <= 0) break;
      if (nc.record.state === 'running') continue;
      this.containers.delete(key);
      excess--;
    }
  }
}

function invalid(res: ServerResponse, why: string): void {
  sendText(res, 400, `Failed to validate agent::Call: ${why}`);
}

/** Mesos prints a nested ContainerID as its ancestors' values and its own, joined by dots. */
export function formatContainerId(id: ContainerIdJson): string {
  return id.parent ? `${formatContainerId(id.parent)}.${id.value}` : id.value;
}

function containerKey(agentId: string, id: ContainerIdJson): string {
  return `${agentId}/${formatContainerId(id)}`;
}

function sameContainer(a: ContainerIdJson, b: ContainerIdJson): boolean {
  if (a.value !== b.value) return false;
  if (!a.parent || !b.parent) return a.parent === b.parent;
  return sameContainer(a.parent, b.parent);
}

function invalidIdReason(value: string): string | undefined {
  if (value === '.' || value === '..') return `'${value}' is disallowed`;
  if (/[/\\\0\s]/.test(value)) return `'${value}' contains invalid characters`;
  return undefined;
}
