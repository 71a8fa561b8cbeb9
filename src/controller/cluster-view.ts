import type { AgentInfo, Offer as MesosOffer } from '../mesos';
import { offerRanges, offerScalar, topologyOf, attributeValue } from '../mesos';
import type { StorageNode } from '../portworx';
import type { AgentView, ClusterView, FailureDomain, Offer, StorageHealth } from '../placement';

export interface KnownAgent {
  agentId: string;
  hostname: string;
  domain: FailureDomain;
  attributes: Record<string, string>;
  /** Gone for good (removed, or marked gone): its tasks will never come back. */
  gone: boolean;
  unreachable: boolean;
}

export interface StorageNodeView {
  nodeId: string;
  /** Portworx reports a volume's `attached_on` as the node's management IP. */
  mgmtIp: string | undefined;
  hostname: string;
  /** For placement: up only when Portworx serves I/O there (OK, or NONE as Stork #646 reads it). */
  health: StorageHealth;
  /** The SDK status of the entry that speaks for the host (see `storageHostStatus`). */
  status: string;
  /** Other node ids (and IPs) registered under the same hostname: stale duplicates (Stork #448, #1851). */
  aliases: string[];
}

/**
 * What Portworx says about a host, as failure handling reads it:
 * - online: OK, or NONE (an unset status: Stork #646 treats it as online);
 * - alive: the Portworx process on the host answers but does not serve (MAINTENANCE,
 *   STORAGE_DOWN, …): no placement there, but no reason to evict a running task (Stork #1385);
 * - offline: OFFLINE, the only status that is evidence the host is down.
 */
export type StorageLiveness = 'online' | 'alive' | 'offline';

export function livenessOf(status: string | undefined): StorageLiveness {
  if (status === undefined || status === '' || status === 'STATUS_OK' || status === 'STATUS_NONE') return 'online';
  return status === 'STATUS_OFFLINE' ? 'offline' : 'alive';
}

const LIVENESS_RANK: Record<StorageLiveness, number> = { online: 2, alive: 1, offline: 0 };

/** Mesos agent attributes as text, the way placement constraints read them. */
function attributesOf(info: Pick<AgentInfo, 'attributes'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of info.attributes ?? []) {
    const v = attributeValue(info.attributes, a.name);
    if (v !== undefined) out[a.name] = v;
  }
  return out;
}

function domainOf(info: Pick<AgentInfo, 'hostname' | 'attributes' | 'domain'>): FailureDomain {
  const t = topologyOf(info);
  return { ...(t.rack ? { rack: t.rack } : {}), ...(t.zone ? { zone: t.zone } : {}), ...(t.region ? { region: t.region } : {}) };
}

/** Same keys, same values (flat records: a failure domain, agent attributes as text). */
function sameRecord(a: object, b: object): boolean {
  const [x, y] = [a as Record<string, unknown>, b as Record<string, unknown>];
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const k of keys) if (x[k] !== y[k] || !(k in y)) return false;
  return true;
}

/**
 * What the scheduler knows of the cluster: Mesos agents (from offers and the operator API) and
 * Portworx storage nodes (from the SDK and alerts). Level-triggered: every source just
 * overwrites what it knows, so a repeated or late event cannot corrupt it.
 */
export class ClusterState {
  private readonly agents = new Map<string, KnownAgent>();
  private readonly byHost = new Map<string, string>();
  private readonly storage = new Map<string, StorageNodeView>();
  /** Node id / management IP / hostname / alias -> hostname; built on first read after a change. */
  private nodeRefs: Map<string, string> | undefined;
  private readonly storageListeners = new Set<() => void>();
  private changes = 0;

  /**
   * Bumped whenever what `view` shows (agents, their reachability, storage health) may have
   * changed; a re-learned agent or node that reads the same does not bump it. Lets a planning
   * round built on the view stay valid across time slices.
   */
  get version(): number {
    return this.changes;
  }

  /** Called after every full re-read of the storage nodes (the replica repair ticks on it). */
  onStorageRefresh(listener: () => void): () => void {
    this.storageListeners.add(listener);
    return () => this.storageListeners.delete(listener);
  }

  /**
   * An agent read again (every offer names its agent: 2,000 per offer round) that reads the same
   * stays the agent known, objects and all: no new record, the view's objects unchanged.
   */
  learnAgent(info: Pick<AgentInfo, 'hostname' | 'attributes' | 'domain'> & { agentId: string }): KnownAgent {
    const prev = this.agents.get(info.agentId);
    const domain = domainOf(info);
    const attributes = attributesOf(info);
    if (prev && !prev.gone && prev.hostname === info.hostname && sameRecord(prev.domain, domain) && sameRecord(prev.attributes, attributes)) {
      this.byHost.set(prev.hostname, prev.agentId);
      return prev;
    }
    const agent: KnownAgent = { agentId: info.agentId, hostname: info.hostname, domain, attributes, gone: false, unreachable: prev?.unreachable ?? false };
    this.changes += 1;
    this.agents.set(agent.agentId, agent);
    this.byHost.set(agent.hostname, agent.agentId);
    return agent;
  }

  learnOffer(offer: MesosOffer): Offer {
    const agent = this.learnAgent({ hostname: offer.hostname, attributes: offer.attributes, domain: offer.domain, agentId: offer.agent_id.value });
    if (agent.unreachable) this.changes += 1;
    agent.unreachable = false;
    return {
      offerId: offer.id.value,
      agentId: agent.agentId,
      hostname: offer.hostname,
      cpus: offerScalar(offer, 'cpus'),
      mem: offerScalar(offer, 'mem'),
      disk: offerScalar(offer, 'disk'),
      ports: offerRanges(offer, 'ports').map((r) => ({ begin: Number(r.begin), end: Number(r.end) })),
      attributes: agent.attributes,
      domain: agent.domain,
    };
  }

  markGone(agentId: string): void {
    const a = this.agents.get(agentId);
    if (a && !a.gone) this.changes += 1;
    if (a) a.gone = true;
  }

  markUnreachable(agentId: string, unreachable: boolean): void {
    const a = this.agents.get(agentId);
    if (a && a.unreachable !== unreachable) this.changes += 1;
    if (a) a.unreachable = unreachable;
  }

  agent(agentId: string): KnownAgent | undefined {
    return this.agents.get(agentId);
  }

  agentByHost(hostname: string): KnownAgent | undefined {
    const id = this.byHost.get(hostname);
    return id ? this.agents.get(id) : undefined;
  }

  /** An agent we may still talk to: known, not gone, not partitioned. */
  reachable(agentId: string): boolean {
    const a = this.agents.get(agentId);
    return !!a && !a.gone && !a.unreachable;
  }

  setStorageNodes(nodes: StorageNode[]): void {
    const before = this.storageSignature();
    const changes = this.changes;
    this.storage.clear();
    this.nodeRefs = undefined;
    for (const n of nodes) this.learnStorageNode(n);
    // A refresh that reads the same nodes changes nothing a view shows.
    this.changes = this.storageSignature() === before ? changes : changes + 1;
    for (const l of this.storageListeners) l();
  }

  private storageSignature(): string {
    let out = '';
    for (const s of this.storage.values()) out += `${s.hostname}\u0000${s.health}\u0000${s.status}\u0000${s.nodeId}\u0001`;
    return out;
  }

  /**
   * One view per hostname. When several node entries share a hostname (a node re-installed under
   * a new id leaves a stale entry behind), the best one speaks for the host: a host with any
   * online entry is online, whatever order the SDK lists them in.
   */
  learnStorageNode(n: StorageNode): void {
    this.changes += 1;
    this.nodeRefs = undefined;
    const hostname = n.scheduler_node_name || n.hostname;
    if (!hostname || !n.id) return;
    const status = n.status ?? 'STATUS_NONE';
    const liveness = livenessOf(status);
    const entry: StorageNodeView = { nodeId: n.id, mgmtIp: n.mgmt_ip || undefined, hostname, health: liveness === 'online' ? 'up' : 'down', status, aliases: [] };
    const prev = this.storage.get(hostname);
    if (!prev) {
      this.storage.set(hostname, entry);
      return;
    }
    const [keep, other] = LIVENESS_RANK[liveness] > LIVENESS_RANK[livenessOf(prev.status)] ? [entry, prev] : [prev, entry];
    keep.aliases = [...new Set([...keep.aliases, ...other.aliases, other.nodeId, ...(other.mgmtIp ? [other.mgmtIp] : [])])];
    this.storage.set(hostname, keep);
  }

  /** online / alive / offline for a host Portworx knows (undefined: no storage node there). */
  storageLiveness(hostname: string): StorageLiveness | undefined {
    const s = this.storage.get(hostname);
    return s ? livenessOf(s.status) : undefined;
  }

  /** Every storage host with whether it is online, for the replacement governor. */
  storageHosts(): { hostname: string; online: boolean }[] {
    return [...this.storage.values()].map((s) => ({ hostname: s.hostname, online: livenessOf(s.status) !== 'offline' }));
  }

  setStorageHealth(hostnameOrId: string, health: StorageHealth): void {
    const node = this.storage.get(hostnameOrId) ?? [...this.storage.values()].find((s) => s.nodeId === hostnameOrId);
    if (node) {
      this.changes += 1;
      node.health = health;
      node.status = health === 'up' ? 'STATUS_OK' : 'STATUS_OFFLINE';
    }
  }

  storageNode(hostname: string): StorageNodeView | undefined {
    return this.storage.get(hostname);
  }

  /** The host of a storage node named by id, management IP or hostname (as `attached_on` may hold any). */
  hostOfNode(ref: string): string | undefined {
    // A map, not a scan: a volume refresh asks once per replica (10,000 volumes x 2,000 nodes).
    // The first node in listing order that answers to a ref keeps it, as a scan would find it.
    if (!this.nodeRefs) {
      const refs = new Map<string, string>();
      for (const s of this.storage.values()) {
        for (const r of [s.nodeId, s.mgmtIp, s.hostname, ...s.aliases]) if (r && !refs.has(r)) refs.set(r, s.hostname);
      }
      this.nodeRefs = refs;
    }
    return this.nodeRefs.get(ref);
  }

  nodeIdOfHost(hostname: string): string | undefined {
    return this.storage.get(hostname)?.nodeId;
  }

  /**
   * The placement view. `podsByAgent` lists this service's pods placed or running per agent,
   * by pod type (from the pod actors); agents that are gone are left out.
   */
  view(podsByAgent: Map<string, Record<string, string[]>>): ClusterView {
    const agents: AgentView[] = [];
    for (const a of this.agents.values()) {
      if (a.gone) continue;
      agents.push({ agentId: a.agentId, hostname: a.hostname, domain: a.domain, attributes: a.attributes, pods: podsByAgent.get(a.agentId) ?? {} });
    }
    const storage: Record<string, StorageHealth> = {};
    for (const s of this.storage.values()) {
      const agent = this.agentByHost(s.hostname);
      storage[s.hostname] = agent && (agent.gone || agent.unreachable) ? 'down' : s.health;
    }
    return { agents, storage };
  }

  knownAgents(): KnownAgent[] {
    return [...this.agents.values()];
  }
}
