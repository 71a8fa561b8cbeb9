import { SimAgentNotFoundError, SimInvalidTransitionError } from './errors';
import type { Master } from './master';
import { emptyRes, normalizeRanges, type Res } from './resources';
import { isTerminal, type SimAgent } from './state';
import type { TaskManager } from './tasks';
import { agentEntry } from './wire';

/**
 * The agents of the simulated cluster, their registration and their removal as the master sees
 * them (apache/mesos src/master/master.cpp): marked unreachable (`Master::markUnreachable` →
 * `__removeSlave`), removed (`Master::removeSlave` → `_removeSlave`), marked gone
 * (`Master::markGone`), re-registered (`Master::__reregisterSlave`, `___reregisterSlave`).
 * The faults that lead there (crash, restart, reboot, failover) live in AgentFaults.
 */
export class AgentManager {
  constructor(
    private readonly m: Master,
    private readonly tasks: TaskManager,
  ) {}

  createInitial(count: number): void {
    for (let i = 0; i < count; i++) this.register(i);
  }

  /** Register agent number `index` (hostname `agent-<index+1>`) with a fresh agent id. */
  register(index: number): SimAgent {
    const o = this.m.opts;
    const rackNo = (index % o.racks) + 1;
    const zones = o.zones ?? o.racks;
    const total: Res = {
      scalars: { cpus: o.agentResources.cpus, mem: o.agentResources.mem, disk: o.agentResources.disk },
      ranges: { ports: normalizeRanges(o.agentResources.ports) },
    };
    const agent: SimAgent = {
      id: this.m.ids.agentId(),
      hostname: `agent-${index + 1}`,
      index,
      rack: `rack-${rackNo}`,
      zone: `zone-${((rackNo - 1) % zones) + 1}`,
      region: o.region,
      state: 'registered',
      total,
      used: emptyRes(),
      offered: emptyRes(),
      offers: new Set(),
      tasks: new Set(),
      executors: new Map(),
      registeredAt: Date.now(),
      hostDown: false,
      timers: new Map(),
      killedTasks: new Set(),
    };
    this.m.agents.set(agent.id, agent);
    this.m.agentsByHost.set(agent.hostname, agent);
    this.m.publishOperator(() => ({ type: 'AGENT_ADDED', agent_added: { agent: agentEntry(agent) } }));
    return agent;
  }

  /** Look an agent up by id, or by hostname (the current agent of that host). */
  find(idOrHostname: string): SimAgent {
    const agent = this.m.agents.get(idOrHostname) ?? this.m.agentsByHost.get(idOrHostname);
    if (!agent) throw new SimAgentNotFoundError(idOrHostname);
    return agent;
  }

  /** A network partition: the master marks the agent unreachable at once (the ping timeouts are not waited out). */
  partition(agent: SimAgent): SimAgent {
    if (agent.state !== 'registered' || agent.hostDown) {
      const what = agent.hostDown ? 'crashed' : agent.state;
      throw new SimInvalidTransitionError(`agent ${agent.hostname} (${agent.id}) is ${what}; only a registered, live agent can be partitioned`);
    }
    this.markUnreachable(agent, 'health check timed out');
    return agent;
  }

  /**
   * `Master::markUnreachable` (the agent observer's "health check timed out"): every task the
   * master holds there becomes TASK_UNREACHABLE (REASON_AGENT_REMOVED, unreachable_time) for a
   * partition-aware framework, TASK_LOST otherwise; offers are rescinded; every framework gets a
   * FAILURE with the agent id. Operator subscribers see TASK_UPDATED events but no AGENT_REMOVED.
   */
  markUnreachable(agent: SimAgent, message: string): void {
    this.m.clearAgentTimer(agent, 'ping');
    agent.state = 'unreachable';
    agent.unreachableAt = Date.now();
    this.m.rescindAgentOffers(agent);
    for (const t of [...agent.tasks]) {
      if (isTerminal(t.masterState ?? t.state)) continue;
      const fw = this.m.frameworks.get(t.frameworkId);
      if (fw?.partitionAware) {
        this.tasks.masterUpdate(t, 'TASK_UNREACHABLE', 'REASON_AGENT_REMOVED', message, agent.unreachableAt);
      } else {
        // A framework that is not partition-aware gets TASK_LOST and the master forgets the task.
        this.tasks.masterUpdate(t, 'TASK_LOST', 'REASON_AGENT_REMOVED', message, agent.unreachableAt);
        this.tasks.remove(t, 'TASK_LOST');
      }
    }
    this.sendFailure(agent);
  }

  /**
   * An agent the master knew before a failover never re-registered (`Master::_markUnreachable`
   * during failover): frameworks get a FAILURE only, as the master knows none of its tasks.
   */
  markUnreachableAfterFailover(agent: SimAgent): void {
    if (agent.state !== 'recovering') return;
    agent.state = 'unreachable';
    agent.unreachableAt = Date.now();
    this.sendFailure(agent);
  }

  /**
   * An unreachable agent re-registers with its id (`Master::__reregisterSlave`): each of its
   * tasks is reported in its current state with REASON_AGENT_REREGISTERED ("Unreachable agent
   * re-reregistered"), operator subscribers see AGENT_ADDED, and queued agent updates flow again.
   */
  reregisterUnreachable(agent: SimAgent): SimAgent {
    agent.state = 'registered';
    agent.reregisteredAt = Date.now();
    agent.unreachableAt = undefined;
    this.m.publishOperator(() => ({ type: 'AGENT_ADDED', agent_added: { agent: agentEntry(agent) } }));
    for (const t of agent.tasks) this.tasks.masterUpdate(t, t.state, 'REASON_AGENT_REREGISTERED', 'Unreachable agent re-reregistered');
    this.tasks.resend(agent);
    return agent;
  }

  /**
   * A disconnected (restarted) or not yet re-registered (master failover) agent re-registers:
   * no updates from the master; held KILLs are sent; queued agent updates flow. Only an agent
   * the new master had not seen yet shows up as AGENT_ADDED.
   */
  reconnect(agent: SimAgent): void {
    const recovered = agent.state === 'recovering';
    agent.state = 'registered';
    agent.reregisteredAt = Date.now();
    if (recovered) {
      // The new master learns the tasks from the agent itself.
      for (const t of agent.tasks) t.masterState = t.state;
      this.m.publishOperator(() => ({ type: 'AGENT_ADDED', agent_added: { agent: agentEntry(agent) } }));
    }
    this.tasks.resend(agent);
    for (const t of [...agent.tasks]) {
      if (agent.killedTasks.has(t.id)) {
        const fw = this.m.frameworks.get(t.frameworkId);
        if (fw) this.tasks.kill(fw, t.id, agent.id);
      }
    }
    agent.killedTasks.clear();
  }

  /**
   * `Master::removeSlave` → `_removeSlave`, when the agent unregistered or a new agent
   * registered at its address: TASK_LOST with REASON_AGENT_REMOVED for every framework, partition-aware
   * or not ("Agent <host> removed: <cause>"), FAILURE, and AGENT_REMOVED for operator subscribers.
   */
  removeAgent(agent: SimAgent, cause: string): void {
    this.m.clearAgentTimers(agent);
    agent.state = 'removed';
    this.m.rescindAgentOffers(agent);
    for (const t of [...agent.tasks]) {
      if (!isTerminal(t.masterState ?? t.state) || t.pending.length > 0) {
        this.tasks.masterUpdate(t, 'TASK_LOST', 'REASON_AGENT_REMOVED', `Agent ${agent.hostname} removed: ${cause}`);
      }
      this.tasks.remove(t, 'TASK_LOST');
    }
    agent.executors.clear();
    agent.used = emptyRes();
    this.sendFailure(agent);
    this.m.publishOperator(() => ({ type: 'AGENT_REMOVED', agent_removed: { agent_id: { value: agent.id } } }));
  }

  /**
   * The operator removes the agent: it unregisters (`Master::unregisterSlave` → `removeSlave`,
   * "the agent unregistered") and shuts its executors down, which unmounts their volumes.
   */
  kill(agent: SimAgent): SimAgent {
    if (agent.state !== 'registered' || agent.hostDown) {
      const what = agent.hostDown ? 'crashed' : agent.state;
      throw new SimInvalidTransitionError(
        `agent ${agent.hostname} (${agent.id}) is ${what}; only a registered, live agent can unregister (use restart, heal or gone)`,
      );
    }
    this.removeAgent(agent, 'the agent unregistered');
    return agent;
  }

  /**
   * Operator MARK_AGENT_GONE (`Master::markGone`): tasks the master holds on the agent become
   * TASK_GONE_BY_OPERATOR with REASON_AGENT_REMOVED_BY_OPERATOR (TASK_LOST / REASON_AGENT_REMOVED
   * for frameworks that are not partition-aware), "Agent has been marked gone". A registered agent
   * is shut down and frameworks get a FAILURE; an unreachable one sends no FAILURE; one that has
   * not re-registered since a master failover produces no update at all. Idempotent.
   */
  markGone(agent: SimAgent): SimAgent {
    if (agent.state === 'gone') return agent;
    if (agent.state === 'removed') throw new SimAgentNotFoundError(agent.id);
    const was = agent.state;
    this.m.clearAgentTimers(agent);
    agent.state = 'gone';
    this.m.rescindAgentOffers(agent);
    for (const t of [...agent.tasks]) {
      if (was === 'recovering') {
        this.tasks.remove(t, 'TASK_GONE_BY_OPERATOR');
        continue;
      }
      const pa = this.m.frameworks.get(t.frameworkId)?.partitionAware ?? true;
      const state = pa ? 'TASK_GONE_BY_OPERATOR' : 'TASK_LOST';
      const held = was === 'unreachable' ? t.masterState === 'TASK_UNREACHABLE' : !isTerminal(t.masterState ?? t.state) || t.pending.length > 0;
      if (held) {
        this.tasks.masterUpdate(t, state, pa ? 'REASON_AGENT_REMOVED_BY_OPERATOR' : 'REASON_AGENT_REMOVED', 'Agent has been marked gone');
      }
      this.tasks.remove(t, state);
    }
    agent.executors.clear();
    agent.used = emptyRes();
    if (was === 'registered' || was === 'disconnected') this.sendFailure(agent);
    return agent;
  }

  /** LostSlaveMessage → the FAILURE event, carrying only the agent id, to every connected framework. */
  private sendFailure(agent: SimAgent): void {
    for (const fw of this.m.frameworks.values()) {
      this.m.sendToFramework(fw, { type: 'FAILURE', failure: { agent_id: { value: agent.id } } });
    }
  }
}
