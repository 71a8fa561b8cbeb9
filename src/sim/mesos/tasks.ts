import { statusUuid } from './ids';
import { PXD_DRIVER, dockerVolumesOf, type VolumeIsolator, type VolumeMount } from './isolator';
import type { Master } from './master';
import { addRes, type Res } from './resources';
import { SimInvalidTransitionError } from './errors';
import { isTerminal, type Json, type SimAgent, type SimFramework, type SimTask } from './state';
import { containerOf, ensureExecutor, freeOnAgent } from './task-executors';
import { recordMounts, releaseVolumes } from './task-volumes';
import { reconcileTasks } from './reconcile';
import { checksOf, emptyStatus, startChecks, stopChecks, type CheckHost } from './task-checks';
import { taskStatus, taskWire } from './wire';

const STATUSES_KEPT = 16;

export interface LaunchSpec {
  info: Json & { name: string; task_id: { value: string } };
  resources: Res;
  resourcesWire: unknown[];
  executor?: { id: string; info: Json; resources: Res } | undefined;
}

type Source = 'SOURCE_MASTER' | 'SOURCE_AGENT' | 'SOURCE_EXECUTOR';

/**
 * Tasks on the simulated agents: the executor's lifecycle (STARTING → isolator → RUNNING), the
 * agent's status update manager (one reliable, ordered stream per task, resent with backoff until
 * acknowledged), kills, injected failures and master-generated (unreliable, uuid-less) updates.
 */
export class TaskManager {
  readonly mountLog: VolumeMount[] = [];
  /** Hook set by the agent API: a task's container ended, so its nested containers end too. */
  onTaskEnded?: (task: SimTask) => void;

  constructor(
    private readonly m: Master,
    private readonly isolator: VolumeIsolator | undefined,
  ) {
    m.onFrameworkConnected = (fw) => this.flush(fw);
    m.onFrameworkRemoved = (fw) => this.abandon(fw);
  }

  /** The state the master reports for a task: the latest it saw, or TASK_UNREACHABLE with its agent. */
  masterView(t: SimTask): string {
    const agent = this.m.agents.get(t.agentId);
    return agent?.state === 'unreachable' ? 'TASK_UNREACHABLE' : (t.masterState ?? 'TASK_STAGING');
  }

  launch(fw: SimFramework, agent: SimAgent, spec: LaunchSpec, group?: SimTask[]): SimTask {
    const executor = spec.executor ? ensureExecutor(fw, agent, spec.executor) : undefined;
    const task: SimTask = {
      id: spec.info.task_id.value,
      frameworkId: fw.id,
      agentId: agent.id,
      executorId: spec.executor?.id,
      group,
      name: spec.info.name,
      info: spec.info,
      resources: spec.resources,
      resourcesWire: spec.resourcesWire,
      containerId: containerOf(executor, group !== undefined),
      state: 'TASK_STAGING',
      masterState: 'TASK_STAGING',
      statuses: [],
      volumes: dockerVolumesOf(spec.info.container),
      mounts: [],
      prepared: false,
      released: false,
      freed: false,
      killRequested: false,
      pending: [],
      retryDelayMs: this.m.ms(this.m.opts.statusRetrySeconds),
      checks: checksOf(spec.info),
    };
    group?.push(task);
    executor?.tasks.add(task);
    agent.used = addRes(agent.used, task.resources);
    agent.tasks.add(task);
    fw.tasks.set(task.id, task);
    this.m.tasksById.set(task.id, task);
    recordMounts(this.mountLog, task, agent);
    this.m.publishOperator(() => ({ type: 'TASK_ADDED', task_added: { task: taskWire(task, 'TASK_STAGING') } }));
    // The master sends the task to a dead host as readily as to a live one; it never starts there.
    if (agent.hostDown) {
      task.released = true;
      task.state = 'TASK_LOST';
      for (const mount of task.mounts) mount.active = false;
      return task;
    }
    const half = this.m.ms(this.m.opts.taskStartSeconds) / 2;
    task.lifecycleTimer = setTimeout(() => this.starting(task, half), half);
    task.lifecycleTimer.unref();
    return task;
  }

  private starting(task: SimTask, half: number): void {
    if (task.killRequested || isTerminal(task.state)) return;
    this.agentUpdate(task, 'TASK_STARTING');
    task.lifecycleTimer = setTimeout(() => void this.prepareAndRun(task), half);
    task.lifecycleTimer.unref();
  }

  /** The docker/volume isolator runs before the container starts; its failure fails the launch. */
  private async prepareAndRun(task: SimTask): Promise<void> {
    task.lifecycleTimer = undefined;
    if (task.killRequested || isTerminal(task.state)) return;
    const pxd = task.volumes.filter((v) => v.driver === PXD_DRIVER);
    if (this.isolator && pxd.length > 0) {
      const agent = this.m.agents.get(task.agentId);
      const subject = { taskId: task.id, agentId: task.agentId, hostname: agent?.hostname ?? '', volumes: pxd.map(({ driver, name, options }) => ({ driver, name, options })) };
      try {
        await this.isolator.prepare(subject);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.m.log.warn({ taskId: task.id, err }, 'volume isolator refused the task');
        if (isTerminal(task.state) || task.released) return;
        this.agentUpdate(task, 'TASK_FAILED', { reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: `Failed to launch container: ${message}` });
        this.killGroup(task);
        return;
      }
      task.prepared = true;
      // The task may have been killed or its agent lost while the isolator worked.
      const now = this.m.agents.get(task.agentId);
      if (isTerminal(task.state) || task.released || !now || now.hostDown || task.killRequested) {
        releaseVolumes(task, this.isolator, this.m);
        return;
      }
    }
    this.agentUpdate(task, 'TASK_RUNNING');
    if (task.checks) startChecks(this.checkHost, task, task.checks);
  }

  /** The executor side of the checkers (task-checks.ts): check/health updates and the health kill. */
  private readonly checkHost: CheckHost = {
    ms: (seconds) => this.m.ms(seconds),
    runningUpdate: (task, reason) => {
      if (task.state !== 'TASK_RUNNING' || task.killRequested) return;
      this.agentUpdate(task, 'TASK_RUNNING', { reason, fromChecker: true });
    },
    killUnhealthy: (task) => {
      this.m.log.info({ taskId: task.id }, 'health check failed too often: the executor kills the task');
      if (!isTerminal(task.state)) this.killGroup(task, true);
    },
  };

  /**
   * The check fields of an executor update (default_executor.cpp): a checker's update copies the
   * last status, so it carries the latest check result and health verdict; any other update is
   * made afresh, with an empty check_status, and healthy=false only on the end of a task killed
   * for failing its health check.
   */
  private checkFields(task: SimTask, state: string, fromChecker: boolean): { healthy?: boolean; checkStatus?: Json } {
    const c = task.checks;
    if (!c) return {};
    if (fromChecker) return { ...(c.checkStatus ? { checkStatus: c.checkStatus } : {}), ...(c.healthy !== undefined ? { healthy: c.healthy } : {}) };
    return { ...(c.check ? { checkStatus: emptyStatus(c.check.type) } : {}), ...(c.killedUnhealthy && isTerminal(state) ? { healthy: false } : {}) };
  }

  /** An update generated on the agent (executor): reliable, with a uuid, queued until acknowledged. */
  agentUpdate(task: SimTask, state: string, extra: { reason?: string; message?: string; source?: Source; fromChecker?: boolean } = {}): void {
    if (isTerminal(task.state)) return;
    task.state = state;
    if (isTerminal(state) || state === 'TASK_KILLING') stopChecks(task.checks);
    const uuid = statusUuid();
    // Executors name the task's container in every update they send (the default executor does).
    const containerStatus = { container_id: task.containerId };
    const checks = this.checkFields(task, state, extra.fromChecker === true);
    const status = taskStatus({ task, state, source: extra.source ?? 'SOURCE_EXECUTOR', reason: extra.reason, message: extra.message, uuid, containerStatus, ...checks });
    const seen = this.m.hears(this.m.agents.get(task.agentId));
    task.pending.push({ status, state, uuid, seen });
    if (isTerminal(state)) this.endOnAgent(task);
    if (seen) this.masterSaw(task, status);
    if (task.pending.length === 1) this.pump(task);
  }

  /** The master learned a task's status: keep it in Task.statuses and tell operator subscribers. */
  masterSaw(task: SimTask, status: Json): void {
    const { uuid: _uuid, ...withoutUuid } = status;
    void _uuid;
    task.masterState = String(status.state);
    task.statuses.push(withoutUuid);
    if (task.statuses.length > STATUSES_KEPT) task.statuses.shift();
    this.m.publishOperator(() => ({
      type: 'TASK_UPDATED',
      task_updated: { framework_id: { value: task.frameworkId }, status, state: this.masterView(task) },
    }));
  }

  /** Forward the head of the task's queue (if the agent and framework are reachable) and arm a retry. */
  pump(task: SimTask): void {
    if (task.retryTimer) clearTimeout(task.retryTimer);
    task.retryTimer = undefined;
    const head = task.pending[0];
    const agent = this.m.agents.get(task.agentId);
    // A dead host's status update manager died with it; a removed agent's updates are dropped.
    if (!head || !agent || agent.hostDown || agent.state === 'removed' || agent.state === 'gone') return;
    const fw = this.m.frameworks.get(task.frameworkId);
    if (this.m.hears(agent) && fw) {
      task.statusUpdateState = head.state;
      task.statusUpdateUuid = head.uuid;
      this.m.sendUpdate(fw, head.status);
    }
    task.retryTimer = setTimeout(() => {
      task.retryDelayMs = Math.min(task.retryDelayMs * 2, this.m.ms(this.m.opts.statusRetryMaxSeconds));
      this.pump(task);
    }, task.retryDelayMs);
    task.retryTimer.unref();
  }

  acknowledge(fw: SimFramework, agentId: string, taskId: string, uuid: string): void {
    const task = fw.tasks.get(taskId);
    const head = task?.pending[0];
    const agent = this.m.agents.get(agentId);
    const same = head !== undefined && Buffer.from(head.uuid, 'base64').equals(Buffer.from(uuid, 'base64'));
    if (!task || task.agentId !== agentId || !same || !this.m.hears(agent)) {
      this.m.log.debug({ frameworkId: fw.id, taskId, agentId }, 'ignoring acknowledgement that matches no pending update');
      return;
    }
    task.pending.shift();
    task.retryDelayMs = this.m.ms(this.m.opts.statusRetrySeconds);
    if (task.pending.length === 0 && isTerminal(task.state)) this.remove(task, task.state);
    else this.pump(task);
  }

  /**
   * KILL, as Master::kill handles it: a task the master does not hold (unknown, or on an
   * unreachable or not yet re-registered agent) is reconciled with the agent id the call named;
   * a KILL naming another agent is ignored; to a disconnected agent it is held until the agent
   * re-registers; to a dead host it is sent and lost. Otherwise the default executor kills the
   * task and the rest of its task group.
   */
  kill(fw: SimFramework, taskId: string, agentId: string | undefined): void {
    const task = fw.tasks.get(taskId);
    const agent = task ? this.m.agents.get(task.agentId) : undefined;
    if (!task || !this.m.knowsTasksOf(agent)) {
      this.reconcile(fw, [{ taskId, agentId }]);
      return;
    }
    if (agentId !== undefined && agentId !== task.agentId) {
      this.m.log.warn({ taskId, agentId, actual: task.agentId }, 'ignoring KILL naming another agent than the task’s');
      return;
    }
    if (agent.state === 'disconnected') {
      agent.killedTasks.add(taskId);
      return;
    }
    if (agent.hostDown) return;
    if (!isTerminal(task.state)) this.killGroup(task, true);
  }

  private killGroup(task: SimTask, includeSelf = false): void {
    const fw = this.m.frameworks.get(task.frameworkId);
    for (const t of task.group ?? [task]) {
      if ((t === task && !includeSelf) || t.killRequested || isTerminal(t.state)) continue;
      t.killRequested = true;
      stopChecks(t.checks);
      if (t.lifecycleTimer) clearTimeout(t.lifecycleTimer);
      if (fw?.taskKillingState && t.state === 'TASK_RUNNING') this.agentUpdate(t, 'TASK_KILLING');
      t.lifecycleTimer = setTimeout(() => this.agentUpdate(t, 'TASK_KILLED'), this.m.ms(this.m.opts.taskKillSeconds));
      t.lifecycleTimer.unref();
    }
  }

  /** Fault injection: the task ends on its agent with `state` (default TASK_FAILED). */
  fail(task: SimTask, state = 'TASK_FAILED', reason?: string, message?: string): void {
    if (isTerminal(task.state)) {
      throw new SimInvalidTransitionError(`task '${task.id}' is already ${task.state}`);
    }
    if (!isTerminal(state)) {
      throw new SimInvalidTransitionError(`state ${state} is not a terminal task state`);
    }
    const agent = this.m.agents.get(task.agentId);
    if (!agent || agent.hostDown || agent.state === 'removed' || agent.state === 'gone') {
      throw new SimInvalidTransitionError(`task '${task.id}' has no running agent`);
    }
    if (task.lifecycleTimer) clearTimeout(task.lifecycleTimer);
    this.agentUpdate(task, state, { reason, message: message ?? 'Injected by the Mesos simulator' });
    if (state !== 'TASK_FINISHED') this.killGroup(task);
  }

  /** A task reached a terminal state on its agent: free its resources, executor and volumes. */
  private endOnAgent(task: SimTask): void {
    stopChecks(task.checks);
    if (task.lifecycleTimer) clearTimeout(task.lifecycleTimer);
    task.lifecycleTimer = undefined;
    const agent = this.m.agents.get(task.agentId);
    if (agent && !task.freed) {
      task.freed = true;
      freeOnAgent(agent, task);
    }
    releaseVolumes(task, this.isolator, this.m);
    this.onTaskEnded?.(task);
  }

  /** Forget a task (acknowledged terminal update, or a master-decided end). */
  remove(task: SimTask, finalState: string): void {
    if (task.retryTimer) clearTimeout(task.retryTimer);
    task.retryTimer = undefined;
    if (!task.freed || !task.released) this.endOnAgent(task);
    task.pending = [];
    this.m.frameworks.get(task.frameworkId)?.tasks.delete(task.id);
    if (this.m.tasksById.get(task.id) === task) this.m.tasksById.delete(task.id);
    this.m.agents.get(task.agentId)?.tasks.delete(task);
    task.state = finalState;
    this.m.rememberCompleted(task, finalState);
  }

  /** A master-generated update (no uuid, delivered at most once), e.g. TASK_UNREACHABLE or TASK_GONE. */
  masterUpdate(task: SimTask, state: string, reason: string, message: string, unreachableAt?: number): void {
    const fw = this.m.frameworks.get(task.frameworkId);
    const status = taskStatus({ task, state, source: 'SOURCE_MASTER', reason, message, unreachableAt });
    this.masterSaw(task, status);
    if (fw) this.m.sendUpdate(fw, status);
  }

  /** Explicit (non-empty list) or implicit (empty list) reconciliation (see reconcile.ts). */
  reconcile(fw: SimFramework, list: { taskId: string; agentId?: string | undefined }[]): void {
    reconcileTasks(this.m, (t) => this.masterView(t), fw, list);
  }

  /** A framework (re)subscribed: the agents resend their unacknowledged updates at once. */
  private flush(fw: SimFramework): void {
    for (const t of fw.tasks.values()) {
      if (t.pending.length === 0) continue;
      t.retryDelayMs = this.m.ms(this.m.opts.statusRetrySeconds);
      this.pump(t);
    }
  }

  /** An agent (re)connected to the master: the master learns its queued updates, which are resent at once. */
  resend(agent: SimAgent): void {
    for (const t of agent.tasks) {
      for (const p of t.pending) {
        if (p.seen) continue;
        p.seen = true;
        this.masterSaw(t, p.status);
      }
      if (t.pending.length === 0) continue;
      t.retryDelayMs = this.m.ms(this.m.opts.statusRetrySeconds);
      this.pump(t);
    }
  }

  /**
   * The host died: its tasks are dead (their true state becomes TASK_LOST while the master still
   * reports what it last saw), nothing more runs or retries there, nothing writes to their volumes
   * (the mounts end) but nothing unmounts or detaches them either, and nested commands are lost.
   */
  hostDied(agent: SimAgent): void {
    for (const t of agent.tasks) {
      stopChecks(t.checks);
      if (t.lifecycleTimer) clearTimeout(t.lifecycleTimer);
      if (t.retryTimer) clearTimeout(t.retryTimer);
      t.lifecycleTimer = undefined;
      t.retryTimer = undefined;
      t.released = true;
      for (const mount of t.mounts) mount.active = false;
      if (!isTerminal(t.state)) t.state = 'TASK_LOST';
      this.onTaskEnded?.(t);
    }
  }

  /**
   * The host came back with a fresh agent (reboot): the old agent's tasks died with it. Their
   * volumes are no longer mounted there, but nothing was unmounted or detached cleanly.
   */
  diedWithHost(task: SimTask): void {
    stopChecks(task.checks);
    if (task.lifecycleTimer) clearTimeout(task.lifecycleTimer);
    if (task.retryTimer) clearTimeout(task.retryTimer);
    task.lifecycleTimer = undefined;
    task.retryTimer = undefined;
    task.released = true;
    task.freed = true;
    for (const mount of task.mounts) mount.active = false;
    task.pending = [];
  }

  /** A framework was removed: its executors are shut down, without updates to anyone. */
  private abandon(fw: SimFramework): void {
    for (const t of [...fw.tasks.values()]) {
      t.killRequested = true;
      stopChecks(t.checks);
      this.remove(t, isTerminal(t.state) ? t.state : 'TASK_KILLED');
    }
  }
}
