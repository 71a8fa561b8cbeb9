import { childLogger } from '../../log/logger';
import { MesosOperatorClient, type OperatorClientEvent } from '../../mesos/operator-client';
import type { GetAgents, OperatorAgent } from '../../mesos/operator-types';
import type { AgentInfo } from '../../mesos/types';
import { SimConfigError } from './errors';
import { defaultTopology } from './hosts';
import type { ClusterModel } from './model/cluster';
import type { NodeFaults } from './node-faults';
import type { Topology } from './model/types';

const log = childLogger({ module: 'sim-portworx-mesos' });

/** Where a Mesos agent sits: region and zone from its fault domain, rack from its `rack` attribute. */
export function agentTopology(info: AgentInfo, index: number): Topology {
  const d = defaultTopology(index);
  const rackAttr = info.attributes?.find((a) => a.name === 'rack');
  const rack = rackAttr?.text?.value ?? (rackAttr?.scalar ? String(rackAttr.scalar.value) : undefined);
  return {
    rack: rack ?? d.rack,
    zone: info.domain?.fault_domain?.zone.name ?? d.zone,
    region: info.domain?.fault_domain?.region.name ?? d.region,
  };
}

/**
 * One Portworx node per agent of a Mesos master, kept in step through the operator API:
 * GET_AGENTS, then SUBSCRIBE. AGENT_ADDED adds (or brings back) a node; AGENT_REMOVED, or a task
 * on the agent going TASK_UNREACHABLE, takes it offline after the detection delay (Portworx
 * notices a dead node by itself, not when Mesos does); every (re)subscription's SUBSCRIBED
 * snapshot reconciles the whole set. The mirror brings back only nodes it took down (or whose
 * host crashed), never a status an operator set.
 */
export class MesosMirror {
  private readonly agentHosts = new Map<string, string>();
  /** Hosts whose loss the mirror reported (so it may bring them back). */
  private readonly lost = new Set<string>();
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  private constructor(
    private readonly model: ClusterModel,
    private readonly faults: NodeFaults,
    private readonly client: MesosOperatorClient,
    private readonly poolBytes: number,
  ) {}

  static async start(
    model: ClusterModel,
    faults: NodeFaults,
    url: string,
    opts: { poolBytes: number; reconnectMs: number },
  ): Promise<MesosMirror> {
    const client = new MesosOperatorClient({
      master: url,
      backoff: { initialMs: opts.reconnectMs, maxMs: Math.max(opts.reconnectMs, 10_000) },
    });
    const mirror = new MesosMirror(model, faults, client, opts.poolBytes);
    let agents: GetAgents;
    try {
      agents = await client.getAgents();
    } catch (err) {
      throw new SimConfigError(`cannot read the agents of the Mesos master at ${url}: ${(err as Error).message}`, { cause: err });
    }
    mirror.reconcile(agents.agents ?? [], agents.recovered_agents ?? []);
    mirror.loop = client.subscribe((e) => mirror.onEvent(e), { signal: mirror.abort.signal });
    return mirror;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private onEvent(event: OperatorClientEvent): void {
    switch (event.type) {
      case 'SUBSCRIBED':
        this.reconcile(event.subscribed.get_state?.get_agents?.agents ?? [], event.subscribed.get_state?.get_agents?.recovered_agents ?? []);
        return;
      case 'AGENT_ADDED': {
        const host = this.addAgent(event.agent_added.agent);
        this.faults.agentBack(host, this.lost.delete(host));
        return;
      }
      case 'AGENT_REMOVED':
        this.offline(event.agent_removed.agent_id.value, 'agent removed');
        return;
      case 'TASK_UPDATED':
        if (event.task_updated.state === 'TASK_UNREACHABLE' && event.task_updated.status.agent_id) {
          this.offline(event.task_updated.status.agent_id.value, 'agent unreachable');
        }
        return;
      case 'DISCONNECTED':
        log.warn({ reason: event.reason }, 'Mesos operator stream lost; re-subscribing');
        return;
      default:
        return;
    }
  }

  /**
   * Agents the master lists are back if the mirror lost them; nodes of agents it no longer lists
   * are lost. Agents a new master recovered from its registry but that have not re-registered yet
   * (`recovered_agents`, after a master failover) are not lost: a Portworx node does not depend on
   * the Mesos master, and the agents come back within the re-registration window.
   */
  private reconcile(agents: OperatorAgent[], recovered: { hostname: string }[] = []): void {
    const listed = new Set<string>(recovered.map((a) => a.hostname));
    for (const a of agents) {
      const host = this.addAgent(a);
      listed.add(host);
      if (this.lost.delete(host)) this.faults.agentBack(host, true);
    }
    for (const node of this.model.nodes.values()) {
      if (node.stale || listed.has(node.hostname)) continue;
      this.lose(node.hostname, 'agent no longer listed by the master');
    }
  }

  private addAgent(agent: OperatorAgent): string {
    const info = agent.agent_info;
    if (info.id) this.agentHosts.set(info.id.value, info.hostname);
    // A known host keeps the default topology it was given at its first position.
    const hosts = [...this.model.nodes.values()].filter((n) => !n.stale).map((n) => n.hostname);
    const index = hosts.includes(info.hostname) ? hosts.indexOf(info.hostname) : hosts.length;
    this.model.addNode({ hostname: info.hostname, topology: agentTopology(info, index), poolBytes: this.poolBytes });
    return info.hostname;
  }

  private offline(agentId: string, why: string): void {
    const host = this.agentHosts.get(agentId);
    if (!host || !this.model.findNodeByHost(host)) {
      log.warn({ agentId, why }, 'event for an agent this mirror does not know');
      return;
    }
    this.lose(host, why);
  }

  private lose(host: string, why: string): void {
    const node = this.model.findNodeByHost(host);
    if (!node || node.status === 'STATUS_OFFLINE') return;
    this.lost.add(host);
    this.faults.detectLoss(host, why);
  }
}
