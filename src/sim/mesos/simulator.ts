import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentApi, type CommandBehaviour, type SimAgentCall, type SimCommandRecord } from './agent-api';
import { AgentFaults, type RestartOptions } from './agent-faults';
import { AgentManager } from './agents';
import { Allocator } from './allocator';
import { handleControl, type SimControl } from './control-api';
import { SimInvalidTransitionError, SimListenError, SimTaskNotFoundError } from './errors';
import { BodyTooLargeError, sendText } from './http-util';
import type { VolumeMount } from './isolator';
import { Launcher } from './launch';
import { Master } from './master';
import { OperatorApi } from './operator-api';
import { resolveOptions, type MesosSimOptions } from './options';
import { SchedulerApi } from './scheduler-api';
import type { Res } from './resources';
import type { SimAgent, SimTask } from './state';
import type { CheckMode, SimTaskChecks } from './task-checks';
import { TaskManager } from './tasks';

/** Idle keep-alive connections are kept this long: longer than every pxfw client's idle timeout. */
export const MESOS_SIM_KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface SimAgentSummary {
  id: string;
  hostname: string;
  rack: string;
  zone: string;
  region: string;
  state: SimAgent['state'];
  /** The host is dead (crashAgent); the master may not know yet. */
  hostDown: boolean;
  tasks: number;
  total: Res;
  used: Res;
  offered: Res;
}

export interface SimTaskSummary {
  taskId: string;
  name: string;
  frameworkId: string;
  agentId: string;
  hostname: string;
  executorId?: string;
  /** The task's true state on its agent. */
  state: string;
  /** What the master reports (TASK_UNREACHABLE while the agent is partitioned). */
  masterState: string;
  pendingUpdates: number;
  volumes: { driver: string; name: string; containerPath: string }[];
  /** The executor's checkers: how each is set to answer, and the latest results. */
  checks?: { readiness?: CheckMode; health?: CheckMode; healthy?: boolean; checkStatus?: unknown };
}

/**
 * A Mesos master (plus agents) simulator on one HTTP port, speaking the v1 scheduler API
 * (`/api/v1/scheduler`) and operator API (`/api/v1`) in JSON, every agent's v1 API under
 * `/agents/<agent id>/api/v1`, with fault injection under `/sim/v1/…` and as methods here.
 */
export class MesosSimulator implements SimControl {
  private readonly allocator: Allocator;
  private readonly taskManager: TaskManager;
  private readonly agentManager: AgentManager;
  private readonly faults: AgentFaults;
  private readonly schedulerApi: SchedulerApi;
  private readonly operatorApi: OperatorApi;
  private readonly agentApi: AgentApi;

  private constructor(
    private readonly m: Master,
    private readonly server: Server,
  ) {
    this.allocator = new Allocator(m);
    this.taskManager = new TaskManager(m, m.opts.isolator);
    this.agentManager = new AgentManager(m, this.taskManager);
    this.faults = new AgentFaults(m, this.taskManager, this.agentManager);
    const launcher = new Launcher(m, this.taskManager, this.allocator);
    this.schedulerApi = new SchedulerApi(m, this.taskManager, this.allocator, launcher);
    this.operatorApi = new OperatorApi(m, this.taskManager, this.agentManager);
    this.agentApi = new AgentApi(m);
    this.taskManager.onTaskEnded = (task) => this.agentApi.onTaskEnded(task);
  }

  static async start(opts: MesosSimOptions = {}): Promise<MesosSimulator> {
    const resolved = resolveOptions(opts);
    const master = new Master(resolved);
    const server = createServer({ keepAlive: true });
    // Longer than any client's idle keep-alive, so a reused connection is never reset under it
    // (libprocess keeps idle connections until the client closes them).
    server.keepAliveTimeout = MESOS_SIM_KEEP_ALIVE_TIMEOUT_MS;
    server.headersTimeout = MESOS_SIM_KEEP_ALIVE_TIMEOUT_MS + 1_000;
    const sim = new MesosSimulator(master, server);
    server.on('request', (req, res) => void sim.route(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new SimListenError(`cannot listen on ${resolved.host}:${resolved.port}: ${err.message}`, { cause: err })),
      );
      server.listen(resolved.port, resolved.host, () => resolve());
    });
    master.port = (server.address() as AddressInfo).port;
    sim.agentManager.createInitial(resolved.agents);
    sim.allocator.start();
    master.log.info({ url: sim.url, agents: resolved.agents }, 'Mesos simulator listening');
    return sim;
  }

  /** How long this server keeps an idle connection open (ms). */
  get keepAliveTimeoutMs(): number {
    return this.server.keepAliveTimeout;
  }

  get url(): string {
    return `http://${this.m.opts.host}:${this.m.port}`;
  }

  get portworxUrl(): string | undefined {
    return this.m.opts.portworxUrl;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    try {
      if (path === '/api/v1/scheduler') return await this.schedulerApi.handle(req, res);
      if (path === '/api/v1') return await this.operatorApi.handle(req, res);
      const agentApi = /^\/agents\/([^/]+)\/api\/v1$/.exec(path);
      if (agentApi) return await this.agentApi.handle(req, res, decodeURIComponent(agentApi[1]!));
      if (path.startsWith('/sim/v1/')) return await handleControl(this, req, res, path);
      if (path === '/master/health' || path === '/health') return sendText(res, 200, '');
      sendText(res, 404, `No such endpoint: ${path}`);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendText(res, 413, err.message);
      this.m.log.error({ err, path }, 'request failed');
      sendText(res, 500, err instanceof Error ? err.message : String(err));
    }
  }

  async stop(): Promise<void> {
    if (this.m.stopped) return;
    this.m.stopped = true;
    this.allocator.stop();
    this.agentApi.stop();
    for (const s of this.m.operatorStreams) s.close();
    for (const fw of this.m.frameworks.values()) {
      if (fw.failoverTimer) clearTimeout(fw.failoverTimer);
      fw.stream?.close();
    }
    for (const o of this.m.offers.values()) if (o.timer) clearTimeout(o.timer);
    for (const a of this.m.agents.values()) {
      this.m.clearAgentTimers(a);
      for (const t of a.tasks) {
        if (t.retryTimer) clearTimeout(t.retryTimer);
        if (t.lifecycleTimer) clearTimeout(t.lifecycleTimer);
      }
    }
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- fault injection (docs/mesos-api.md, "Faults"); each takes an agent id or a hostname ----

  /**
   * The host dies silently. The master notices nothing: the agent stays registered (and, unless
   * `offerCrashedAgents` is false, offered), KILLs are lost, no update comes, its agent API drops
   * connections. After agentPingTimeoutSeconds × maxAgentPingTimeouts it is marked unreachable
   * (TASK_UNREACHABLE, FAILURE). `hostEvents.down` (and the Portworx simulator) hear of it at once.
   */
  crashAgent(agent: string): SimAgentSummary {
    return this.summarizeAgent(this.faults.crash(this.agentManager.find(agent)));
  }

  /**
   * The agent process restarts: disconnected (offers rescinded, KILLs held) for agentRestartSeconds,
   * then it re-registers with its id and tasks (`loseExecutors`: its tasks end TASK_GONE).
   * With `newId` (reboot; implied for a crashed host) the tasks die with the host and a new agent
   * registers at the same hostname; the old agent's tasks are reported TASK_LOST
   * ("a new agent registered at the same address") unless the master had marked it unreachable.
   * Returns the new agent when it registered at once (agentRestartSeconds 0), else the old one.
   */
  restartAgent(agent: string, opts: RestartOptions = {}): SimAgentSummary {
    return this.summarizeAgent(this.faults.restart(this.agentManager.find(agent), opts));
  }

  /** A network partition: the agent is marked unreachable at once (TASK_UNREACHABLE, FAILURE). */
  partitionAgent(agent: string): SimAgentSummary {
    return this.summarizeAgent(this.agentManager.partition(this.agentManager.find(agent)));
  }

  /** Heal a partition; a crashed host reboots (restartAgent with newId); a removed or gone host registers a new agent. */
  healAgent(agent: string): SimAgentSummary {
    return this.summarizeAgent(this.faults.heal(this.agentManager.find(agent)));
  }

  /** What the operator's MARK_AGENT_GONE does (TASK_GONE_BY_OPERATOR, REASON_AGENT_REMOVED_BY_OPERATOR). */
  markAgentGone(agent: string): SimAgentSummary {
    return this.summarizeAgent(this.agentManager.markGone(this.agentManager.find(agent)));
  }

  /**
   * The operator removes the agent from the cluster: it unregisters and shuts its tasks down;
   * every framework gets TASK_LOST (REASON_AGENT_REMOVED), a FAILURE, and operator subscribers an
   * AGENT_REMOVED. Not a host failure: use crashAgent for that.
   */
  killAgent(agent: string): SimAgentSummary {
    return this.summarizeAgent(this.agentManager.kill(this.agentManager.find(agent)));
  }

  /** The task ends on its agent with `state` (default TASK_FAILED); the rest of its group is killed. */
  failTask(taskId: string, state?: string, reason?: string, message?: string): SimTaskSummary {
    const task = this.m.tasksById.get(taskId);
    if (!task) throw new SimTaskNotFoundError(taskId);
    this.taskManager.fail(task, state, reason, message);
    return this.summarizeTask(task);
  }

  /**
   * Make a task's readiness check (TaskInfo.check) or health check fail, hang (time out) or pass
   * again: `pxfw sim task unready|unhealthy|ready|healthy TASK`. The executor's checkers report
   * the change at their next check (task-checks.ts); a task without that check is a 409.
   */
  setTaskCheck(taskId: string, which: 'readiness' | 'health', mode: CheckMode): SimTaskSummary {
    const task = this.m.tasksById.get(taskId);
    if (!task) throw new SimTaskNotFoundError(taskId);
    const checks = task.checks;
    if (!checks || (which === 'readiness' ? !checks.check : !checks.health)) {
      throw new SimInvalidTransitionError(`task '${taskId}' was launched without a ${which === 'readiness' ? 'check (TaskInfo.check)' : 'health check (TaskInfo.health_check)'}`);
    }
    if (which === 'readiness') checks.readiness = mode;
    else checks.healthMode = mode;
    return this.summarizeTask(task);
  }

  /**
   * Master failover: a new master id; every stream drops and frameworks must re-subscribe. The
   * agents re-register at random moments within `reregisterWindowSeconds` (option default);
   * until then the master knows none of their tasks and explicit reconciliation of those is
   * not answered. A crashed host never re-registers: after agentReregisterTimeoutSeconds it is
   * marked unreachable (a FAILURE only).
   */
  failover(opts: { reregisterWindowSeconds?: number } = {}): void {
    this.m.ids.newMaster();
    this.faults.failover(opts.reregisterWindowSeconds ?? this.m.opts.reregisterWindowSeconds);
    for (const s of [...this.m.operatorStreams]) s.close();
    for (const fw of this.m.frameworks.values()) {
      const stream = fw.stream;
      if (!fw.connected) continue;
      this.m.disconnect(fw);
      stream?.close();
    }
  }

  /** Run one allocation round now instead of waiting for the interval. */
  allocate(): void {
    this.allocator.round();
  }

  /**
   * Fault injection for commands run in tasks (agent API nested containers): a command containing
   * `match` exits with `exitCode`, or hangs until killed. `{}` restores the default (exit 0).
   */
  setCommandBehaviour(match: string, behaviour: CommandBehaviour): { match: string; behaviour: CommandBehaviour }[] {
    return this.agentApi.setBehaviour(match, behaviour);
  }

  // ---- inspection --------------------------------------------------------------------------

  /** Every command launched in a task through the agents' API, oldest first. */
  commands(): SimCommandRecord[] {
    return this.agentApi.commands();
  }

  /** The agent API Calls received, as sent (the last 1,000). */
  agentCalls(): SimAgentCall[] {
    return this.agentApi.receivedCalls();
  }

  /** The agent API base URL of an agent in this simulator (what `http://<host>:5051` is for a real one). */
  agentUrl(agent: string): string {
    return `${this.url}/agents/${encodeURIComponent(this.agentManager.find(agent).id)}`;
  }

  agents(): SimAgentSummary[] {
    return [...this.m.agents.values()].map((a) => this.summarizeAgent(a));
  }

  tasks(): SimTaskSummary[] {
    const out: SimTaskSummary[] = [];
    for (const fw of this.m.frameworks.values()) for (const t of fw.tasks.values()) out.push(this.summarizeTask(t));
    return out;
  }

  /** Every docker volume mount of every task (active ones and recently ended ones). */
  volumeMounts(): VolumeMount[] {
    return this.taskManager.mountLog.map((v) => ({ ...v, options: { ...v.options } }));
  }

  frameworks(): { id: string; name: string; connected: boolean; suppressed: boolean; tasks: number; offers: number }[] {
    return [...this.m.frameworks.values()].map((f) => ({
      id: f.id,
      name: f.name,
      connected: f.connected,
      suppressed: f.suppressed,
      tasks: f.tasks.size,
      offers: f.offers.size,
    }));
  }

  state(): { url: string; masterId: string; agents: SimAgentSummary[]; frameworks: ReturnType<MesosSimulator['frameworks']>; tasks: SimTaskSummary[]; volumeMounts: VolumeMount[] } {
    return {
      url: this.url,
      masterId: this.m.ids.masterId,
      agents: this.agents(),
      frameworks: this.frameworks(),
      tasks: this.tasks(),
      volumeMounts: this.volumeMounts(),
    };
  }

  private summarizeAgent(a: SimAgent): SimAgentSummary {
    return {
      id: a.id,
      hostname: a.hostname,
      rack: a.rack,
      zone: a.zone,
      region: a.region,
      state: a.state,
      hostDown: a.hostDown,
      tasks: a.tasks.size,
      total: a.total,
      used: a.used,
      offered: a.offered,
    };
  }

  private summarizeTask(t: SimTask): SimTaskSummary {
    return {
      taskId: t.id,
      name: t.name,
      frameworkId: t.frameworkId,
      agentId: t.agentId,
      hostname: this.m.agents.get(t.agentId)?.hostname ?? '',
      ...(t.executorId !== undefined ? { executorId: t.executorId } : {}),
      state: t.state,
      masterState: this.taskManager.masterView(t),
      pendingUpdates: t.pending.length,
      volumes: t.volumes.map((v) => ({ driver: v.driver, name: v.name, containerPath: v.containerPath })),
      ...(t.checks ? { checks: checkSummary(t.checks) } : {}),
    };
  }
}

function checkSummary(c: SimTaskChecks): NonNullable<SimTaskSummary['checks']> {
  return {
    ...(c.check ? { readiness: c.readiness, checkStatus: c.checkStatus } : {}),
    ...(c.health ? { health: c.healthMode } : {}),
    ...(c.healthy !== undefined ? { healthy: c.healthy } : {}),
  };
}
