import { SimAgentNotFoundError, SimInvalidTransitionError } from './errors';
import type { Master } from './master';
import { emptyRes, type Res } from './resources';
import { isTerminal, type SimAgent } from './state';
import type { TaskManager } from './tasks';
import { agentEntry } from './wire';

/**
 * Agents of the simulated cluster and the failures injected into them. Partition-aware
 * frameworks see TASK_UNREACHABLE, TASK_GONE and TASK_GONE_BY_OPERATOR; others see TASK_LOST.
 * Every agent loss also sends a FAILURE event carrying only the agent id.
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
      ranges: { ports: [{ begin: o.agentResources.ports[0], end: o.agentResources.ports[1] }] },
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

  /** The master stops hearing from the agent: tasks become unreachable, offers are rescinded. */
  partition(agent: SimAgent): SimAgent {
    if (agent.state !== 'registered') {
      throw new SimInvalidTransitionError(`agent ${agent.hostname} (${agent.id}) is ${agent.state}; only a registered agent can be partitioned`);
    }
    agent.state = 'unreachable';
    agent.unreachableAt = Date.now();
    this.m.rescindAgentOffers(agent);
    for (const t of [...agent.tasks]) {
      if (isTerminal(t.state)) continue;
      const fw = this.m.frameworks.get(t.frameworkId);
      if (fw?.partitionAware) {
        this.tasks.masterUpdate(t, 'TASK_UNREACHABLE', 'REASON_AGENT_REMOVED', 'health check timed out', agent.unreachableAt);
      } else {
        // Non-partition-aware frameworks get TASK_LOST and the master forgets the task.
        this.tasks.masterUpdate(t, 'TASK_LOST', 'REASON_AGENT_REMOVED', 'health check timed out', agent.unreachableAt);
        this.tasks.remove(t, 'TASK_LOST');
      }
    }
    this.lost(agent);
    return agent;
  }

  /**
   * The agent is reachable again. A partitioned agent re-registers with its id and its tasks
   * report their true state (REASON_AGENT_REREGISTERED); a removed or gone host comes back as a
   * new agent with a new id, as a restarted mesos-agent with a fresh work dir would.
   */
  heal(agent: SimAgent): SimAgent {
    if (agent.state === 'registered') return agent;
    if (agent.state === 'removed' || agent.state === 'gone') {
      const current = this.m.agentsByHost.get(agent.hostname);
      if (current && current !== agent && current.state === 'registered') return current;
      return this.register(agent.index);
    }
    agent.state = 'registered';
    agent.reregisteredAt = Date.now();
    agent.unreachableAt = undefined;
    this.m.publishOperator(() => ({ type: 'AGENT_ADDED', agent_added: { agent: agentEntry(agent) } }));
    for (const t of agent.tasks) {
      const fw = this.m.frameworks.get(t.frameworkId);
      if (fw?.partitionAware) this.tasks.masterUpdate(t, t.state, 'REASON_AGENT_REREGISTERED', 'Agent reregistered');
      t.retryDelayMs = this.m.ms(this.m.opts.statusRetrySeconds);
      this.tasks.pump(t);
    }
    return agent;
  }

  /** The agent died for good: its tasks are gone (TASK_GONE) and it leaves the cluster. */
  kill(agent: SimAgent): SimAgent {
    if (agent.state === 'removed' || agent.state === 'gone') {
      throw new SimInvalidTransitionError(`agent ${agent.hostname} (${agent.id}) is already ${agent.state}`);
    }
    this.removeAgent(agent, 'removed', 'TASK_GONE', `Agent ${agent.hostname} removed: agent process killed`);
    return agent;
  }

  /** Operator MARK_AGENT_GONE: tasks become TASK_GONE_BY_OPERATOR. Idempotent for a gone agent. */
  markGone(agent: SimAgent): SimAgent {
    if (agent.state === 'gone') return agent;
    if (agent.state === 'removed') throw new SimAgentNotFoundError(agent.id);
    this.removeAgent(agent, 'gone', 'TASK_GONE_BY_OPERATOR', 'Agent has been marked gone');
    return agent;
  }

  private removeAgent(agent: SimAgent, to: 'removed' | 'gone', taskState: string, message: string): void {
    const wasRegistered = agent.state === 'registered';
    agent.state = to;
    this.m.rescindAgentOffers(agent);
    for (const t of [...agent.tasks]) {
      const fw = this.m.frameworks.get(t.frameworkId);
      const state = fw?.partitionAware ? taskState : 'TASK_LOST';
      if (!isTerminal(t.state) || t.pending.length > 0) this.tasks.masterUpdate(t, state, 'REASON_AGENT_REMOVED', message);
      this.tasks.remove(t, state);
    }
    agent.executors.clear();
    agent.used = emptyRes();
    if (wasRegistered) this.lost(agent);
    else this.sendFailure(agent);
  }

  private lost(agent: SimAgent): void {
    this.sendFailure(agent);
    this.m.publishOperator(() => ({ type: 'AGENT_REMOVED', agent_removed: { agent_id: { value: agent.id } } }));
  }

  private sendFailure(agent: SimAgent): void {
    for (const fw of this.m.frameworks.values()) {
      this.m.sendToFramework(fw, { type: 'FAILURE', failure: { agent_id: { value: agent.id } } });
    }
  }
}
