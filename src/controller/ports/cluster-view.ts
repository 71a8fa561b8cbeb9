import type { ClusterView } from '../../placement';
import type { ClusterState, KnownAgent, StorageLiveness, StorageNodeView } from '../cluster-view';
import type { PlanningState } from '../planning-state';

/**
 * What the controller knows of the cluster, read-only: Mesos agents and their reachability,
 * Portworx storage nodes, and which pods run (or are planned) on which agent. Only the event
 * router and the storage watch change it, through ClusterState's own methods.
 */
export interface ReadonlyCluster {
  agent(agentId: string): KnownAgent | undefined;
  agentByHost(hostname: string): KnownAgent | undefined;
  knownAgents(): KnownAgent[];
  reachable(agentId: string): boolean;
  storageNode(hostname: string): StorageNodeView | undefined;
  storageLiveness(hostname: string): StorageLiveness | undefined;
  storageHosts(): { hostname: string; online: boolean }[];
  hostOfNode(ref: string): string | undefined;
  nodeIdOfHost(hostname: string): string | undefined;
  /** Pod names per agent id and pod type; `planned` adds the hosts pods are planned on. */
  podsByAgent(planned?: boolean): Map<string, Record<string, string[]>>;
  /** The placement view (agents, domains, storage health, pods per agent). */
  view(planned?: boolean): ClusterView;
}

/** The adapter: the cluster state plus the planning state, behind read-only methods. */
export function readonlyCluster(cluster: ClusterState, planning: Pick<PlanningState, 'podsByAgent'>): ReadonlyCluster {
  return {
    agent: (id) => cluster.agent(id),
    agentByHost: (host) => cluster.agentByHost(host),
    knownAgents: () => cluster.knownAgents(),
    reachable: (id) => cluster.reachable(id),
    storageNode: (host) => cluster.storageNode(host),
    storageLiveness: (host) => cluster.storageLiveness(host),
    storageHosts: () => cluster.storageHosts(),
    hostOfNode: (ref) => cluster.hostOfNode(ref),
    nodeIdOfHost: (host) => cluster.nodeIdOfHost(host),
    podsByAgent: (planned = false) => planning.podsByAgent(planned),
    view: (planned = false) => cluster.view(planning.podsByAgent(planned)),
  };
}
