import type { AgentManager } from './agents';
import { SimInvalidTransitionError } from './errors';
import { notifyHost } from './host-events';
import type { Master } from './master';
import { isTerminal, type SimAgent } from './state';
import type { TaskManager } from './tasks';

export interface RestartOptions {
  /** The host rebooted: its tasks died and a new agent id registers at the same hostname. */
  newId?: boolean;
  /**
   * The agent process restarted but its executors did not re-register in time: the agent kills
   * them and reports their tasks TASK_GONE (TASK_LOST for frameworks that are not partition-aware).
   */
  loseExecutors?: boolean;
}

/** The agent's executor re-registration timeout (src/slave/constants.hpp: 2 s), as its message quotes it. */
const EXECUTOR_REREGISTRATION_TIMEOUT = '2secs';

/**
 * Host and agent faults as a Mesos master lives them (apache/mesos src/master/master.cpp):
 * - crash: the host dies silently. The master cannot tell: it keeps the agent registered (and
 *   offered), KILLs go to the dead host, and only after agent_ping_timeout × max_agent_ping_timeouts
 *   does the agent observer mark it unreachable.
 * - restart: the agent process restarts. Its socket breaks (`Master::exited` → `disconnect`:
 *   offers rescinded, KILLs held), then it re-registers with its id and running tasks.
 * - reboot (restart with newId): the host comes back with a fresh agent; the master removes the
 *   old, disconnected agent because "a new agent registered at the same address" (TASK_LOST).
 * - failover: a new master knows the agents only from its registry until each re-registers.
 */
export class AgentFaults {
  private readonly rebooting = new Set<SimAgent>();

  constructor(
    private readonly m: Master,
    private readonly tasks: TaskManager,
    private readonly agents: AgentManager,
  ) {}

  crash(agent: SimAgent): SimAgent {
    if (agent.state === 'removed' || agent.state === 'gone') {
      throw new SimInvalidTransitionError(`agent ${agent.hostname} (${agent.id}) is ${agent.state}; its host runs a newer agent, if any`);
    }
    if (agent.hostDown) return agent;
    this.hostDies(agent);
    this.m.clearAgentTimer(agent, 'restart');
    this.m.clearAgentTimer(agent, 'reregister');
    if (!this.m.opts.offerCrashedAgents) this.m.rescindAgentOffers(agent);
    this.watchDeadHost(agent);
    return agent;
  }

  restart(agent: SimAgent, opts: RestartOptions = {}): SimAgent {
    if (agent.state === 'removed' || agent.state === 'gone') return this.heal(agent);
    if (opts.newId === true || agent.hostDown) return this.reboot(agent);
    return this.restartProcess(agent, opts.loseExecutors === true);
  }

  /** End a partition; a crashed host reboots; a removed or gone agent's host registers a new agent. */
  heal(agent: SimAgent): SimAgent {
    if (agent.state === 'removed' || agent.state === 'gone' || agent.hostDown) {
      const current = this.m.agentsByHost.get(agent.hostname);
      if (current && current !== agent && current.state !== 'removed' && current.state !== 'gone') return this.heal(current);
      if (this.rebooting.has(agent) && agent.timers.has('reboot')) return agent;
      if (agent.hostDown && agent.state !== 'removed' && agent.state !== 'gone') return this.reboot(agent);
      return this.agents.register(agent.index);
    }
    switch (agent.state) {
      case 'unreachable':
        return this.agents.reregisterUnreachable(agent);
      case 'recovering':
        this.m.clearAgentTimer(agent, 'reregister');
        this.agents.reconnect(agent);
        return agent;
      default:
        // Registered, or disconnected while its restart completes by itself.
        return agent;
    }
  }

  /** Master failover: every admitted agent must re-register with the new master, within `windowSeconds`. */
  failover(windowSeconds: number): void {
    for (const a of this.m.agents.values()) {
      if (a.state !== 'registered' && a.state !== 'disconnected') continue;
      this.m.clearAgentTimer(a, 'ping');
      this.m.rescindAgentOffers(a);
      a.state = 'recovering';
      if (a.hostDown) this.watchDeadHost(a);
      else if (!a.timers.has('restart')) {
        this.m.agentTimer(a, 'reregister', Math.random() * windowSeconds, () => this.agents.reconnect(a));
      }
    }
  }

  /** The host is dead from now on: nothing runs there; the Portworx side is told. */
  private hostDies(agent: SimAgent): void {
    agent.hostDown = true;
    agent.crashedAt = Date.now();
    this.tasks.hostDied(agent);
    notifyHost(this.m, agent.hostname, 'crash');
  }

  /**
   * A dead host only shows by its silence: a connected or disconnected agent is marked
   * unreachable after the ping timeouts; one that has not re-registered since a master failover,
   * after agent_reregister_timeout.
   */
  private watchDeadHost(agent: SimAgent): void {
    const o = this.m.opts;
    if (agent.state === 'registered' || agent.state === 'disconnected') {
      this.m.agentTimer(agent, 'ping', o.agentPingTimeoutSeconds * o.maxAgentPingTimeouts, () => {
        if (agent.state === 'registered' || agent.state === 'disconnected') this.agents.markUnreachable(agent, 'health check timed out');
      });
    } else if (agent.state === 'recovering') {
      this.m.agentTimer(agent, 'reregister-timeout', o.agentReregisterTimeoutSeconds, () => this.agents.markUnreachableAfterFailover(agent));
    }
  }

  private restartProcess(agent: SimAgent, loseExecutors: boolean): SimAgent {
    if (agent.state === 'unreachable') {
      // Partitioned: the process restarts where it is and stays cut off until healed.
      if (loseExecutors) this.loseExecutors(agent);
      return agent;
    }
    if (agent.state === 'registered') {
      agent.state = 'disconnected';
      this.m.rescindAgentOffers(agent);
    }
    this.m.clearAgentTimer(agent, 'reregister');
    const back = (): void => {
      if (loseExecutors) this.loseExecutors(agent);
      this.agents.reconnect(agent);
    };
    if (this.m.opts.agentRestartSeconds === 0) back();
    else this.m.agentTimer(agent, 'restart', this.m.opts.agentRestartSeconds, back);
    return agent;
  }

  /** `Slave::reregisterExecutorTimeout`: "Killing un-reregistered executor" → TASK_GONE from the agent. */
  private loseExecutors(agent: SimAgent): void {
    for (const t of [...agent.tasks]) {
      if (isTerminal(t.state)) continue;
      const pa = this.m.frameworks.get(t.frameworkId)?.partitionAware ?? true;
      this.tasks.agentUpdate(t, pa ? 'TASK_GONE' : 'TASK_LOST', {
        source: 'SOURCE_AGENT',
        reason: 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT',
        message: `Executor did not reregister within ${EXECUTOR_REREGISTRATION_TIMEOUT}`,
      });
    }
  }

  /** The host reboots; after agentRestartSeconds a new agent registers at its address. */
  private reboot(agent: SimAgent): SimAgent {
    if (this.rebooting.has(agent) && agent.timers.has('reboot')) return agent;
    if (!agent.hostDown) this.hostDies(agent);
    this.m.clearAgentTimer(agent, 'restart');
    this.m.clearAgentTimer(agent, 'reregister');
    if (agent.state === 'registered') {
      // Its connection breaks (a reboot resets it): the master stops offering the agent.
      agent.state = 'disconnected';
      this.m.rescindAgentOffers(agent);
    }
    if (!agent.timers.has('ping') && !agent.timers.has('reregister-timeout')) this.watchDeadHost(agent);
    if (this.m.opts.agentRestartSeconds === 0) return this.boot(agent);
    this.rebooting.add(agent);
    this.m.agentTimer(agent, 'reboot', this.m.opts.agentRestartSeconds, () => {
      this.rebooting.delete(agent);
      this.boot(agent);
    });
    return agent;
  }

  private boot(old: SimAgent): SimAgent {
    for (const t of [...old.tasks]) this.tasks.diedWithHost(t);
    // `Master::_registerSlave`: a registered but disconnected agent at the same address is removed.
    // An unreachable (or not yet re-registered) old agent keeps its tasks in the master's lists.
    if (old.state === 'registered' || old.state === 'disconnected') this.agents.removeAgent(old, 'a new agent registered at the same address');
    const fresh = this.agents.register(old.index);
    notifyHost(this.m, fresh.hostname, 'boot');
    return fresh;
  }
}
