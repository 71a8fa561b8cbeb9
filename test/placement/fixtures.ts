import type { AgentView, ClusterView, Offer, PodRequest, StorageHealth } from '../../src/placement';

export interface ClusterShape {
  agents: number;
  racks?: number;
  zones?: number;
  regions?: number;
  cpus?: number;
  mem?: number;
  disk?: number;
}

/** agent-i sits in rack-(i % racks), zone-(i % zones), region-(i % regions); storage up everywhere. */
export function makeCluster(shape: ClusterShape): { view: ClusterView; offers: Offer[] } {
  const racks = shape.racks ?? 3;
  const zones = shape.zones ?? 3;
  const regions = shape.regions ?? 1;
  const agents: AgentView[] = [];
  const storage: Record<string, StorageHealth> = {};
  const offers: Offer[] = [];
  for (let i = 0; i < shape.agents; i++) {
    const hostname = `agent-${i}`;
    const domain = { rack: `rack-${i % racks}`, zone: `zone-${i % zones}`, region: `region-${i % regions}` };
    const agentId = `id-${String(i).padStart(5, '0')}`;
    agents.push({ agentId, hostname, domain, attributes: { rack: domain.rack }, pods: {} });
    storage[hostname] = 'up';
    offers.push({
      offerId: `offer-${i}`,
      agentId,
      hostname,
      cpus: shape.cpus ?? 8,
      mem: shape.mem ?? 32_768,
      disk: shape.disk ?? 100_000,
      ports: [{ begin: 31000, end: 31999 }],
      attributes: { rack: domain.rack },
      domain: { zone: domain.zone, region: domain.region },
    });
  }
  return { view: { agents, storage }, offers };
}

export function makeRequest(overrides: Partial<PodRequest> = {}): PodRequest {
  return {
    service: 'cassandra',
    podType: 'node',
    index: 0,
    cpus: 1,
    mem: 1024,
    disk: 0,
    ports: 2,
    constraints: [],
    volumes: [],
    convergence: { mode: 'soft', softWaitExpired: false },
    ...overrides,
  };
}

/** Put pod instances on agents in the view (by hostname). */
export function placePods(view: ClusterView, podType: string, byHost: Record<string, string[]>): ClusterView {
  return {
    ...view,
    agents: view.agents.map((a) => {
      const pods = byHost[a.hostname];
      return pods ? { ...a, pods: { ...a.pods, [podType]: [...(a.pods[podType] ?? []), ...pods] } } : a;
    }),
  };
}

/** A hand-built agent and its offer (resources plenty). */
export function agentAt(hostname: string, rack: string, zone: string, region: string): { agent: AgentView; offer: Offer } {
  const agentId = `id-${hostname}`;
  return {
    agent: { agentId, hostname, domain: { rack, zone, region }, attributes: { rack }, pods: {} },
    offer: {
      offerId: `offer-${hostname}`,
      agentId,
      hostname,
      cpus: 8,
      mem: 32_768,
      disk: 100_000,
      ports: [{ begin: 31000, end: 31999 }],
      attributes: { rack },
      domain: { zone, region },
    },
  };
}
